// Reading what a sent statement returns: every result, the deadline, and the errors.
#include "connection_impl.hpp"
#include "sql_scan.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <cerrno>

namespace pgkit {

Result Connection::Impl::collect(std::optional<std::chrono::milliseconds> timeout, detail::RowVisitor* visitor) {
  using detail::Clock;
  std::optional<Clock::time_point> deadline;
  if (timeout) deadline = detail::deadline_after(*timeout);
  std::optional<detail::AsyncCancel> cancel;
  Clock::time_point cancel_deadline{};
  bool copy_refused = false;
  detail::PGresultPtr last = detail::own(nullptr);
  detail::PGresultPtr error = detail::own(nullptr);
  // Single-row results go to the visitor as they come; column descriptions are read once.
  detail::ColumnsCopy row_columns;
  // The visitor threw (a row that does not convert): read the rest without decoding, then rethrow. No
  // cancel: that would abort the caller's transaction over a client-side mistake.
  std::exception_ptr visitor_failure;
  const auto visit = [&](PGresult* result, bool is_row) {
    const bool first = row_columns.empty();
    if (first) row_columns.read(result, text_settings.capture(conn));
    const detail::ResultData data(result, row_columns);  // owns and clears the result
    if (visitor_failure) return;
    try {
      if (first) visitor->on_columns(data);
      if (is_row) visitor->on_row(Row(&data, 0));
    } catch (...) {
      visitor_failure = std::current_exception();
    }
  };
  for (;;) {
    if (deadline) {
      while (PQisBusy(conn) != 0) {
        const auto now = Clock::now();
        if (!cancel && now >= *deadline) {
          cancel.emplace(cancel_object());
          cancel_deadline = now + detail::cancel_grace(*timeout);
        }
        if (cancel && now >= cancel_deadline) give_up_after_unanswered_cancel("statement", *timeout);
        const auto wait_until = cancel ? cancel_deadline : *deadline;
        pollfd fd{PQsocket(conn), POLLIN, 0};
        if (::poll(&fd, 1, detail::poll_milliseconds(wait_until)) < 0 && errno != EINTR) break;
        if (PQconsumeInput(conn) == 0) break;  // PQgetResult reports the failure
      }
    }
    PGresult* result = PQgetResult(conn);
    if (result == nullptr) break;
    const auto status = PQresultStatus(result);
    if (visitor != nullptr &&
        (status == PGRES_SINGLE_TUPLE || (status == PGRES_TUPLES_OK && row_columns.empty()))) {
      visit(result, status == PGRES_SINGLE_TUPLE);
      continue;
    }
    switch (status) {
      case PGRES_COPY_IN:
        PQputCopyEnd(conn, "pgkit: COPY runs through copy_in(), not exec()");
        copy_refused = true;
        PQclear(result);
        continue;
      case PGRES_COPY_OUT: {
        char* buffer = nullptr;
        while (PQgetCopyData(conn, &buffer, 0) > 0) PQfreemem(buffer);
        copy_refused = true;
        PQclear(result);
        continue;
      }
      case PGRES_FATAL_ERROR:
      case PGRES_BAD_RESPONSE:
        if (!error) {
          error.reset(result);
        } else {
          PQclear(result);
        }
        continue;
      default:
        last.reset(result);
    }
  }
  // A cancel that might still be on its way could hit the next statement: wait for its delivery.
  if (cancel && !cancel->wait_until(Clock::now() + std::chrono::seconds(1))) {
    mark_broken("a cancel request could not be delivered");
  }

  if (detail::connection_lost(conn, error.get())) {
    auto diagnostics = detail::diagnostics_of(error.get(), conn);
    if (diagnostics->sqlstate.empty() && crash_notice) diagnostics = crash_notice;
    mark_broken(diagnostics->message_primary);
    const std::string text = fmt::format("connection to {} lost: {}", description, detail::error_text(*diagnostics));
    if (diagnostics->sqlstate == sqlstate::admin_shutdown) throw AdminShutdown(text, std::move(diagnostics));
    if (diagnostics->sqlstate == sqlstate::crash_shutdown) throw CrashShutdown(text, std::move(diagnostics));
    throw ConnectionLost(text, std::move(diagnostics));
  }
  if (PQclientEncoding(conn) != utf8_encoding) restore_client_encoding();
  if (visitor_failure) std::rethrow_exception(visitor_failure);
  if (error) {
    auto diagnostics = detail::diagnostics_of(error.get(), conn);
    std::string text = detail::error_text(*diagnostics);
    if (cancel && diagnostics->sqlstate == sqlstate::query_canceled) {
      text += fmt::format(" (pgkit timeout after {} ms)", timeout->count());
    }
    if (diagnostics->sqlstate == sqlstate::read_only_sql_transaction) read_only_refused = true;
    throw_database_error(text, std::move(diagnostics));
  }
  if (copy_refused) {
    throw InterfaceError("COPY cannot run through exec(); use copy_in() or copy_out() (pgkit/copy.hpp)");
  }
  if (visitor != nullptr) return Result();
  if (!last) throw InterfaceError("the server returned no result");
  return detail::make_result(last.release(), text_settings.capture(conn));
}

// A statement set client_encoding to something else: every later string would be read and written
// in the wrong encoding (é stored as Ã©). pgkit sets it back (in a transaction that later rolls back,
// the server undoes both settings) and refuses the change.
void Connection::Impl::restore_client_encoding() {
  const char* asked = PQparameterStatus(conn, "client_encoding");
  const std::string name = asked != nullptr ? asked : "unknown";
  detail::PGresultPtr reset = detail::own(PQexec(conn, "SET client_encoding TO 'UTF8'"));
  if (PQclientEncoding(conn) != utf8_encoding) mark_broken("client_encoding could not be set back to UTF8");
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
  return collect(timeout ? timeout : query_timeout);
}

}  // namespace pgkit
