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
  int max_attempts = 5;
  std::chrono::milliseconds initial_backoff{5};
  std::chrono::milliseconds max_backoff{500};
  double multiplier = 2.0;
  TransactionOptions transaction;
};

namespace detail {
// Sleeps before attempt `attempt` (1-based): a random time up to min(max, initial * multiplier^(attempt-1)).
void backoff_before_retry(const RetryOptions& options, int attempt);
void validate(const RetryOptions& options);
}  // namespace detail

// Runs fn(connection) in a transaction and commits; on SerializationFailure or DeadlockDetected (raised
// by fn or by the commit) rolls back, waits a capped exponential backoff with full jitter, and runs fn
// again, up to max_attempts times. Other exceptions roll back and propagate at once. Inside an outer
// transaction nothing is retried: the outer transaction is doomed anyway, so the error propagates.
template <class F>
auto transact(Connection& connection, F&& fn, const RetryOptions& options = {}) {
  detail::validate(options);
  const bool retryable = connection.transaction_depth() == 0 &&
                         connection.transaction_status() == TransactionStatus::idle;
  for (int attempt = 1;; ++attempt) {
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
    } catch (const TransactionRollback& e) {
      const bool transient = dynamic_cast<const SerializationFailure*>(&e) != nullptr ||
                             dynamic_cast<const DeadlockDetected*>(&e) != nullptr;
      if (!transient || !retryable || attempt >= options.max_attempts) throw;
    }
    detail::backoff_before_retry(options, attempt);
  }
}

}  // namespace pgkit
