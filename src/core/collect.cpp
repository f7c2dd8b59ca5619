// Reading what a sent statement returns: every result, within the Waiter's deadline, and the errors.
#include "connection_impl.hpp"
#include "sql_scan.hpp"
#include "wait.hpp"

#include <fmt/format.h>

namespace pgkit {
namespace {

// Single-row results go to the visitor as they come; column descriptions are read once. When the
// visitor throws (a row that does not convert), the rest is read without decoding and the exception
// rethrown at the end. No cancel: that would abort the caller's transaction over a client-side mistake.
class RowFeed {
 public:
  RowFeed(detail::RowVisitor* visitor, detail::TextSettingsCache& text_settings, const PGconn* conn)
      : visitor_(visitor), text_settings_(&text_settings), conn_(conn) {}

  // Takes `result` when it is the visitor's; false otherwise.
  bool take(PGresult* result, ExecStatusType status) {
    if (visitor_ == nullptr) return false;
    if (status != PGRES_SINGLE_TUPLE && (status != PGRES_TUPLES_OK || !columns_.empty())) return false;
    const bool first = columns_.empty();
    if (first) columns_.read(result, text_settings_->capture(conn_));
    const detail::ResultData data(result, columns_);  // owns and clears the result
    if (failure_) return true;
    try {
      if (first) visitor_->on_columns(data);
      if (status == PGRES_SINGLE_TUPLE) visitor_->on_row(Row(&data, 0));
    } catch (...) {
      failure_ = std::current_exception();
    }
    return true;
  }

