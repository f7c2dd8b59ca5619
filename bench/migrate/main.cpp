// pgkit-migrate-bench: one migration set (bench/migrate/migrations, 5 files) over many schemas, from
// nothing and then the no-op check, beside the seed's approach (seed_loop.py: a connection and a
// transaction per schema per migration, psycopg2) on the same server. Prints JSON lines like
// pgkit-compare: {"case": "migrate_1000_schemas", "impl": "pgkit", "seconds": ...}.
//
// Server: DATABASE_URL / PG* when set, else a throwaway embedded cluster. The Python side gets the
// conninfo through its environment (DATABASE_URL), never argv.
#include <pgkit/embedded.hpp>
#include <pgkit/migrate.hpp>
#include <pgkit/pool.hpp>
#include <pgkit/sql.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>
#include <vector>


namespace {

namespace migrate = pgkit::migrate;

struct Flags {
  int schemas = 1000;
  std::size_t workers = 4;
  std::string prefix = "bench_tenant_";
  bool python = true;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void print_case(const std::string& name, const std::string& impl, double seconds) {
  fmt::print("{{\"case\": \"{}\", \"impl\": \"{}\", \"seconds\": {:.3f}}}\n", name, impl, seconds);
  std::fflush(stdout);
}

void drop_schemas(const std::string& conninfo, const std::vector<std::string>& schemas) {
  pgkit::Connection conn(conninfo);
  // One schema per statement: a thousand in one transaction would exceed the lock table.
  for (const auto& schema : schemas) {
    conn.exec(pgkit::sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgkit::sql::Identifier(schema)));
  }
}

void check(const migrate::SchemasReport& report, int expected_applied) {
  for (const auto& r : report.results) {
    if (!r.ok) throw std::runtime_error(fmt::format("schema {}: {}", r.schema, r.error));
    if (r.applied != expected_applied) {
      throw std::runtime_error(fmt::format("schema {}: applied {}, expected {}", r.schema, r.applied, expected_applied));
    }
  }
}

// The schemas are dropped before the run: the migrator creates them.
migrate::Options options_creating_schemas() {
  migrate::Options options;
  options.create_schemas = true;
  return options;
}

void run_pgkit(const std::string& conninfo, const Flags& flags, const std::vector<std::string>& schemas) {
  const auto set = migrate::MigrationSet::from_directory(PGKIT_BENCH_MIGRATIONS_DIR);
  pgkit::PoolOptions options;
  options.connect.conninfo = conninfo;
  options.min_size = flags.workers;
  options.max_size = flags.workers;
  options.logger = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  pgkit::Pool pool(options);
  pool.wait_ready(std::chrono::seconds(10));
  drop_schemas(conninfo, schemas);

  auto start = std::chrono::steady_clock::now();
  const auto first = migrate::migrate_schemas(pool, set, schemas, options_creating_schemas(), flags.workers);
  print_case(fmt::format("migrate_{}_schemas", schemas.size()), "pgkit", seconds_since(start));
  check(first, static_cast<int>(set.migrations().size()));

  start = std::chrono::steady_clock::now();
  const auto noop = migrate::migrate_schemas(pool, set, schemas, options_creating_schemas(), flags.workers);
  print_case(fmt::format("migrate_noop_{}_schemas", schemas.size()), "pgkit", seconds_since(start));
  if (noop.up_to_date != schemas.size()) throw std::runtime_error("the no-op pass found work to do");
  drop_schemas(conninfo, schemas);
}

// seed_loop.py prints its own JSON lines; they go to our stdout as they come.
void run_seed_loop(const std::string& conninfo, const Flags& flags) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!std::string_view(*entry).starts_with("DATABASE_URL=")) env.emplace_back(*entry);
  }
  if (!conninfo.empty()) env.push_back("DATABASE_URL=" + conninfo);
  std::vector<char*> env_c;
  for (auto& e : env) env_c.push_back(e.data());
  env_c.push_back(nullptr);
  std::string program = "/usr/bin/python3";
  std::string script = PGKIT_BENCH_SEED_LOOP;
  std::string count = std::to_string(flags.schemas);
  std::string schemas_flag = "--schemas";
  char* argv[] = {program.data(), script.data(), schemas_flag.data(), count.data(), nullptr};
  pid_t pid = 0;
  std::fflush(stdout);
  if (::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv, env_c.data()) != 0) {
    throw std::runtime_error("cannot run /usr/bin/python3");
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("seed_loop.py failed");
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  CLI::App app{"pgkit-migrate-bench: one migration set over many schemas, pgkit beside the seed's loop"};
  app.add_option("--schemas", flags.schemas, "Number of schemas")->capture_default_str()->check(CLI::PositiveNumber);
  app.add_option("--workers", flags.workers, "pgkit's parallel workers (pool size)")->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--prefix", flags.prefix, "Schema name prefix")->capture_default_str();
  app.add_flag("!--no-python", flags.python, "Skip the psycopg2 seed loop");
  CLI11_PARSE(app, argc, argv);
  try {
    pgkit::embedded::ServerForThisRun server;
    std::vector<std::string> schemas;
    for (int i = 1; i <= flags.schemas; ++i) schemas.push_back(fmt::format("{}{:05d}", flags.prefix, i));
    run_pgkit(server.conninfo(), flags, schemas);
    if (flags.python) run_seed_loop(server.conninfo(), flags);
  } catch (const std::exception& e) {
    std::cerr << "pgkit-migrate-bench: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
