#include "connection_impl.hpp"

#include "conninfo.hpp"

#include "identifier.hpp"
#include "sql_scan.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <condition_variable>
#include <thread>

namespace pgkit {
namespace detail {
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

// "host=... port=... dbname=... user=..." of what libpq will use, without the password. `parsed` is
// null for a conninfo that cannot be trusted: pieces of it may be pieces of a password.
std::string describe_target(const ConnectOptions& options, const PQconninfoOption* parsed) {
  if (parsed == nullptr) return std::string(unparsable_conninfo);
  const auto value = [&](std::string_view keyword, const std::string& override_value) -> std::string {
    if (!override_value.empty()) return override_value;
    for (auto* option = parsed; option->keyword != nullptr; ++option) {
      if (keyword == option->keyword && option->val != nullptr) return option->val;
    }
    return {};
  };
  std::string out;
  const auto add = [&](std::string_view key, const std::string& v) {
    if (v.empty()) return;
    if (!out.empty()) out += ' ';
    fmt::format_to(std::back_inserter(out), "{}={}", key, v);
  };
  add("host", value("host", options.host));
  add("port", value("port", options.port ? std::to_string(*options.port) : std::string()));
  add("dbname", value("dbname", options.dbname));
  add("user", value("user", options.user));
  return out.empty() ? std::string("(libpq defaults)") : out;
}

void notice_receiver(void* arg, const PGresult* result) {
  auto* impl = static_cast<Connection::Impl*>(arg);
  // A server restarting after a crash says so in a WARNING (57P02) just before it closes the connection;
  // kept so that the loss is reported as CrashShutdown rather than a bare EOF.
  const char* code = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (code != nullptr && std::string_view(code) == "57P02") impl->crash_notice = diagnostics_of(result, nullptr);
  if (!impl->notice_handler) return;
  try {
    impl->notice_handler(*diagnostics_of(result, nullptr));
  } catch (...) {  // a handler's exception must not unwind through libpq
  }
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

bool is_stale_statement(const Diagnostics& d) {
  return d.sqlstate == "26000" ||
         (d.sqlstate == "0A000" && d.message_primary.find("cached plan must not change result type") != std::string::npos);
}

}  // namespace

// When a wait of `timeout` from now ends; nullopt when that lies beyond what the clock can represent
// (milliseconds::max() as "no limit" must not overflow into a deadline in the past).
std::optional<Clock::time_point> deadline_after(std::chrono::milliseconds timeout) {
  const auto now = Clock::now();
  if (timeout >= std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now)) {
    return std::nullopt;
  }
  return now + timeout;
}

// poll()'s timeout for waiting until `until`: 0 to INT_MAX milliseconds.
int poll_milliseconds(Clock::time_point until) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, std::numeric_limits<int>::max()));
}

std::chrono::milliseconds checked_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) throw InterfaceError("a timeout cannot be negative");
  return timeout;
}

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

Clock::duration cancel_grace(std::chrono::milliseconds timeout) noexcept {
  return std::clamp<Clock::duration>(timeout, std::chrono::milliseconds(100), std::chrono::seconds(1));
}

AsyncCancel::AsyncCancel(std::shared_ptr<PGcancel> cancel) : shared_(std::make_shared<Shared>()) {
  std::thread([shared = shared_, cancel = std::move(cancel)] {
    if (cancel) {
      char error[256];
      PQcancel(cancel.get(), error, sizeof error);
    }
    const std::lock_guard lock(shared->mutex);
    shared->done = true;
    shared->done_cv.notify_all();
  }).detach();
}

bool AsyncCancel::wait_until(Clock::time_point deadline) {
  std::unique_lock lock(shared_->mutex);
  return shared_->done_cv.wait_until(lock, deadline, [&] { return shared_->done; });
}

}  // namespace detail

std::string redact_conninfo(std::string_view conninfo) {
  auto parsed = detail::parse_conninfo(conninfo);
  std::string out;
  for (auto* option = parsed.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || *option->val == '\0') continue;
    if (!out.empty()) out += ' ';
    const bool secret = std::string_view(option->keyword) == "password" || std::string_view(option->dispchar) == "*";
    fmt::format_to(std::back_inserter(out), "{}={}", option->keyword, secret ? "***" : option->val);
  }
  return out;
}