  void rethrow_failure() const {
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  detail::RowVisitor* visitor_;
  detail::TextSettingsCache* text_settings_;
  const PGconn* conn_;
  detail::ColumnsCopy columns_;
  std::exception_ptr failure_;
};

// What the statement's results came to, apart from the visitor's rows.
struct Outcome {
  detail::PGresultPtr last = detail::own(nullptr);
  detail::PGresultPtr error = detail::own(nullptr);  // the first error
  bool copy_refused = false;                          // a COPY that exec() does not run
};

void sort_result(PGconn* conn, PGresult* result, Outcome& outcome, detail::Waiter& waiter) {
  switch (PQresultStatus(result)) {
    case PGRES_COPY_IN:
      PQclear(result);
      PQputCopyEnd(conn, "pgkit: COPY runs through copy_in(), not exec()");
      outcome.copy_refused = true;
      return;
    case PGRES_COPY_OUT:
      PQclear(result);
      detail::stop_copy_out(conn, waiter);
      outcome.copy_refused = true;
      return;
    case PGRES_FATAL_ERROR:
    case PGRES_BAD_RESPONSE:
      if (!outcome.error) {
        outcome.error.reset(result);
      } else {
        PQclear(result);
      }
      return;
    default:
      outcome.last.reset(result);
  }
}

}  // namespace

namespace detail {

void stop_copy_out(PGconn* conn, Waiter& waiter) {
  waiter.cancel();
  for (;;) {
    char* buffer = nullptr;
    const int size = PQgetCopyData(conn, &buffer, 1);
    if (size > 0) {
      PQfreemem(buffer);
      continue;
    }
    if (size == 0 && waiter.wait()) continue;
    return;  // -1: the COPY ended; -2 or a failed wait: PQgetResult reports it
  }
}

}  // namespace detail

Result Connection::Impl::collect(std::optional<std::chrono::milliseconds> timeout, detail::RowVisitor* visitor) {
  detail::Waiter waiter(*this, timeout, "statement");
  return collect(waiter, visitor);
}

Result Connection::Impl::collect(detail::Waiter& waiter, detail::RowVisitor* visitor) {
  RowFeed feed(visitor, text_settings, conn);
  Outcome outcome;
  for (;;) {
    // Without a deadline or a cancel to watch, PQgetResult waits by itself.
    if (waiter.bounded()) {
      while (PQisBusy(conn) != 0 && waiter.wait()) {
      }
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) break;
    if (!feed.take(result, PQresultStatus(result))) sort_result(conn, result, outcome, waiter);
  }
  waiter.settle();
  if (detail::connection_lost(conn, outcome.error.get())) throw_lost(outcome.error.get());
  if (PQclientEncoding(conn) != utf8_encoding) restore_client_encoding();
  // Before any error: the server's error then only says that pgkit stopped the COPY.
  if (outcome.copy_refused) {
    throw InterfaceError("COPY cannot run through exec(); use copy_in() or copy_out() (pgkit/copy.hpp)");
  }
  feed.rethrow_failure();
  if (outcome.error) throw_error(outcome.error.get(), waiter);
  if (visitor != nullptr) return Result();
  if (!outcome.last) throw InterfaceError("the server returned no result");
  return detail::make_result(outcome.last.release(), text_settings.capture(conn));
}

void Connection::Impl::throw_lost(const PGresult* error) {
  auto diagnostics = detail::diagnostics_of(error, conn);
  if (diagnostics->sqlstate.empty() && crash_notice) diagnostics = crash_notice;
  mark_broken(diagnostics->message_primary);
  const std::string text = fmt::format("connection to {} lost: {}", description, detail::error_text(*diagnostics));
  if (diagnostics->sqlstate == sqlstate::admin_shutdown) throw AdminShutdown(text, std::move(diagnostics));
  if (diagnostics->sqlstate == sqlstate::crash_shutdown) throw CrashShutdown(text, std::move(diagnostics));
  throw ConnectionLost(text, std::move(diagnostics));
}

void Connection::Impl::throw_error(const PGresult* error, const detail::Waiter& waiter) {
  auto diagnostics = detail::diagnostics_of(error, conn);
  std::string text = detail::error_text(*diagnostics);
  if (waiter.timed_out() && diagnostics->sqlstate == sqlstate::query_canceled) {
    text += fmt::format(" (pgkit timeout after {} ms)", waiter.timeout()->count());
  }
  note_failure(diagnostics->sqlstate);
  throw_database_error(text, std::move(diagnostics));
}

// A statement set client_encoding to something else: every later string would be read and written
// in the wrong encoding (é stored as Ã©). pgkit sets it back (in a transaction that later rolls back,
// the server undoes both settings) and refuses the change.
void Connection::Impl::restore_client_encoding() {
  const char* asked = PQparameterStatus(conn, "client_encoding");
  const std::string name = asked != nullptr ? asked : "unknown";
  // Within the connection's query_timeout like any statement (not PQexec, which waits without one).
  bool restored = false;
  if (PQsendQuery(conn, "SET client_encoding TO 'UTF8'") != 0) {
    ++statements_sent;
    try {
      detail::Waiter waiter(*this, query_timeout, "client_encoding reset");
      for (;;) {
        if (waiter.bounded()) {
          while (PQisBusy(conn) != 0 && waiter.wait()) {
          }
        }
        PGresult* result = PQgetResult(conn);
        if (result == nullptr) break;
        PQclear(result);
      }
      waiter.settle();
      restored = conn != nullptr && PQclientEncoding(conn) == utf8_encoding;
    } catch (const Error&) {  // given up: the connection is closed below
    }
  }
  if (!restored) mark_broken("client_encoding could not be set back to UTF8");
  throw InterfaceError(fmt::format("a statement set client_encoding to {}; pgkit reads and writes UTF-8 only, so it "
                                   "set it back to UTF8. Convert text in SQL (convert_to, convert_from) instead",
                                   name));
}

Result Connection::Impl::command(std::string_view sql, std::optional<std::chrono::milliseconds> timeout) {
  check_usable();
  detail::require_no_nul(sql);
  note_statement(sql);
  const std::string text(sql);
  if (PQsendQuery(conn, text.c_str()) == 0) throw_send_failure("cannot send the statement");
  ++statements_sent;
  return collect(timeout ? timeout : query_timeout);
}

}  // namespace pgkit
