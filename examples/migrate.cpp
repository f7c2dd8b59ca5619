// Migrations registered in code (SQL and a C++ function) applied, shown, rolled back; the same set can
// come from a folder with MigrationSet::from_directory("migrations") (docs/migrate.md).
#include <pgkit/connection.hpp>
#include <pgkit/migrate.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>

#include "example_database.hpp"

int main() {
  namespace migrate = pgkit::migrate;
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  const pgkit::sql::Identifier schema("example_migrate");
  conn.exec(pgkit::sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema));

  migrate::MigrationSet set;
  set.add(1, "create_products",
          "CREATE TABLE products (id serial PRIMARY KEY, name varchar(100) NOT NULL, price numeric(10, 2) NOT NULL)",
          std::string("DROP TABLE products"));
  set.add(2, "add_stock", "ALTER TABLE products ADD COLUMN stock integer NOT NULL DEFAULT 0",
          std::string("ALTER TABLE products DROP COLUMN stock"));
  set.add(
      3, "seed_products",
      [](pgkit::Connection& c) {
        c.exec("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3)", "Laptop", 999.99, 10);
      },
      [](pgkit::Connection& c) { c.exec("DELETE FROM products WHERE name = $1", "Laptop"); });

  migrate::Options options;
  options.history_schema = "example_migrate";  // the history table lives beside the objects
  options.target_schema = "example_migrate";   // search_path for the run
  options.create_schemas = true;                // the first run creates the schema
  migrate::Migrator migrator(conn, set, options);
  for (const auto& step : migrator.up().steps) fmt::print("applied {} {}\n", step.version, step.name);
  for (const auto& entry : migrator.status()) {
    fmt::print("{} {} {}\n", entry.version, entry.name, migrate::to_string(entry.state));
  }
  options.dry_run = true;
  fmt::print("a dry run of rolling back the newest:\n{}",
             migrate::Migrator(conn, set, options).down_steps(1).sql);
  for (const auto& step : migrator.down_to(0).steps) fmt::print("rolled back {} {}\n", step.version, step.name);
  conn.exec(pgkit::sql::SQL("DROP SCHEMA {} CASCADE").format(schema));
}