std::string describe_conninfo(std::string_view conninfo) {
  const auto reading = detail::read_conninfo(conninfo);
  ConnectOptions options;
  return detail::describe_target(options, reading.options.get());
}

// ---------------------------------------------------------------------------------------------------

namespace {

bool sets(const PQconninfoOption* parsed, std::string_view keyword) {
  for (auto* option = parsed; option->keyword != nullptr; ++option) {
    if (keyword == option->keyword && option->val != nullptr && *option->val != '\0') return true;
  }
  return false;
}

// What PQconnectdbParams gets: the conninfo, then each field set in `options`.
std::vector<std::pair<std::string, std::string>> connect_settings(const ConnectOptions& options,
                                                                  const PQconninfoOption* parsed) {
  std::vector<std::pair<std::string, std::string>> settings;
  // The first dbname is expanded as a conninfo string; later ones are plain values that override.
  settings.emplace_back("dbname", options.conninfo);
  const auto add = [&](const char* keyword, const std::string& value) {
    if (!value.empty()) settings.emplace_back(keyword, value);
  };
  add("host", options.host);
  add("port", options.port ? std::to_string(*options.port) : std::string());
  add("dbname", options.dbname);
  add("user", options.user);
  add("password", options.password);
  add("application_name", options.application_name);
  add("connect_timeout", options.connect_timeout ? std::to_string(options.connect_timeout->count()) : std::string());
  add("sslmode", options.sslmode);
  add("sslrootcert", options.sslrootcert);
  add("target_session_attrs", options.target_session_attrs);
  // pgkit validates and sends UTF-8 throughout, so that is the default; a client_encoding asked for in
  // the conninfo, in `parameters` or by PGCLIENTENCODING still wins.
  if (!sets(parsed, "client_encoding") && std::getenv("PGCLIENTENCODING") == nullptr) add("client_encoding", "UTF8");
  for (const auto& [keyword, value] : options.parameters) {
    if (keyword.empty()) throw InterfaceError("a connection parameter has an empty name");
    settings.emplace_back(keyword, value);
  }
  return settings;
}

}  // namespace

Connection::Impl::Impl(const ConnectOptions& options)
    : cache_options(options.statement_cache), cache(options.statement_cache.capacity), query_timeout(options.query_timeout) {
  if (query_timeout) detail::checked_timeout(*query_timeout);
  // A conninfo libpq would misread is refused before anything (DNS, the server) sees pieces of it.
  auto reading = detail::read_conninfo(options.conninfo);
  if (!reading.trusted()) {
    throw InterfaceError(fmt::format("the connection string is invalid {}: {}", detail::unparsable_conninfo,
                                     reading.problem));
  }
  auto& secrets = reading.secrets;
  if (!options.password.empty()) secrets.push_back(options.password);
  description = detail::describe_target(options, reading.options.get());
  const auto settings = connect_settings(options, reading.options.get());
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn == nullptr) throw std::bad_alloc();
  if (PQstatus(conn) != CONNECTION_OK) {
    auto diagnostics = std::make_shared<Diagnostics>();
    diagnostics->sqlstate = "08001";  // sqlclient_unable_to_establish_sqlconnection
    diagnostics->message_primary = detail::redact(PQerrorMessage(conn), secrets);
    PQfinish(conn);
    conn = nullptr;
    if (diagnostics->message_primary.find("invalid connection option") != std::string::npos ||
        diagnostics->message_primary.find("invalid URI") != std::string::npos) {
      throw InterfaceError("invalid connection parameters: " + detail::redact(diagnostics->message_primary, secrets, true));
    }
    // The message first: the order in which arguments are evaluated is unspecified.
    const std::string message = fmt::format("cannot connect to {}: {}", description, diagnostics->message_primary);
    throw ConnectionFailure(message, std::move(diagnostics));
  }
  description = fmt::format("host={} port={} dbname={} user={}", PQhost(conn), PQport(conn), PQdb(conn), PQuser(conn));
  PQsetNoticeReceiver(conn, &detail::notice_receiver, this);
}

