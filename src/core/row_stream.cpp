// RowStream: rows one at a time in libpq's single-row mode.
#include "connection_impl.hpp"
#include "result_format.hpp"

namespace pgkit {

RowStream Connection::start_stream(std::string_view sql, const Params& params) {
  live().check_usable();
  detail::checked_placeholders(sql, params.size());
  const std::string text(sql);
  if (PQsendQueryParams(live().conn, text.c_str(), static_cast<int>(params.size()), params.types().data(),
                        params.values().data(), params.lengths().data(), params.formats().data(),
                        detail::undescribed_result_format) == 0) {
    live().throw_send_failure("cannot send the statement");
  }
  if (PQsetSingleRowMode(live().conn) == 0) {
    live().collect(std::nullopt);
    throw InterfaceError("cannot switch to single-row mode");
  }
  live().streaming = true;
  return RowStream(*this);
}

RowStream::RowStream(Connection& connection) : conn_(&connection) {}

RowStream::RowStream(RowStream&& other) noexcept
    : conn_(other.conn_),
      current_(std::move(other.current_)),
      rows_read_(other.rows_read_),
      started_(other.started_),
      finished_(other.finished_) {
  other.finished_ = true;  // the moved-from stream no longer owns the connection
  other.conn_ = nullptr;
}

RowStream::~RowStream() { finish(); }

RowStream::iterator RowStream::begin() {
  if (!started_) {
    started_ = true;
    advance();
  }
  return iterator(this);
}

Row RowStream::current_row() const { return current_[0]; }

void RowStream::advance() {
  if (finished_) return;
  auto& impl = conn_->impl();
  PGresult* result = PQgetResult(impl.conn);
  if (result != nullptr && PQresultStatus(result) == PGRES_SINGLE_TUPLE) {
    current_ = detail::make_result(result, impl.text_settings.capture(impl.conn));
    ++rows_read_;
    return;
  }
  // The end (PGRES_TUPLES_OK with no rows) or an error: collect() reads the rest and throws if needed.
  finished_ = true;
  impl.streaming = false;
  current_ = Result();
  if (result == nullptr) return;
  const auto status = PQresultStatus(result);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
    PQclear(result);
    while (PGresult* rest = PQgetResult(impl.conn)) PQclear(rest);
    return;
  }
  auto diagnostics = detail::diagnostics_of(result, impl.conn);
  const bool lost = detail::connection_lost(impl.conn, result);
  PQclear(result);
  while (PGresult* rest = PQgetResult(impl.conn)) PQclear(rest);
  if (lost || PQstatus(impl.conn) == CONNECTION_BAD) {
    impl.mark_broken(diagnostics->message_primary);
    const std::string message = "connection lost while streaming: " + detail::error_text(*diagnostics);
    throw ConnectionLost(message, std::move(diagnostics));
  }
  const std::string text = detail::error_text(*diagnostics);
  throw_database_error(text, std::move(diagnostics));
}

void RowStream::finish() noexcept {
  if (finished_ || conn_ == nullptr) return;
  finished_ = true;
  auto& impl = conn_->impl();
  impl.streaming = false;
  current_ = Result();
  if (impl.conn == nullptr) return;
  // Stop the server from sending the rest, then drain what is already on the way.
  if (auto cancel = impl.cancel_object()) {
    char error[256];
    PQcancel(cancel.get(), error, sizeof error);
  }
  while (PGresult* rest = PQgetResult(impl.conn)) PQclear(rest);
  if (PQstatus(impl.conn) == CONNECTION_BAD) impl.mark_broken("lost while abandoning a row stream");
}

}  // namespace pgkit
