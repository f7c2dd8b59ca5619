// The seam of the modules that drive libpq themselves on a pgkit connection (COPY, pipelines): a call
// gate, as libpqxx has them. Only the classes named friends below may use it, and it offers named
// operations rather than the connection's insides.
#pragma once

#include <pgkit/connection.hpp>

#include "owner.hpp"
#include "wait.hpp"

#include <libpq-fe.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace pgkit {
class CopyWriter;
class Pipeline;
}  // namespace pgkit

namespace pgkit::detail {

class CopyWriterImpl;
class CopyReaderImpl;
class PipelineEngine;
class ManyRowsWriter;

class BulkAccess {
  friend class pgkit::CopyWriter;
  friend class pgkit::Pipeline;
  friend class CopyWriterImpl;
  friend class CopyReaderImpl;
  friend class PipelineEngine;
  friend class ManyRowsWriter;

  // libpq's connection (null once closed). Throws InterfaceError on a moved-from Connection.
  static PGconn* native(Connection& conn);
  // Throws when the connection cannot run a statement now (closed, lost, held).
  static void check_usable(Connection& conn);
  // Holds the connection for `owner` (check_usable first).
  static OwnerToken claim(Connection& conn, Owner owner);
  // A Waiter for an operation named `what` (which must outlive it) on this connection.
  static Waiter waiter(Connection& conn, std::optional<std::chrono::milliseconds> timeout, std::string_view what);
  // After libpq reported a failure: marks the connection broken when it is, and throws.
  [[noreturn]] static void throw_send_failure(Connection& conn, std::string_view what);
  // Marks the connection lost: every later call fails fast with ConnectionLost.
  static void mark_broken(Connection& conn, std::string reason);
  // Takes `result` into a Result that carries the session's text settings (DateStyle, ...).
  static Result make_result(Connection& conn, PGresult* result);
  // The session's text settings now, for values read outside a Result (COPY).
  static std::shared_ptr<const TextSettings> text_settings(Connection& conn);
  // Reads every result of what was sent, within `waiter`; throws the first error.
  static Result collect(Connection& conn, Waiter& waiter);
  // A simple-protocol statement, within `timeout` (else the connection's query_timeout).
  static Result command(Connection& conn, std::string_view sql, std::optional<std::chrono::milliseconds> timeout);
  // Parses and describes `sql` as the unnamed statement in one round trip, within `timeout` (else the
  // connection's query_timeout): its columns.
  static Result describe(Connection& conn, std::string_view sql, std::optional<std::chrono::milliseconds> timeout);
  // For whoever lends the connection (the pool): a statement was sent, or failed.
  static void note_statement(Connection& conn, std::string_view sql) noexcept;
  static void note_prepared_statement(Connection& conn) noexcept;  // one that leaves no session state
  static void note_failure(Connection& conn, std::string_view sqlstate) noexcept;
  // Connection::statements_sent(): call after each successful libpq send of a statement to run (a COPY, a
  // pipeline item; not a prepare).
  static void count_sent(Connection& conn) noexcept;
};

}  // namespace pgkit::detail