Connection::Impl::~Impl() {
  {
    const std::lock_guard lock(cancel_state->mutex);
    cancel_state->cancel.reset();
  }
  if (conn != nullptr) PQfinish(conn);
}

void Connection::Impl::check_usable() const {
  // Lost first: pgkit closes a connection it gave up on (a server that ignored a cancel), and that is
  // a loss to report, not a close the caller asked for.
  if (broken) {
    throw ConnectionLost(
        fmt::format("the connection to {} was lost ({}); open a new one", description, broken_reason));
  }
  if (conn == nullptr) throw InterfaceError("the connection is closed");
  if (streaming) throw InterfaceError("a RowStream is reading from this connection; finish or destroy it first");
  if (in_pipeline) throw InterfaceError("a Pipeline owns this connection; finish or destroy it first");
}

void Connection::Impl::give_up_after_unanswered_cancel(std::string_view what, std::chrono::milliseconds timeout) {
  mark_broken("the server did not answer a cancel request");
  PQfinish(conn);
  conn = nullptr;
  in_pipeline = false;
  throw QueryCanceled(fmt::format("{} timed out after {} ms and the server did not answer the cancel request; "
                                  "the connection to {} was closed",
                                  what, timeout.count(), description));
}

void Connection::Impl::mark_broken(std::string reason) {
  if (broken) return;
  broken = true;
  broken_reason = std::move(reason);
  transaction_depth = 0;
}

void Connection::Impl::throw_send_failure(std::string_view what) {
  auto diagnostics = detail::diagnostics_of(nullptr, conn);
  if (PQstatus(conn) == CONNECTION_BAD) {
    mark_broken(diagnostics->message_primary);
    const std::string message = fmt::format("{}: connection lost: {}", what, diagnostics->message_primary);
    throw ConnectionLost(message, std::move(diagnostics));
  }
  throw InterfaceError(fmt::format("{}: {}", what, diagnostics->message_primary));
}

std::shared_ptr<PGcancel> Connection::Impl::cancel_object() {
  const std::lock_guard lock(cancel_state->mutex);
  if (!cancel_state->cancel && conn != nullptr) {
    cancel_state->cancel = std::shared_ptr<PGcancel>(PQgetCancel(conn), &PQfreeCancel);
  }
  return cancel_state->cancel;
}

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
    if (diagnostics->sqlstate == "57P01") throw AdminShutdown(text, std::move(diagnostics));
    if (diagnostics->sqlstate == "57P02") throw CrashShutdown(text, std::move(diagnostics));
    throw ConnectionLost(text, std::move(diagnostics));
  }
  if (visitor_failure) std::rethrow_exception(visitor_failure);
  if (error) {
    auto diagnostics = detail::diagnostics_of(error.get(), conn);
    std::string text = detail::error_text(*diagnostics);
    if (cancel && diagnostics->sqlstate == "57014") text += fmt::format(" (pgkit timeout after {} ms)", timeout->count());
    if (diagnostics->sqlstate == "25006") read_only_refused = true;
    throw_database_error(text, std::move(diagnostics));
  }
  if (copy_refused) {
    throw InterfaceError("COPY cannot run through exec(); use copy_in() or copy_out() (pgkit/copy.hpp)");
  }
  if (visitor != nullptr) return Result();
  if (!last) throw InterfaceError("the server returned no result");
  return detail::make_result(last.release(), text_settings.capture(conn));
}

Result Connection::Impl::command(std::string_view sql, std::optional<std::chrono::milliseconds> timeout) {
  check_usable();
  note_statement(sql);
  const std::string text(sql);
  if (PQsendQuery(conn, text.c_str()) == 0) throw_send_failure("cannot send the statement");
  return collect(timeout ? timeout : query_timeout);
}

