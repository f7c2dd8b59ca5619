// The pipeline engine behind Pipeline and execute_many: libpq's pipeline mode in non-blocking mode,
// reading results while sending so that neither side's buffers fill up (the classic pipeline
// deadlock) and memory stays bounded.
#pragma once

#include <pgkit/pipeline.hpp>

#include "core/bulk_access.hpp"
#include "core/diagnostics.hpp"
#include "core/owner.hpp"
#include "core/result_data.hpp"
#include "core/sql_scan.hpp"
#include "core/wait.hpp"

#include <libpq-fe.h>

#include <deque>
#include <span>
#include <string>

namespace pgkit::detail {

// Receives, in order, what each queued statement came to. `tag` is the caller's number for it.
class PipelineSink {
 public:
  virtual void on_result(std::size_t tag, PGresult* result) = 0;  // takes ownership
  virtual void on_failure(std::size_t tag, std::shared_ptr<Diagnostics> diagnostics) = 0;
  virtual void on_skipped(std::size_t tag) = 0;
  virtual void on_group_end() = 0;  // a sync was processed

 protected:
  ~PipelineSink() = default;
};

class PipelineEngine {
 public:
  // `owner`: Owner::pipeline or Owner::execute_many, named to a statement refused meanwhile.
  PipelineEngine(Connection& conn, PipelineSink& sink, const PipelineLimits& limits,
                 std::optional<std::chrono::milliseconds> timeout, Owner owner);
  PipelineEngine(const PipelineEngine&) = delete;
  PipelineEngine& operator=(const PipelineEngine&) = delete;
  // Drains and leaves pipeline mode when still active; never throws.
  ~PipelineEngine();

  void send_params(std::size_t tag, const std::string& sql, const Params& params);
  void send_prepared(std::size_t tag, const std::string& name, const Params& params);
  void send_prepare(std::size_t tag, const std::string& name, const std::string& sql, std::span<const Oid> types);
  void sync();
  // Syncs if the last group is open, reads everything outstanding, leaves pipeline mode.
  void finish();

  // A statement's result, carrying the session's text settings.
  [[nodiscard]] Result result_of(PGresult* result) const;

  [[nodiscard]] const PipelineStats& stats() const noexcept { return stats_; }
  [[nodiscard]] bool group_open() const noexcept { return group_open_; }

 private:
  enum class Kind { statement, sync };
  struct Pending {
    Kind kind;
    std::size_t tag;
    std::size_t bytes;
    bool answered = false;  // a result (or failure) was delivered for it
  };

  void make_room(std::size_t bytes);  // before sending a statement of `bytes` parameter bytes
  void queued(std::size_t tag, std::size_t bytes);
  // Flushes and reads what has arrived; with `wait`, blocks until at least one statement completes.
  void pump(bool wait);
  bool read_ready();  // delivers complete results; true when something completed
  void wait_for_socket(bool want_write);
  [[noreturn]] void fail_connection(std::string_view what);
  void leave();  // leaves pipeline mode and non-blocking mode
  // libpq's connection; null once the Waiter gave it up.
  [[nodiscard]] PGconn* pg() const { return BulkAccess::native(conn_); }

  Connection& conn_;
  PipelineSink& sink_;
  PipelineLimits limits_;
  OwnerToken token_;
  Waiter waiter_;  // the whole pipeline's deadline
  std::deque<Pending> pending_;
  std::size_t in_flight_statements_ = 0;
  std::size_t in_flight_bytes_ = 0;
  bool group_open_ = false;
  bool flush_requested_ = false;  // since the last statement was queued
  bool active_ = false;
  PipelineStats stats_;
};

std::size_t parameter_bytes(const Params& params) noexcept;

}  // namespace pgkit::detail
