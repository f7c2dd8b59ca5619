// Errors are typed by SQLSTATE; transact() retries serialization failures.
#include <pgkit/connection.hpp>
#include <pgkit/transaction.hpp>

#include <fmt/format.h>

#include "example_database.hpp"

int main() {
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  conn.exec("CREATE TEMP TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL CHECK (balance >= 0))");
  conn.exec("INSERT INTO accounts VALUES (1, 100), (2, 0)");

  try {
    conn.exec("INSERT INTO accounts VALUES (1, 5)");
  } catch (const pgkit::UniqueViolation& e) {
    fmt::print("{} on {}\n", e.condition_name(), e.diagnostics().constraint_name);
  }

  int attempts = 0;
  const auto moved = pgkit::transact(
      conn,
      [&](pgkit::Connection& c) {
        ++attempts;
        c.exec("UPDATE accounts SET balance = balance - $1 WHERE id = 1", pgkit::Decimal(30));
        c.exec("UPDATE accounts SET balance = balance + $1 WHERE id = 2", pgkit::Decimal(30));
        return c.query_value<pgkit::Decimal>("SELECT balance FROM accounts WHERE id = 2");
      },
      {.transaction = {.isolation = pgkit::IsolationLevel::serializable}});
  fmt::print("moved, account 2 now has {} ({} attempt)\n", moved.str(), attempts);

  try {
    conn.exec("UPDATE accounts SET balance = balance - 1000 WHERE id = 1");
  } catch (const pgkit::CheckViolation& e) {
    fmt::print("refused: {}\n", e.diagnostics().message_primary);
  }
  return moved == pgkit::Decimal(30) ? 0 : 1;
}