void Connection::Impl::deallocate_pending() {
  auto& pending = cache.pending_deallocations();
  if (pending.empty()) return;
  // DEALLOCATE is refused inside a failed transaction: wait for a better moment.
  const auto status = PQtransactionStatus(conn);
  if (status != PQTRANS_IDLE && status != PQTRANS_INTRANS) return;
  // A statement may be gone already (the application ran DEALLOCATE ALL or DISCARD ALL): deallocating it
  // again would fail an unrelated call, and abort the transaction it runs in. So only what still exists
  // goes, in one round trip. The names are pgkit's own (pgkit_<n>), safe inside the quotes.
  std::string script = "DO $pgkit$BEGIN";
  for (const auto& name : pending) {
    script += fmt::format(" IF EXISTS (SELECT FROM pg_catalog.pg_prepared_statements WHERE name = '{}') THEN "
                          "EXECUTE 'DEALLOCATE {}'; END IF;",
                          name, detail::quote_identifier(name));
  }
  script += " END$pgkit$";
  pending.clear();
  // pgkit's own housekeeping: not a change of session state a pool should reset for.
  const bool changed_before = session_changed;
  command(script);
  session_changed = changed_before;
}

namespace {

// Types whose text form costs no more than their binary one, to produce or to read.
bool text_is_as_good(Oid type) {
  switch (type) {
    case oid::bool_:
    case oid::int2:
    case oid::int4:
    case oid::int8:
    case oid::oid:
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::name:
    case oid::char_:
    case oid::json:
    case oid::jsonb:
    case oid::xml:
    case oid::unknown:
    case oid::numeric:
      return true;
    default:
      return false;
  }
}

// Binary results, except where the columns hold numeric and nothing that binary does better:
// numeric's binary form is base 10000, which the server builds and pgkit turns back into decimal
// text, while its text form is what both ends want (measured in bench/: text is the faster choice).
Format preferred_result_format(const PGresult* description) {
  bool has_numeric = false;
  for (int i = 0, n = PQnfields(description); i < n; ++i) {
    const Oid type = PQftype(description, i);
    if (!text_is_as_good(type)) return Format::binary;
    has_numeric = has_numeric || type == oid::numeric;
  }
  return has_numeric ? Format::text : Format::binary;
}

}  // namespace

Result Connection::Impl::parse_and_describe(const std::string& name, const std::string& sql, std::span<const Oid> types) {
  // Parse and Describe in one round trip (pipeline mode).
  if (PQenterPipelineMode(conn) == 0) throw_send_failure("cannot enter pipeline mode");
  // Reads what the pipeline still owes (each command's results, then the sync) and leaves pipeline
  // mode. A connection that cannot get there is broken: marked so rather than waited on forever.
  const auto leave_pipeline = [&] {
    for (int command_ends = 0; command_ends < 8;) {
      if (PQexitPipelineMode(conn) != 0) return;
      if (PQstatus(conn) == CONNECTION_BAD) break;
      PGresult* rest = PQgetResult(conn);
      if (rest == nullptr) {
        ++command_ends;
        continue;
      }
      PQclear(rest);
    }
    mark_broken("could not leave pipeline mode after preparing a statement");
  };
  if (PQsendPrepare(conn, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()) == 0 ||
      PQsendDescribePrepared(conn, name.c_str()) == 0 || PQpipelineSync(conn) == 0) {
    leave_pipeline();
    throw_send_failure("cannot prepare the statement");
  }
  try {
    collect(query_timeout);
    Result description = collect(query_timeout);
    leave_pipeline();
    return description;
  } catch (...) {
    if (conn != nullptr) leave_pipeline();
    throw;
  }
}

void Connection::Impl::prepare_entry(detail::StatementCache::Entry& entry) {
  std::string name = fmt::format("{}{}", detail::automatic_statement_prefix, next_statement++);
  try {
    const Result description = parse_and_describe(name, entry.sql, entry.types);
    entry.result_format = preferred_result_format(description.data()->result);
  } catch (...) {
    cache.remove(entry);
    throw;
  }
  entry.name = std::move(name);
}

namespace detail {

void check_parameter_count(int expected, std::size_t given) {
  if (static_cast<std::size_t>(expected) == given) return;
  if (expected == 0) {
    throw InterfaceError(fmt::format("the statement has no parameters but {} value{} given", given,
                                     given == 1 ? " was" : "s were"));
  }
  throw InterfaceError(fmt::format("the statement uses parameters $1..${} but {} value{} given", expected, given,
                                   given == 1 ? " was" : "s were"));
}

int checked_placeholders(std::string_view sql, std::size_t given) {
  const auto scan = detail::scan_sql(sql);
  if (scan.several_statements) {
    throw InterfaceError(
        "exec() runs one statement, and this text holds several; run them one by one, or use execute_script()");
  }
  if (!scan.unterminated) check_parameter_count(scan.highest_placeholder, given);
  return scan.highest_placeholder;
}

}  // namespace detail

