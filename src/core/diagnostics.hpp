// Diagnostics of errors and notices, and telling a lost connection from a failed statement.
#pragma once

#include <pgkit/errors.hpp>

#include <libpq-fe.h>

#include <memory>
#include <string>

namespace pgkit::detail {

// Diagnostics of an error result (or of the connection, when `result` is null).
std::shared_ptr<Diagnostics> diagnostics_of(const PGresult* result, PGconn* conn);
// "message (SQLSTATE xxxxx)\nDETAIL: ...\nHINT: ..."
std::string error_text(const Diagnostics& diagnostics);
// Whether the connection is gone (after `error`, the error result just read, if any).
bool connection_lost(PGconn* conn, const PGresult* error);

}  // namespace pgkit::detail
