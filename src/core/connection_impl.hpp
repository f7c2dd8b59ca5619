// Connection::Impl: the libpq connection and pgkit's per-connection state. The core's own: other
// modules reach a connection through its seams (bulk_access.hpp, pool_access.hpp).
#pragma once

#include <pgkit/connection.hpp>

#include "diagnostics.hpp"
#include "owner.hpp"
#include "result_data.hpp"
#include "session_use.hpp"
#include "sql_scan.hpp"
#include "statement_cache.hpp"
#include "text_settings.hpp"
#include "wait.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <map>
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

// Names of automatically prepared statements; prepare() refuses names starting with it.
inline constexpr std::string_view automatic_statement_prefix = "pgkit_";

using PGresultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

inline PGresultPtr own(PGresult* result) { return {result, &PQclear}; }

// libpq's notice receiver; `arg` is the Connection::Impl.
void notice_receiver(void* arg, const PGresult* result);

}  // namespace detail

struct Connection::Impl {
  explicit Impl(const ConnectOptions& options);
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl();

  // Closes the connection and throws InterfaceError unless the session's client_encoding is UTF8.
  void require_utf8_client_encoding();
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
  // After a statement changed client_encoding: sets it back to UTF8 and throws InterfaceError.
  [[noreturn]] void restore_client_encoding();
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
  int utf8_encoding = -1;  // libpq's number for UTF8, the only client_encoding pgkit accepts
  std::string description;  // where it goes, password redacted
  StatementCacheOptions cache_options;
  detail::StatementCache cache;
  std::map<std::string, TypeInfo, std::less<>> types;  // Connection::type_info's cache, by name as given
  std::uint64_t next_statement = 0;
  std::optional<std::chrono::milliseconds> query_timeout;
  Params scratch;
  std::shared_ptr<CancelHandle::State> cancel_state = std::make_shared<CancelHandle::State>();
  std::function<void(const Diagnostics&)> notice_handler;
  std::shared_ptr<Diagnostics> crash_notice;  // the server's "crash of another server process" warning
  int transaction_depth = 0;
  // Connection::statements_sent(): bumped right after each libpq send that asks the server to run a
  // statement; preparing one (Parse, Describe) does not count (see connection.hpp).
  std::uint64_t statements_sent = 0;
  bool broken = false;
  std::string broken_reason;
  detail::TextSettingsCache text_settings;  // what results carry: how the server writes dates as text
  detail::Owner owner = detail::Owner::none;  // set by a detail::OwnerToken

  // The lender's account of what ran (detail::PoolAccess::watch); null when nobody lends the connection.
  detail::SessionUse* use = nullptr;
  void note_statement(std::string_view sql) noexcept {
    if (use != nullptr) use->note_statement(sql);
  }
  void note_failure(std::string_view sqlstate) noexcept {
    if (use != nullptr) use->note_failure(sqlstate);
  }
};

namespace detail {

// pgkit's own housekeeping (the statement cache's DEALLOCATE, the pool's ROLLBACK and reset) is not the
// borrower's use: the lender's account is set aside meanwhile.
class Unnoted {
 public:
  explicit Unnoted(Connection::Impl& impl) noexcept : impl_(impl), use_(std::exchange(impl.use, nullptr)) {}
  Unnoted(const Unnoted&) = delete;
  Unnoted& operator=(const Unnoted&) = delete;
  ~Unnoted() { impl_.use = use_; }

 private:
  Connection::Impl& impl_;
  SessionUse* use_;
};

}  // namespace detail
}  // namespace pgkit