detail::StatementCache::Entry* Connection::Impl::send(std::string_view sql, const Params& params) {
  const auto send_unnamed = [&] {
    const std::string text(sql);
    if (PQsendQueryParams(conn, text.c_str(), static_cast<int>(params.size()), params.types().data(),
                          params.values().data(), params.lengths().data(), params.formats().data(), 1) == 0) {
      throw_send_failure("cannot send the statement");
    }
  };
  if (!cache_options.enabled) {
    detail::checked_placeholders(sql, params.size());
    note_statement(sql);
    send_unnamed();
    return nullptr;
  }
  auto* entry = cache.find(sql, params.types());
  if (entry == nullptr) {
    const int placeholders = detail::checked_placeholders(sql, params.size());
    entry = &cache.insert(sql, params.types(), placeholders);
  } else {
    detail::check_parameter_count(entry->placeholders, params.size());
  }
  used = true;
  session_changed = session_changed || entry->changes_session;
  ++entry->executions;
  if (!entry->prepared()) {
    if (entry->executions < std::max(1u, cache_options.prepare_threshold)) {
      send_unnamed();
      return nullptr;
    }
    prepare_entry(*entry);
  }
  if (PQsendQueryPrepared(conn, entry->name.c_str(), static_cast<int>(params.size()), params.values().data(),
                          params.lengths().data(), params.formats().data(),
                          static_cast<int>(entry->result_format)) == 0) {
    throw_send_failure("cannot send the statement");
  }
  return entry;
}

Result Connection::Impl::run(std::string_view sql, const Params& params,
                             std::optional<std::chrono::milliseconds> timeout, detail::RowVisitor* visitor) {
  check_usable();
  deallocate_pending();
  const bool autocommit = PQtransactionStatus(conn) == PQTRANS_IDLE;
  for (int attempt = 0;; ++attempt) {
    auto* entry = send(sql, params);
    if (visitor != nullptr && PQsetSingleRowMode(conn) == 0) {
      collect(std::nullopt);
      throw InterfaceError("cannot switch to single-row mode");
    }
    try {
      return collect(timeout ? timeout : query_timeout, visitor);
    } catch (const DatabaseError& e) {
      // The table changed under the cached plan, or someone deallocated the statement: forget it and
      // run the text again (it is prepared anew). Only outside a transaction block: inside one the
      // error has aborted the transaction already. Either error comes before any row.
      if (entry == nullptr || !detail::is_stale_statement(e.diagnostics())) throw;
      if (e.sqlstate() == "26000") entry->name.clear();  // nothing left to deallocate
      cache.remove(*entry);
      if (!autocommit || attempt > 0) throw;
    }
  }
}

Result Connection::Impl::run_prepared(const PreparedStatement& statement, const Params& params,
                                      std::optional<std::chrono::milliseconds> timeout) {
  check_usable();
  used = true;
  const auto& expected = statement.parameter_types();
  detail::check_parameter_count(static_cast<int>(expected.size()), params.size());
  // Parameters typed differently from the statement's go as text, which the server converts (and
  // range-checks) with the declared type's input function.
  std::optional<Params> converted;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Oid given = params.types()[i];
    if (given == expected[i] || given == oid::unspecified || params.values()[i] == nullptr) continue;
    if (!converted) converted = params;
    if (!converted->convert_to_text(i, expected[i])) {
      throw ConversionError(fmt::format("parameter ${} is of type {} but the statement expects {}", i + 1,
                                        type_name(given), type_name(expected[i])));
    }
  }
  const Params& sent = converted ? *converted : params;
  if (PQsendQueryPrepared(conn, statement.name().c_str(), static_cast<int>(sent.size()), sent.values().data(),
                          sent.lengths().data(), sent.formats().data(), 1) == 0) {
    throw_send_failure("cannot send the statement");
  }
  return collect(timeout ? timeout : query_timeout);
}

// ---------------------------------------------------------------------------------------------------

