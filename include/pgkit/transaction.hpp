// Transactions: an RAII scope, nested scopes as savepoints, and a helper that retries on serialization
// failures and deadlocks.
//
//   {
//     pgkit::Transaction tx(conn, {.isolation = pgkit::IsolationLevel::serializable});
//     conn.exec("UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, from);
//     conn.exec("UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, to);
//     tx.commit();
//   }  // without commit() (an exception, an early return) the scope rolls back
//
//   int id = pgkit::transact(conn, [&](pgkit::Connection& c) { return create_order(c, order); });
#pragma once

#include <pgkit/backoff.hpp>
#include <pgkit/connection.hpp>

#include <chrono>
#include <type_traits>
#include <utility>

namespace pgkit {

enum class IsolationLevel { server_default, read_committed, repeatable_read, serializable };

struct TransactionOptions {
  IsolationLevel isolation = IsolationLevel::server_default;
  bool read_only = false;
  bool deferrable = false;  // only meaningful for serializable read-only transactions
};

class Transaction {
 public:
  // BEGIN, or a SAVEPOINT when the connection is already in a transaction (then the options must be
  // the defaults: a savepoint cannot change them).
  explicit Transaction(Connection& connection, const TransactionOptions& options = {});
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  // Rolls back unless committed or rolled back already. Never throws.
  ~Transaction();

  // COMMIT (or RELEASE SAVEPOINT). Throws InFailedSqlTransaction when an earlier error aborted the
  // transaction (the server then rolls back instead), and the server's error when COMMIT fails
  // (e.g. SerializationFailure, a deferred constraint).
  void commit();
  // ROLLBACK (or ROLLBACK TO SAVEPOINT).
  void rollback();

  [[nodiscard]] bool is_savepoint() const noexcept { return depth_ > 1 || nested_in_foreign_; }
  [[nodiscard]] bool is_active() const noexcept { return active_; }
  [[nodiscard]] Connection& connection() const noexcept { return conn_; }

 private:
  Connection& conn_;
  int depth_ = 0;
  bool nested_in_foreign_ = false;  // a savepoint inside a transaction begun without pgkit
  bool active_ = false;
};

struct RetryOptions {
  // Short waits: a serialization conflict is usually over as soon as the other transaction ends.
  Backoff backoff{.initial_delay = std::chrono::milliseconds(5),
                  .max_delay = std::chrono::milliseconds(500),
                  .jitter = 1.0,
                  .max_attempts = 5};
  TransactionOptions transaction;
};

// Runs fn(connection) in a transaction and commits. When fn or the commit throws an error that is
// transient, safe to retry and leaves the connection usable (in practice SerializationFailure and
// DeadlockDetected: the server rolled the transaction back), rolls back, waits options.backoff and runs
// fn again, until backoff.max_attempts or backoff.deadline. Other exceptions roll back and propagate at
// once. Inside an outer transaction nothing is retried: the outer transaction is doomed anyway, so the
// error propagates. InterfaceError (naming the field) for an invalid backoff.
template <class F>
auto transact(Connection& connection, F&& fn, const RetryOptions& options = {}) {
  detail::RetryClock retries(options.backoff, "RetryOptions::backoff");
  const bool retryable = connection.transaction_depth() == 0 &&
                         connection.transaction_status() == TransactionStatus::idle;
  for (;;) {
    try {
      Transaction tx(connection, retryable ? options.transaction : TransactionOptions{});
      if constexpr (std::is_void_v<std::invoke_result_t<F&, Connection&>>) {
        fn(connection);
        tx.commit();
        return;
      } else {
        auto result = fn(connection);
        tx.commit();
        return result;
      }
    } catch (const Error& e) {
      // The same connection runs the next attempt, so it must have survived.
      const bool again = e.is_transient() && e.safe_to_retry() && !e.poisons_connection();
      if (!retryable || !again || !retries.wait_for_next()) throw;
    }
  }
}

}  // namespace pgkit
