// One migration set over many schemas: a cheap no-op check, then bounded parallel workers over a pool.
#include <pgkit/migrate.hpp>
#include <pgkit/pool.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <exception>
#include <mutex>
#include <set>
#include <system_error>
#include <thread>

namespace pgkit::migrate {
namespace {

// The history a schema with nothing to do has: every migration applied, checksums equal, in order.
std::string expected_fingerprint(const MigrationSet& set) {
  std::string out;
  for (const auto& m : set.migrations()) out += fmt::format("{}:{}:applied,", m.version, m.checksum());
  return out;
}

SchemaResult migrate_one(Pool& pool, const MigrationSet& set, const std::string& schema, const Options& options) {
  SchemaResult result;
  result.schema = schema;
  const auto started = std::chrono::steady_clock::now();
  try {
    auto conn = pool.acquire();
    Options own = options;
    own.history_schema = schema;
    own.target_schema = schema;
    Migrator migrator(conn.connection(), set, own);
    result.applied = static_cast<int>(migrator.up().steps.size());
  } catch (const std::exception& e) {
    result.ok = false;
    result.error = e.what();
  }
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  return result;
}

}  // namespace

std::vector<std::string> schemas_needing_work(Connection& connection, const MigrationSet& set,
                                              const std::vector<std::string>& schemas, const Options& options) {
  // Which schemas have a history table at all: one catalog query.
  const auto with_table = connection.query_value<std::vector<std::string>>(
      "SELECT coalesce(array_agg(n.nspname::text), '{}') FROM pg_class c JOIN pg_namespace n ON n.oid ="
      " c.relnamespace WHERE c.relname = $1 AND c.relkind IN ('r', 'p') AND n.nspname = ANY ($2::text[])",
      options.history_table, schemas);
  // Every such schema's history in one statement: a UNION ALL of one aggregate per table. Batches of
  // 1,000 bound the locks one statement takes (a table and its index each) below the server's lock table.
  constexpr std::size_t batch = 1000;
  std::map<std::string, std::string> fingerprints;
  for (std::size_t from = 0; from < with_table.size(); from += batch) {
    std::vector<sql::Composed> parts;
    for (std::size_t i = from; i < std::min(with_table.size(), from + batch); ++i) {
      parts.push_back(sql::SQL("SELECT {} AS i, coalesce(string_agg(version::text || ':' || checksum || ':' || state,"
                               " ',' ORDER BY version) || ',', '') AS f FROM {}")
                          .format(sql::Literal(static_cast<std::int64_t>(i)),
                                  sql::Identifier(with_table[i], options.history_table)));
    }
    const auto rows = connection.query<std::int64_t, std::string>(sql::SQL(" UNION ALL ").join(parts));
    for (const auto& [i, fingerprint] : rows) fingerprints[with_table[static_cast<std::size_t>(i)]] = fingerprint;
  }
  const std::string expected = expected_fingerprint(set);
  std::vector<std::string> out;
  for (const auto& schema : schemas) {
    const auto it = fingerprints.find(schema);
    if (it == fingerprints.end() || it->second != expected) out.push_back(schema);
  }
  return out;
}

SchemasReport migrate_schemas(Pool& pool, const MigrationSet& set, const std::vector<std::string>& given,
                              const Options& options, std::size_t workers,
                              const std::function<void(const SchemaResult&, const SchemasProgress&)>& progress,
                              const std::atomic<bool>* stop) {
  if (workers == 0) throw InterfaceError("migrate_schemas: workers must be at least 1");
  // A schema named twice is migrated once (two workers on it would only wait on each other's lock).
  std::vector<std::string> schemas;
  std::set<std::string> seen;
  for (const auto& schema : given) {
    if (seen.insert(schema).second) schemas.push_back(schema);
  }
  // Empty, too long, not UTF-8: refused up front.
  for (const auto& schema : schemas) [[maybe_unused]] const sql::Identifier checked(schema);
  SchemasReport report;
  report.results.resize(schemas.size());
  std::vector<std::string> todo;
  {
    auto conn = pool.acquire();
    todo = schemas_needing_work(conn.connection(), set, schemas, options);
  }
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < schemas.size(); ++i) {
    index.emplace(schemas[i], i);
    report.results[i] = SchemaResult{schemas[i], true, true};
  }
  report.up_to_date = schemas.size() - todo.size();
  std::mutex mutex;
  std::size_t next = 0;
  SchemasProgress counts{report.up_to_date, schemas.size()};
  std::exception_ptr progress_failure;  // a throwing callback stops the run and is rethrown here
  const auto work = [&] {
    for (;;) {
      std::string schema;
      {
        std::lock_guard lock(mutex);
        if (next >= todo.size() || (stop != nullptr && stop->load()) || progress_failure) return;
        schema = todo[next++];
      }
      SchemaResult result = migrate_one(pool, set, schema, options);
      std::lock_guard lock(mutex);
      ++counts.done;
      if (!result.ok) ++report.failed;
      report.results[index[schema]] = result;
      try {
        if (progress) progress(result, counts);
      } catch (...) {
        if (!progress_failure) progress_failure = std::current_exception();
      }
    }
  };
  std::vector<std::thread> threads;
  try {
    for (std::size_t i = 0; i < std::min(workers, todo.size()); ++i) threads.emplace_back(work);
  } catch (const std::system_error&) {
    if (threads.empty()) throw;  // no thread at all; with some, they do the work
  }
  for (auto& thread : threads) thread.join();
  if (progress_failure) std::rethrow_exception(progress_failure);
  report.stopped = counts.done < schemas.size();
  return report;
}

}  // namespace pgkit::migrate