Connection::Connection(std::string_view conninfo) : Connection(ConnectOptions{.conninfo = std::string(conninfo)}) {}
Connection::Connection(const ConnectOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

void Connection::run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor) {
  live().run(sql, params, std::nullopt, &visitor);
}
Result Connection::run(std::string_view sql, const Params& params) { return live().run(sql, params, std::nullopt); }

Result Connection::run_prepared(const PreparedStatement& statement, const Params& params) {
  return live().run_prepared(statement, params, std::nullopt);
}
Params& Connection::scratch_params() { return live().scratch; }

void TimedConnection::run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor) {
  conn_.impl().run(sql, params, detail::checked_timeout(timeout_), &visitor);
}
Result TimedConnection::run(std::string_view sql, const Params& params) {
  return conn_.impl().run(sql, params, detail::checked_timeout(timeout_));
}

Result TimedConnection::run_prepared(const PreparedStatement& statement, const Params& params) {
  return conn_.impl().run_prepared(statement, params, detail::checked_timeout(timeout_));
}
Params& TimedConnection::scratch_params() { return conn_.impl().scratch; }

Result Connection::execute_script(std::string_view sql) { return live().command(sql); }

PreparedStatement Connection::prepare(std::string_view name, std::string_view sql) {
  live().check_usable();
  if (name.empty() || name.size() > 63 || name.find('\0') != std::string_view::npos) {
    throw InterfaceError("a prepared statement needs a name of 1 to 63 bytes without NUL");
  }
  if (name.starts_with(detail::automatic_statement_prefix)) {
    throw InterfaceError(fmt::format("prepared statement names starting with \"{}\" are reserved for pgkit's cache",
                                     detail::automatic_statement_prefix));
  }
  const auto scan = detail::scan_sql(sql);
  if (scan.several_statements) throw InterfaceError("a prepared statement holds one statement");
  // A named statement is session state a pool may have to deallocate (reset_prepared_statements).
  live().session_changed = true;
  const std::string name_text(name);
  const std::string sql_text(sql);
  if (PQsendPrepare(live().conn, name_text.c_str(), sql_text.c_str(), 0, nullptr) == 0) {
    live().throw_send_failure("cannot prepare the statement");
  }
  live().collect(live().query_timeout);
  if (PQsendDescribePrepared(live().conn, name_text.c_str()) == 0) {
    live().throw_send_failure("cannot describe the statement");
  }
  const Result description = live().collect(live().query_timeout);
  const PGresult* described = description.data()->result;
  std::vector<Oid> types;
  for (int i = 0, n = PQnparams(described); i < n; ++i) types.push_back(PQparamtype(described, i));
  return PreparedStatement(name_text, std::move(types));
}

void Connection::deallocate(const PreparedStatement& statement) {
  live().command("DEALLOCATE " + detail::quote_identifier(statement.name()));
}

void Connection::clear_statement_cache() {
  live().check_usable();
  // Not DEALLOCATE ALL: statements made with prepare() are the application's, not the cache's.
  live().cache.evict_all();
  live().deallocate_pending();  // now, or at the next chance when the transaction has failed
}

CancelHandle Connection::cancel_handle() {
  if (live().conn == nullptr) throw InterfaceError("the connection is closed");
  live().cancel_object();
  return CancelHandle(live().cancel_state);
}

bool CancelHandle::cancel(std::string* error) const {
  std::shared_ptr<PGcancel> cancel;
  {
    const std::lock_guard lock(state_->mutex);
    cancel = state_->cancel;
  }
  if (!cancel) {
    if (error != nullptr) *error = "the connection is closed";
    return false;
  }
  char buffer[256] = {};
  if (PQcancel(cancel.get(), buffer, sizeof buffer) != 0) return true;
  if (error != nullptr) *error = buffer;
  return false;
}

void Connection::listen(std::string_view channel) { live().command("LISTEN " + detail::quote_identifier(channel)); }

void Connection::unlisten(std::string_view channel) {
  live().command("UNLISTEN " + detail::quote_identifier(channel));
}

void Connection::notify(std::string_view channel, std::string_view payload) {
  detail::quote_identifier(channel);  // the same rules as LISTEN's
  exec("SELECT pg_notify($1, $2)", channel, payload);
}

