#include "history.hpp"

#include <pgkit/backoff.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <tuple>
#include <utility>

namespace pgkit::migrate::detail {
namespace {

// `text` has a slot for the table, then one per value.
template <std::size_t... I, class... Values>
HistoryWrite history_write(std::string_view text, const sql::Identifier& table, std::index_sequence<I...>,
                           const Values&... values) {
  const sql::SQL statement(text);
  return HistoryWrite{statement.format(table, sql::Placeholder(static_cast<int>(I) + 1)...).str(), Params(values...),
                      statement.format(table, sql::Literal(values)...).str()};
}

template <class... Values>
HistoryWrite history_write(std::string_view text, const sql::Identifier& table, const Values&... values) {
  return history_write(text, table, std::index_sequence_for<Values...>{}, values...);
}

// The history table, once: what CREATE TABLE writes, what adoption adds or converts, what a read of a
// table not yet adopted takes for a column it lacks. The first three are the seed's (`required`).
struct Column {
  std::string_view name;
  std::string_view type;         // an adopted column of another type is converted to this one
  std::string_view constraints;  // in CREATE TABLE, and when the column is added to an adopted table
  std::string_view absent;       // read in its place before adoption
  bool required = false;         // a table without it is not a migration history
};
constexpr Column columns[] = {
    {"version", "bigint", "PRIMARY KEY", "", true},
    {"name", "text", "NOT NULL", "", true},
    {"checksum", "text", "NOT NULL", "", true},
    {"applied_at", "timestamptz", "NOT NULL DEFAULT now()", "NULL::timestamptz"},
    {"applied_by", "text", "NOT NULL DEFAULT current_user", "current_user"},
    {"execution_ms", "bigint", "NOT NULL DEFAULT 0", "0::bigint"},
    {"down_sql", "text", "", "NULL::text"},
    {"transactional", "boolean", "NOT NULL DEFAULT true", "true"},
    {"state", "text", "NOT NULL DEFAULT 'applied' CHECK (state IN ('applied', 'failed', 'running'))",
     "'applied'::text"},
    {"failed_statement", "integer", "", "NULL::integer"},
    {"error", "text", "", "NULL::text"},
    // A non-transactional section's progress: statements done and the checksum of their text.
    {"statements_done", "integer", "", "NULL::integer"},
    {"done_checksum", "text", "", "NULL::text"},
};

std::vector<std::string> column_field(std::string_view Column::*field) {
  std::vector<std::string> out;
  for (const auto& column : columns) out.emplace_back(column.*field);
  return out;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

History::History(const Options& options)
    : schema_(options.history_schema), name_(options.history_table), table_(options.history_schema, options.history_table) {}

History::Shape History::shape(Connection& conn) const {
  // The table's columns of the history's, and those of them whose type is not the history's.
  const auto [schema_exists, table_exists, present, mistyped] =
      conn.query_one<bool, bool, std::vector<std::string>, std::vector<std::string>>(
          "WITH t AS (SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
          "           WHERE n.nspname = $1 AND c.relname = $2),"
          " a AS (SELECT a.attname::text AS name, a.atttypid <> w.type::regtype AS mistyped FROM pg_attribute a"
          "       JOIN unnest($3::text[], $4::text[]) AS w(name, type) ON w.name = a.attname"
          "       WHERE a.attrelid = (SELECT oid FROM t) AND a.attnum > 0 AND NOT a.attisdropped)"
          " SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1), EXISTS (SELECT FROM t),"
          " (SELECT coalesce(array_agg(name), '{}') FROM a), (SELECT coalesce(array_agg(name) FILTER (WHERE mistyped),"
          " '{}') FROM a)",
          schema_, name_, column_field(&Column::name), column_field(&Column::type));
  Shape out{schema_exists, table_exists, present, mistyped};
  if (table_exists) {
    for (const auto& column : columns) {
      if (column.required && !contains(present, column.name)) {
        throw ValidationError(fmt::format("{} exists but has no column {}: it is not a migration history (choose"
                                          " another --table or --history-schema)",
                                          qualified_name(), column.name));
      }
    }
  }
  return out;
}

std::vector<std::string> History::missing_ddl(Connection& conn) const {
  const Shape shape = this->shape(conn);
  std::vector<std::string> ddl;
  if (!shape.schema_exists) ddl.push_back(sql::SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql::Identifier(schema_)).str());
  if (!shape.table_exists) {
    std::vector<std::string> definitions;
    for (const auto& c : columns) {
      definitions.push_back(fmt::format("{} {} {}", sql::Identifier(c.name).str(), c.type, c.constraints));
    }
    ddl.push_back(sql::SQL("CREATE TABLE {} (").format(table_).str() + fmt::format("{})", fmt::join(definitions, ", ")));
    return ddl;
  }
  // Adoption (the seed's schema_migrations): its varchar version sorts as text and its varchar(32)
  // checksum cannot hold a SHA-256, so mistyped columns are converted and missing ones added.
  for (const auto& c : columns) {
    const sql::Identifier column(c.name);
    if (!contains(shape.present, c.name)) {
      ddl.push_back(sql::SQL("ALTER TABLE {} ADD COLUMN {} ").format(table_, column).str() +
                    fmt::format("{} {}", c.type, c.constraints));
    } else if (contains(shape.mistyped, c.name)) {
      ddl.push_back(sql::SQL("ALTER TABLE {} ALTER COLUMN {} TYPE ").format(table_, column).str() +
                    fmt::format("{} USING {}::{}", c.type, column.str(), c.type));
    }
  }
  return ddl;
}

std::vector<HistoryRow> History::read(Connection& conn) const {
  const Shape shape = this->shape(conn);
  std::vector<HistoryRow> rows;
  if (!shape.table_exists) return rows;
  // A table not adopted yet (a status or dry run before the first write) is read with defaults for
  // the columns it lacks and with its own types cast to the history's.
  std::vector<std::string> select;
  for (const auto& c : columns) {
    select.push_back(contains(shape.present, c.name) ? fmt::format("{}::{}", sql::Identifier(c.name).str(), c.type)
                                                     : std::string(c.absent));
  }
  const auto result = conn.query<std::int64_t, std::string, std::string, std::string, std::optional<std::string>, bool,
                                 std::string, std::optional<int>, std::optional<std::string>, std::optional<int>,
                                 std::optional<std::string>>(
      sql::SQL("SELECT version, name, checksum, coalesce(applied_at::text, ''), down_sql, transactional, state,"
               " failed_statement, error, statements_done, done_checksum FROM (SELECT ")
          .str() +
      fmt::format("{}", fmt::join(select, ", ")) +
      sql::SQL(" FROM {}) AS h (").format(table_).str() + fmt::format("{}) ORDER BY version", fmt::join(column_field(&Column::name), ", ")));
  for (const auto& [version, name, checksum, applied_at, down_sql, transactional, state, failed_statement, error,
                    statements_done, done_checksum] : result) {
    rows.push_back(HistoryRow{version, name, checksum, applied_at, down_sql, transactional, state != "applied",
                              state == "running", failed_statement, error.value_or(""), statements_done.value_or(0),
                              done_checksum.value_or("")});
  }
  return rows;
}

HistoryWrite History::record_applied(const Migration& m, std::int64_t execution_ms) const {
  const bool transactional = m.up_transactional;
  return history_write("INSERT INTO {} (version, name, checksum, applied_at, applied_by, execution_ms, down_sql,"
                  " transactional, state, failed_statement, error) VALUES ({}, {}, {}, now(), current_user, {}, {},"
                  " {}, 'applied', NULL, NULL) ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum ="
                  " EXCLUDED.checksum, applied_at = now(), applied_by = current_user, execution_ms ="
                  " EXCLUDED.execution_ms, down_sql = EXCLUDED.down_sql, transactional = EXCLUDED.transactional,"
                  " state = 'applied', failed_statement = NULL, error = NULL, statements_done = NULL, done_checksum = NULL", table_, m.version, m.name, m.checksum(), execution_ms, m.down_sql, transactional);
}

HistoryWrite History::record_failed(const Migration& m, int statement, std::string_view error) const {
  return history_write("INSERT INTO {} (version, name, checksum, down_sql, transactional, state, failed_statement, error)"
                  " VALUES ({}, {}, {}, {}, false, 'failed', {}, {}) ON CONFLICT (version) DO UPDATE SET"
                  " checksum = EXCLUDED.checksum, applied_at = now(), state = 'failed', failed_statement ="
                  " EXCLUDED.failed_statement, error = EXCLUDED.error", table_, m.version, m.name, m.checksum(), m.down_sql, statement, std::string(error));
}

HistoryWrite History::record_progress(const Migration& m, int statements_done, std::string_view done_checksum) const {
  return history_write("INSERT INTO {} (version, name, checksum, down_sql, transactional, state, statements_done,"
                  " done_checksum) VALUES ({}, {}, {}, {}, false, 'running', {}, {}) ON CONFLICT (version) DO UPDATE"
                  " SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, down_sql = EXCLUDED.down_sql, state ="
                  " 'running', statements_done = EXCLUDED.statements_done, done_checksum = EXCLUDED.done_checksum,"
                  " failed_statement = NULL, error = NULL", table_, m.version, m.name, m.checksum(), m.down_sql, statements_done, std::string(done_checksum));
}

HistoryWrite History::remove(std::int64_t version) const {
  return history_write("DELETE FROM {} WHERE version = {}", table_, version);
}

HistoryWrite History::update_checksum(const Migration& m) const {
  return history_write("UPDATE {} SET checksum = {}, name = {} WHERE version = {}", table_, m.checksum(), m.name, m.version);
}

MigrationLock::MigrationLock(Connection& conn, const History& history, const Options& options) : conn_(conn) {
  key_ = conn.query_value<std::int64_t>("SELECT hashtextextended($1, 0)", history.qualified_name());
  const bool wait = !options.no_wait && options.lock_wait.count() > 0;
  std::optional<pgkit::detail::RetryClock> clock;
  if (wait) {
    clock.emplace(Backoff{.initial_delay = std::chrono::milliseconds(10),
                          .max_delay = std::chrono::milliseconds(250),
                          .deadline = options.lock_wait},
                  "migration lock wait");
  }
  const auto try_lock = [&] { return conn.query_value<bool>("SELECT pg_try_advisory_lock($1)", key_); };
  const auto give_up_at = std::chrono::steady_clock::now() + options.lock_wait;
  while (!try_lock()) {
    if (clock && clock->wait_for_next()) continue;
    // The backoff starts no attempt past the deadline; the wait promised is the whole lock_wait, so one
    // last attempt at its end.
    if (!wait || std::chrono::steady_clock::now() >= give_up_at) fail(history, options);
    std::this_thread::sleep_until(give_up_at);
    if (!try_lock()) fail(history, options);
    break;
  }
}

MigrationLock::~MigrationLock() {
  try {
    conn_.query_value<bool>("SELECT pg_advisory_unlock($1)", key_);
  } catch (const Error&) {
    // The session is gone or broken: the server released the lock with it.
  }
}

void MigrationLock::fail(const History& history, const Options& options) {
  // A bigint advisory key shows in pg_locks as classid (high half), objid (low half), objsubid 1.
  const auto holder = conn_.query_optional<int, std::string, std::string, std::string>(
      "SELECT l.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''),"
      " coalesce(a.backend_start::text, '') FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
      " WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database"
      " WHERE datname = current_database()) AND l.classid = (($1::bigint >> 32) & 4294967295)::oid"
      " AND l.objid = ($1::bigint & 4294967295)::oid AND l.objsubid = 1 LIMIT 1",
      key_);
  const std::string waited = options.no_wait || options.lock_wait.count() == 0
                                 ? std::string("not waiting (no_wait)")
                                 : fmt::format("after waiting {} ms", options.lock_wait.count());
  if (!holder) {
    throw LockTimeout(fmt::format("the migration lock of {} is held by another session, {} (the holder is no longer"
                                  " visible in pg_locks)", history.qualified_name(), waited), 0, "");
  }
  const auto& [pid, application, user, since] = *holder;
  throw LockTimeout(fmt::format("the migration lock of {} is held by pid {} (application_name '{}', user {}, session"
                                " started {}), {}",
                                history.qualified_name(), pid, application, user, since, waited),
                    pid, application);
}

}  // namespace pgkit::migrate::detail
