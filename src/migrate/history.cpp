#include "history.hpp"

#include <pgkit/backoff.hpp>

#include <fmt/format.h>

#include <tuple>

namespace pgkit::migrate::detail {
namespace {

// The columns pgkit adds to a table it adopts (the seed's has version, name, checksum, applied_at).
constexpr std::string_view added_columns[] = {
    "applied_at timestamptz NOT NULL DEFAULT now()",
    "applied_by text NOT NULL DEFAULT current_user",
    "execution_ms bigint NOT NULL DEFAULT 0",
    "down_sql text",
    "transactional boolean NOT NULL DEFAULT true",
    "state text NOT NULL DEFAULT 'applied'",
    "failed_statement integer",
    "error text",
};
constexpr int column_count = 11;

}  // namespace

History::History(const Options& options)
    : schema_(options.history_schema), name_(options.history_table), table_(options.history_schema, options.history_table) {}

std::vector<std::string> History::missing_ddl(Connection& conn) const {
  const auto [schema_exists, table_exists, columns] = conn.query_one<bool, bool, std::int64_t>(
      "SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1),"
      " EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      "         WHERE n.nspname = $1 AND c.relname = $2),"
      " (SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
      "  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2"
      "  AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY ('{version,name,checksum,applied_at,"
      "applied_by,execution_ms,down_sql,transactional,state,failed_statement,error}'))",
      schema_, name_);
  std::vector<std::string> ddl;
  if (!schema_exists) ddl.push_back(sql::SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql::Identifier(schema_)).str());
  if (!table_exists) {
    ddl.push_back(sql::SQL("CREATE TABLE {} (version bigint PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                           " applied_at timestamptz NOT NULL DEFAULT now(), applied_by text NOT NULL DEFAULT"
                           " current_user, execution_ms bigint NOT NULL DEFAULT 0, down_sql text, transactional"
                           " boolean NOT NULL DEFAULT true, state text NOT NULL DEFAULT 'applied' CHECK (state IN"
                           " ('applied', 'failed')), failed_statement integer, error text)")
                      .format(table_)
                      .str());
  } else if (columns < column_count) {
    for (auto column : added_columns) {
      ddl.push_back(sql::SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS ").format(table_).str() + std::string(column));
    }
  }
  return ddl;
}

std::vector<HistoryRow> History::read(Connection& conn) const {
  const bool exists = conn.query_value<bool>(
      "SELECT EXISTS (SELECT FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
      " WHERE n.nspname = $1 AND c.relname = $2)",
      schema_, name_);
  std::vector<HistoryRow> rows;
  if (!exists) return rows;
  const auto result = conn.query<std::int64_t, std::string, std::string, std::string, std::optional<std::string>, bool,
                                 std::string, std::optional<int>, std::optional<std::string>>(
      sql::SQL("SELECT version::bigint, name::text, checksum::text, applied_at::text, down_sql, transactional,"
               " state, failed_statement, error FROM {} ORDER BY version")
          .format(table_));
  for (const auto& [version, name, checksum, applied_at, down_sql, transactional, state, failed_statement, error] :
       result) {
    rows.push_back(HistoryRow{version, name, checksum, applied_at, down_sql, transactional, state == "failed",
                              failed_statement, error.value_or("")});
  }
  return rows;
}

std::string History::record_applied(const Migration& m, std::int64_t execution_ms) const {
  const bool transactional = m.up_transactional;
  return sql::SQL("INSERT INTO {} (version, name, checksum, applied_at, applied_by, execution_ms, down_sql,"
                  " transactional, state, failed_statement, error) VALUES ({}, {}, {}, now(), current_user, {}, {},"
                  " {}, 'applied', NULL, NULL) ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum ="
                  " EXCLUDED.checksum, applied_at = now(), applied_by = current_user, execution_ms ="
                  " EXCLUDED.execution_ms, down_sql = EXCLUDED.down_sql, transactional = EXCLUDED.transactional,"
                  " state = 'applied', failed_statement = NULL, error = NULL")
      .format(table_, sql::Literal(m.version), sql::Literal(m.name), sql::Literal(m.checksum()),
              sql::Literal(execution_ms), sql::Literal(m.down_sql), sql::Literal(transactional))
      .str();
}

std::string History::record_failed(const Migration& m, int statement, std::string_view error) const {
  return sql::SQL("INSERT INTO {} (version, name, checksum, down_sql, transactional, state, failed_statement, error)"
                  " VALUES ({}, {}, {}, {}, false, 'failed', {}, {}) ON CONFLICT (version) DO UPDATE SET"
                  " checksum = EXCLUDED.checksum, applied_at = now(), state = 'failed', failed_statement ="
                  " EXCLUDED.failed_statement, error = EXCLUDED.error")
      .format(table_, sql::Literal(m.version), sql::Literal(m.name), sql::Literal(m.checksum()),
              sql::Literal(m.down_sql), sql::Literal(statement), sql::Literal(std::string(error)))
      .str();
}

std::string History::remove(std::int64_t version) const {
  return sql::SQL("DELETE FROM {} WHERE version = {}").format(table_, sql::Literal(version)).str();
}

std::string History::update_checksum(const Migration& m) const {
  return sql::SQL("UPDATE {} SET checksum = {}, name = {} WHERE version = {}")
      .format(table_, sql::Literal(m.checksum()), sql::Literal(m.name), sql::Literal(m.version))
      .str();
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
  while (!conn.query_value<bool>("SELECT pg_try_advisory_lock($1)", key_)) {
    if (!clock || !clock->wait_for_next()) fail(history, options);
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