namespace {

std::optional<Notification> next_notification(PGconn* conn) {
  PGnotify* notify = PQnotifies(conn);
  if (notify == nullptr) return std::nullopt;
  Notification notification{notify->relname, notify->extra != nullptr ? notify->extra : "", notify->be_pid};
  PQfreemem(notify);
  return notification;
}

}  // namespace

std::optional<Notification> Connection::wait_for_notification(std::chrono::milliseconds timeout) {
  live().check_usable();
  if (timeout.count() < 0) throw InterfaceError("the timeout cannot be negative");
  const auto deadline = detail::deadline_after(timeout);  // nullopt: wait as long as it takes
  for (;;) {
    if (PQconsumeInput(live().conn) == 0) live().throw_send_failure("waiting for notifications");
    if (auto notification = next_notification(live().conn)) return notification;
    if (deadline && detail::Clock::now() >= *deadline) return std::nullopt;
    pollfd fd{PQsocket(live().conn), POLLIN, 0};
    if (::poll(&fd, 1, deadline ? detail::poll_milliseconds(*deadline) : -1) < 0 && errno != EINTR) {
      throw OperationalError(fmt::format("poll failed: {}", std::strerror(errno)));
    }
  }
}

std::vector<Notification> Connection::take_notifications() {
  live().check_usable();
  if (PQconsumeInput(live().conn) == 0) live().throw_send_failure("reading notifications");
  std::vector<Notification> out;
  while (auto notification = next_notification(live().conn)) out.push_back(std::move(*notification));
  return out;
}

void Connection::set_notice_handler(std::function<void(const Diagnostics&)> handler) {
  live().notice_handler = std::move(handler);
}

int Connection::server_version() const { return live().conn != nullptr ? PQserverVersion(live().conn) : 0; }

std::optional<std::string> Connection::parameter_status(std::string_view name) const {
  if (live().conn == nullptr) return std::nullopt;
  const char* value = PQparameterStatus(live().conn, std::string(name).c_str());
  return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

std::string Connection::database() const { return live().conn != nullptr ? PQdb(live().conn) : ""; }
std::string Connection::user() const { return live().conn != nullptr ? PQuser(live().conn) : ""; }
std::string Connection::host() const { return live().conn != nullptr ? PQhost(live().conn) : ""; }
int Connection::backend_pid() const { return live().conn != nullptr ? PQbackendPID(live().conn) : 0; }

TransactionStatus Connection::transaction_status() const {
  if (live().conn == nullptr || live().broken) return TransactionStatus::unknown;
  switch (PQtransactionStatus(live().conn)) {
    case PQTRANS_IDLE: return TransactionStatus::idle;
    case PQTRANS_ACTIVE: return TransactionStatus::active;
    case PQTRANS_INTRANS: return TransactionStatus::in_transaction;
    case PQTRANS_INERROR: return TransactionStatus::in_error;
    default: return TransactionStatus::unknown;
  }
}

bool Connection::is_open() const noexcept {
  return impl_ && impl_->conn != nullptr && !impl_->broken && PQstatus(impl_->conn) == CONNECTION_OK;
}

std::string Connection::describe() const { return live().description; }
int Connection::transaction_depth() const noexcept { return live().transaction_depth; }

void Connection::close() noexcept {
  if (!impl_ || live().conn == nullptr) return;
  {
    const std::lock_guard lock(live().cancel_state->mutex);
    live().cancel_state->cancel.reset();
  }
  PQfinish(live().conn);
  live().conn = nullptr;
}

pg_conn* Connection::native_handle() const noexcept { return impl_ ? impl_->conn : nullptr; }

Connection::Impl& Connection::live() const {
  if (!impl_) throw InterfaceError("this Connection was moved from; use the one it was moved to");
  return *impl_;
}

// ---------------------------------------------------------------------------------------------------
// Streaming

RowStream Connection::start_stream(std::string_view sql, const Params& params) {
  live().check_usable();
  detail::checked_placeholders(sql, params.size());
  const std::string text(sql);
  if (PQsendQueryParams(live().conn, text.c_str(), static_cast<int>(params.size()), params.types().data(),
                        params.values().data(), params.lengths().data(), params.formats().data(), 1) == 0) {
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
