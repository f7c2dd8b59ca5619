// Migrations: the seed's fourth application (a versioned schema_migrations table, migrations applied
// in order, each in its own transaction), with what it lacks: a real rollback and checksums checked.
#include "demo.hpp"

#include <pgkit/migrate.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace pgkit::cli::demo {
namespace {

// The demo's migration files live in a throwaway folder, removed at the end.
class DemoFolder {
 public:
  DemoFolder()
      : path_(std::filesystem::temp_directory_path() /
              fmt::format("pgkit-demo-migrations-{}-{}", ::getpid(), std::random_device{}())) {
    std::filesystem::create_directories(path_);
  }
  DemoFolder(const DemoFolder&) = delete;
  DemoFolder& operator=(const DemoFolder&) = delete;
  ~DemoFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  void write(const std::string& name, std::string_view text) const { std::ofstream(path_ / name) << text; }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

void show_status(migrate::Migrator& migrator) {
  for (const auto& entry : migrator.status()) {
    say("  {:04d} {:<22} {}", entry.version, entry.name, migrate::to_string(entry.state));
  }
}

}  // namespace

void migrations(Connection& conn) {
  heading("Migrations: versioned, checksummed, locked, reversible");
  DemoFolder folder;
  folder.write("0001_create_customers.sql",
               "-- migrate:up\nCREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
               " name text NOT NULL);\n-- migrate:down\nDROP TABLE customers;\n");
  folder.write("0002_add_customer_email.sql",
               "-- migrate:up\nALTER TABLE customers ADD COLUMN email text;\n"
               "-- migrate:down\nALTER TABLE customers DROP COLUMN email;\n");
  folder.write("0003_index_customer_email.sql",
               "-- migrate:up\n-- pgkit:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY customers_email ON customers"
               " (email);\n-- migrate:down\n-- pgkit:no-transaction\nDROP INDEX CONCURRENTLY customers_email;\n");
  migrate::Options options;
  options.history_schema = std::string(schema);
  options.target_schema = std::string(schema);
  migrate::Migrator migrator(conn, migrate::MigrationSet::from_directory(folder.path()), options);
  for (const auto& step : migrator.up().steps) say("applied {:04d} {} ({} ms)", step.version, step.name, step.elapsed.count());
  say("status (history in {}.pgkit_schema_migrations):", schema);
  show_status(migrator);

  const auto back = migrator.down_steps(1);
  say("rolled back {:04d} {} with the down section stored when it was applied", back.steps[0].version,
      back.steps[0].name);
  show_status(migrator);
  const auto again = migrator.up();
  say("re-applied {:04d} {} (CREATE INDEX CONCURRENTLY, outside a transaction)", again.steps[0].version,
      again.steps[0].name);

  folder.write("0002_add_customer_email.sql",
               "-- migrate:up\nALTER TABLE customers ADD COLUMN email varchar(320);\n"
               "-- migrate:down\nALTER TABLE customers DROP COLUMN email;\n");
  migrate::Migrator edited(conn, migrate::MigrationSet::from_directory(folder.path()), options);
  try {
    edited.validate();
    say("validate passed: the edit was not noticed (this is a bug)");
  } catch (const migrate::ValidationError& e) {
    say("someone edited an applied migration; validate says:");
    say("  {}", e.what());
  }
}

}  // namespace pgkit::cli::demo
