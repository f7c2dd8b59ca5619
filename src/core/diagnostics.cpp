// Diagnostics of errors and notices, and telling a lost connection from a failed statement.
#include "connection_impl.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace pgkit::detail {
namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

std::string field_or_empty(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? value : "";
}

int int_field(const PGresult* result, int code) {
  const char* value = PQresultErrorField(result, code);
  return value != nullptr ? std::atoi(value) : 0;
}

}  // namespace

std::shared_ptr<Diagnostics> diagnostics_of(const PGresult* result, PGconn* conn) {
  auto d = std::make_shared<Diagnostics>();
  if (result != nullptr) {
    d->sqlstate = field_or_empty(result, PG_DIAG_SQLSTATE);
    d->severity = field_or_empty(result, PG_DIAG_SEVERITY_NONLOCALIZED);
    d->message_primary = field_or_empty(result, PG_DIAG_MESSAGE_PRIMARY);
    d->detail = field_or_empty(result, PG_DIAG_MESSAGE_DETAIL);
    d->hint = field_or_empty(result, PG_DIAG_MESSAGE_HINT);
    d->context = field_or_empty(result, PG_DIAG_CONTEXT);
    d->schema_name = field_or_empty(result, PG_DIAG_SCHEMA_NAME);
    d->table_name = field_or_empty(result, PG_DIAG_TABLE_NAME);
    d->column_name = field_or_empty(result, PG_DIAG_COLUMN_NAME);
    d->datatype_name = field_or_empty(result, PG_DIAG_DATATYPE_NAME);
    d->constraint_name = field_or_empty(result, PG_DIAG_CONSTRAINT_NAME);
    d->internal_query = field_or_empty(result, PG_DIAG_INTERNAL_QUERY);
    d->position = int_field(result, PG_DIAG_STATEMENT_POSITION);
    d->internal_position = int_field(result, PG_DIAG_INTERNAL_POSITION);
    if (d->message_primary.empty()) d->message_primary = trimmed(PQresultErrorMessage(result));
  }
  if (d->message_primary.empty() && conn != nullptr) d->message_primary = trimmed(PQerrorMessage(conn));
  if (d->message_primary.empty()) d->message_primary = "unknown error";
  return d;
}

std::string error_text(const Diagnostics& d) {
  std::string text = d.message_primary;
  if (!d.sqlstate.empty()) text += fmt::format(" (SQLSTATE {})", d.sqlstate);
  if (!d.detail.empty()) text += "\nDETAIL: " + d.detail;
  if (!d.hint.empty()) text += "\nHINT: " + d.hint;
  return text;
}

// Whether the connection is gone. libpq reports a failed write (the server closed its end) as an error
// result without a SQLSTATE while the status still says OK, until it reads the end of the stream: for such
// an error, read what is left (a few times, since one read may stop at data before the end).
bool connection_lost(PGconn* conn, const PGresult* error) {
  if (PQstatus(conn) == CONNECTION_BAD) return true;
  if (error == nullptr || PQresultErrorField(error, PG_DIAG_SQLSTATE) != nullptr) return false;
  for (int i = 0; i < 3 && PQstatus(conn) != CONNECTION_BAD; ++i) {
    if (PQconsumeInput(conn) == 0) break;
  }
  return PQstatus(conn) == CONNECTION_BAD;
}

}  // namespace pgkit::detail
