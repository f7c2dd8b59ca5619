// Errors are typed by SQLSTATE and say whether trying again can help; transact() retries
// serialization failures and deadlocks under a Backoff.
#include <pgkit/connection.hpp>
#include <pgkit/transaction.hpp>

#include <fmt/format.h>

#include <chrono>

#include "example_database.hpp"

int main() {
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  conn.exec("CREATE TEMP TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL CHECK (balance >= 0))");
  conn.exec("INSERT INTO accounts VALUES (1, 100), (2, 0)");

  try {
    conn.exec("INSERT INTO accounts VALUES (1, 5)");
  } catch (const pgkit::UniqueViolation& e) {
    // The same row would collide again: not transient, so no retry loop would try it twice.
    fmt::print("{} ({}) on {}, transient: {}\n", e.condition_name(), e.sqlstate(), e.diagnostics().constraint_name,
               e.is_transient());
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
      {.backoff = {.initial_delay = std::chrono::milliseconds(5),
                   .max_delay = std::chrono::milliseconds(200),
                   .jitter = 1.0,
                   .max_attempts = 8},
       .transaction = {.isolation = pgkit::IsolationLevel::serializable}});
  fmt::print("moved, account 2 now has {} ({} attempt)\n", moved.str(), attempts);

  try {
    conn.exec("UPDATE accounts SET balance = balance - 1000 WHERE id = 1");
  } catch (const pgkit::CheckViolation& e) {
    fmt::print("refused: {}\n", e.diagnostics().message_primary);
  }
  return moved == pgkit::Decimal(30) ? 0 : 1;
}
