// Many statements per round trip: libpq's pipeline mode, and execute_many() on top of it.
//
//   pgkit::Pipeline pipeline(conn);
//   pipeline.add("INSERT INTO t VALUES ($1)", 1);
//   pipeline.add("UPDATE t SET v = v + 1 WHERE id = $1", 1);
//   for (const auto& outcome : pipeline.finish()) outcome.check();
//
//   auto inserted = pgkit::execute_many(conn, "INSERT INTO products (name, price) VALUES ($1, $2)", rows);
//
// Statements go out without waiting for each other's results; results come back in order. Between
// syncs, PostgreSQL runs a pipeline's statements as one implicit transaction (unless the connection is
// in an explicit one): when one fails, the statements after it up to the next sync are skipped, and the
// ones before it in that group are rolled back. Outcomes say which is which; nothing is lost silently.
// Memory stays flat however many statements go through: results are read while sending, so that no
// more than a bounded number of statements and parameter bytes are ever in flight.
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/row_values.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace pgkit {

// A statement that did not run because an earlier one in its sync group failed, or whose effects
// were rolled back with that group's implicit transaction.
class PipelineAborted : public OperationalError {
 public:
  using OperationalError::OperationalError;
};

enum class PipelineStatus {
  succeeded,    // ran, and its effects stand (as far as the transaction it belongs to commits)
  failed,       // the server reported an error: `error` holds it
  skipped,      // not run: an earlier statement of its sync group failed
  rolled_back,  // ran, but a later statement of its sync group failed and undid it (implicit transaction)
};

struct PipelineOutcome {
  PipelineStatus status = PipelineStatus::skipped;
  Result result;             // succeeded and rolled_back: what the statement returned
  std::exception_ptr error;  // failed: the typed DatabaseError (UniqueViolation, ...)
  std::size_t failed_index = 0;  // skipped and rolled_back: the statement whose failure caused it

  [[nodiscard]] bool ok() const noexcept { return status == PipelineStatus::succeeded; }
  // Rethrows a failure; throws PipelineAborted for a skipped or rolled-back statement.
  void check() const;
};

struct PipelineLimits {
  std::size_t max_in_flight_statements = 1000;
  std::size_t max_in_flight_bytes = std::size_t{8} << 20;  // parameter bytes sent but not yet answered
};

struct PipelineStats {
  std::size_t statements = 0;
  std::size_t peak_in_flight_statements = 0;
  std::size_t peak_in_flight_bytes = 0;
  std::size_t syncs = 0;
};

struct PipelineOptions {
  PipelineLimits limits;
  // Deadline for the whole pipeline: once passed, the running statement is cancelled (QueryCanceled)
  // and the rest of its sync group skipped. A later group's statement still running a grace period
  // (the timeout, within 0.1 to 1 s) after the server answered that cancel is cancelled the same way.
  std::optional<std::chrono::milliseconds> timeout;
};

class Pipeline {
 public:
  explicit Pipeline(Connection& connection, const PipelineOptions& options = {});
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  // Reads and discards what is still outstanding and leaves pipeline mode; never throws. A failure
  // the caller did not read is not reported, so call finish().
  ~Pipeline();

  // Queues a statement (sent at once, results read later); returns its index in finish()'s outcomes.
  // The parameter count is checked as exec() checks it.
  template <class... Args>
  std::size_t add(std::string_view sql, const Args&... args) {
    if constexpr (sizeof...(Args) == 1 && (std::is_same_v<Args, Params> && ...)) {
      return add_params(sql, args...);
    } else {
      params_.clear();
      (params_.add_borrowed(args), ...);
      return add_params(sql, params_);
    }
  }
  // Ends the current sync group (and its implicit transaction, outside an explicit one).
  void sync();
  // Syncs if needed, reads every outstanding result and leaves pipeline mode; one outcome per
  // statement, in order. The connection is usable again afterwards.
  std::vector<PipelineOutcome> finish();
  [[nodiscard]] const PipelineStats& stats() const;

 private:
  std::size_t add_params(std::string_view sql, const Params& params);

  struct State;
  Params params_;
  std::unique_ptr<State> state_;
};

struct ExecuteManyOptions {
  // All rows or none: one sync group, one implicit transaction (or the caller's explicit one). When
  // false, every row is its own sync group and stands or fails alone.
  bool atomic = true;
  // For atomic = false: called for each failed row (0-based); when unset, the first failure is thrown
  // after every row was tried.
  std::function<void(std::size_t row, const DatabaseError& error)> on_row_error;
  PipelineLimits limits;
  std::optional<std::chrono::milliseconds> timeout;  // for the whole batch
  PipelineStats* stats = nullptr;                    // filled when given
};

namespace detail {

// execute_many()'s engine: one prepared statement, many rows, pipelined with bounded memory.
class ManyRowsWriter {
 public:
  ManyRowsWriter(Connection& connection, std::string_view sql, const ExecuteManyOptions& options);
  ManyRowsWriter(const ManyRowsWriter&) = delete;
  ManyRowsWriter& operator=(const ManyRowsWriter&) = delete;
  ~ManyRowsWriter();
  // The parameters of the next row: fill, then send_row().
  Params& row_params() noexcept { return params_; }
  void send_row();
  // Reads what is outstanding; returns the affected rows, or throws the (first) failure.
  std::int64_t finish();

 private:
  struct State;
  Params params_;
  std::unique_ptr<State> state_;
};

}  // namespace detail

// Runs `sql` once per row of `rows` (tuples, described structs or single values), pipelined. Returns
// the total of affected rows. With options.atomic (the default) a failure rolls every row back and is
// thrown with the row's number in its message.
template <class Range>
std::int64_t execute_many(Connection& connection, std::string_view sql, const Range& rows,
                          const ExecuteManyOptions& options = {}) {
  detail::ManyRowsWriter writer(connection, sql, options);
  for (const auto& row : rows) {
    Params& params = writer.row_params();
    params.clear();
    // libpq copies the values while sending, so borrowing from a temporary row is safe.
    detail::for_each_row_value(row, [&](const auto& value) { params.add_borrowed(value); });
    writer.send_row();
  }
  return writer.finish();
}

}  // namespace pgkit
