// Connection::Impl: the libpq connection and pgkit's per-connection state. Shared by the core's
// sources and the modules built on a connection (pipelines, COPY, the pool).
#pragma once

#include <pgkit/connection.hpp>

#include "result_data.hpp"
#include "session_state.hpp"
#include "statement_cache.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>

namespace pgkit {

struct CancelHandle::State {
  std::mutex mutex;
  std::shared_ptr<PGcancel> cancel;  // reset when the connection closes
};

namespace detail {

class Waiter;

// Names of automatically prepared statements; prepare() refuses names starting with it.
inline constexpr std::string_view automatic_statement_prefix = "pgkit_";

using Clock = std::chrono::steady_clock;
using PGresultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

inline PGresultPtr own(PGresult* result) { return {result, &PQclear}; }

// When a wait of `timeout` from now ends; nullopt when that lies beyond what the clock can represent.
std::optional<Clock::time_point> deadline_after(std::chrono::milliseconds timeout);
// poll()'s timeout for waiting until `until`: 0 to INT_MAX milliseconds.
int poll_milliseconds(Clock::time_point until);
// Checks a statement's $n against the number of values given, and that it is one statement; returns
// the highest $n. Throws InterfaceError before anything is sent.
int checked_placeholders(std::string_view sql, std::size_t given);
void check_parameter_count(int expected, std::size_t given);

// Throws InterfaceError for a negative timeout.
std::chrono::milliseconds checked_timeout(std::chrono::milliseconds timeout);

// Diagnostics of an error result (or of the connection, when `result` is null).
std::shared_ptr<Diagnostics> diagnostics_of(const PGresult* result, PGconn* conn);
// "message (SQLSTATE xxxxx)\nDETAIL: ...\nHINT: ..."
std::string error_text(const Diagnostics& diagnostics);
// Whether the connection is gone (after `error`, the error result just read, if any).
bool connection_lost(PGconn* conn, const PGresult* error);
// libpq's notice receiver; `arg` is the Connection::Impl.
void notice_receiver(void* arg, const PGresult* result);

// How long the server gets to answer a cancel sent because `timeout` passed: as long again, within
// 0.1 to 1 s. After that, the connection is given up (Impl::give_up_after_unanswered_cancel).
Clock::duration cancel_grace(std::chrono::milliseconds timeout) noexcept;

// A cancel request running on its own thread, so that a server that does not answer (frozen, or the
// network gone) cannot block the caller beyond its deadline.
class AsyncCancel {
 public:
  explicit AsyncCancel(std::shared_ptr<PGcancel> cancel);
  // Waits until the request was delivered or `deadline` passes; true when delivered.
  bool wait_until(Clock::time_point deadline);

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
  };
  std::shared_ptr<Shared> shared_;
};

// What holds a connection for a while, so that nothing else runs on it meanwhile; named in the error
// a statement gets then.
enum class Owner : unsigned char { none, row_stream, pipeline, execute_many, copy_in, copy_out };

// "a Pipeline owns this connection; finish or destroy it first" and the like.
std::string owned_message(Owner owner);

// The connection held by `owner` for the token's life. Refuses (check_usable) a connection that is
// closed, lost, or held already.
class OwnerToken {
 public:
  OwnerToken(Connection::Impl& impl, Owner owner);
  OwnerToken(OwnerToken&& other) noexcept : impl_(std::exchange(other.impl_, nullptr)) {}
  OwnerToken& operator=(OwnerToken&&) = delete;
  OwnerToken(const OwnerToken&) = delete;
  OwnerToken& operator=(const OwnerToken&) = delete;
  ~OwnerToken() { release(); }
  // Gives the connection back early; nothing if it was given back already.
  void release() noexcept;
  [[nodiscard]] bool held() const noexcept { return impl_ != nullptr; }

 private:
  Connection::Impl* impl_;
};

}  // namespace detail

struct Connection::Impl {
  explicit Impl(const ConnectOptions& options);
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();

  // Throws when the connection cannot run a statement now (closed, lost, held by an OwnerToken).
  void check_usable() const;
  // Runs one statement through the cache policy. With a visitor, rows go to it as they arrive
  // (single-row mode) and the returned Result is empty.
  Result run(std::string_view sql, const Params& params, std::optional<std::chrono::milliseconds> timeout,
             detail::RowVisitor* visitor = nullptr);
  // Sends one statement through the cache policy; returns its cache entry when it went prepared.
  detail::StatementCache::Entry* send(std::string_view sql, const Params& params);
  Result run_prepared(const PreparedStatement& statement, const Params& params,
                      std::optional<std::chrono::milliseconds> timeout);
  // A simple-protocol command (transaction control, LISTEN, scripts): text results, last result kept.
  Result command(std::string_view sql, std::optional<std::chrono::milliseconds> timeout = std::nullopt);

  // After a PQsend*: reads every result, keeps the last, throws the first error. Honours the deadline
  // by cancelling, then closing the connection if the server does not answer the cancel.
  Result collect(std::optional<std::chrono::milliseconds> timeout, detail::RowVisitor* visitor = nullptr);
  // The same within an operation's Waiter (a COPY's end, a stream's rest).
  Result collect(detail::Waiter& waiter, detail::RowVisitor* visitor = nullptr);
  // The connection is gone (`error`: the error result that said so, if any): marks it and throws
  // ConnectionLost, AdminShutdown or CrashShutdown.
  [[noreturn]] void throw_lost(const PGresult* error);
  // Throws the DatabaseError of an error result.
  [[noreturn]] void throw_error(const PGresult* error, const detail::Waiter& waiter);
  // Called when libpq reports a failure: marks the connection broken when it is, and throws.
  [[noreturn]] void throw_send_failure(std::string_view what);
  // Marks the connection lost: every later call fails fast with ConnectionLost.
  void mark_broken(std::string reason);
  // The server ignored a cancel: closes the connection (later calls fail fast) and throws QueryCanceled
  // saying what `happened` ("statement timed out after 200 ms", "row stream was cancelled").
  [[noreturn]] void give_up_after_unanswered_cancel(std::string_view happened);

  std::shared_ptr<PGcancel> cancel_object();
  void deallocate_pending();
  void prepare_entry(detail::StatementCache::Entry& entry);
  // Parses `sql` as the prepared statement `name` ("" for the unnamed one) and describes it, in one
  // round trip; returns the description (its columns, and PQnparams/PQparamtype).
  Result parse_and_describe(const std::string& name, const std::string& sql, std::span<const Oid> types = {});

  PGconn* conn = nullptr;
  std::string description;  // where it goes, password redacted
  StatementCacheOptions cache_options;
  detail::StatementCache cache;
  std::uint64_t next_statement = 0;
  std::optional<std::chrono::milliseconds> query_timeout;
  Params scratch;
  std::shared_ptr<CancelHandle::State> cancel_state = std::make_shared<CancelHandle::State>();
  std::function<void(const Diagnostics&)> notice_handler;
  std::shared_ptr<Diagnostics> crash_notice;  // the server's "crash of another server process" warning
  int transaction_depth = 0;
  bool broken = false;
  std::string broken_reason;
  detail::Owner owner = detail::Owner::none;  // set by a detail::OwnerToken

  // What a pool needs to know before lending the connection again. Cleared by the pool.
  bool used = false;               // a statement ran
  bool session_changed = false;    // one of them may have left session state (detail::may_change_session)
  bool read_only_refused = false;  // one failed with 25006: the server is (now) read-only
  void note_statement(std::string_view sql) noexcept {
    used = true;
    if (!session_changed && detail::may_change_session(sql)) session_changed = true;
  }
};

}  // namespace pgkit
