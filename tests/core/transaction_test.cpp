// Transactions: the RAII scope, savepoints, options, and pgkit::transact's retries.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/transaction.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::DatabaseTest;

// Retries without noticeable waiting: the backoff itself is not what these tests check.
pgkit::RetryOptions fast_retries(int max_attempts = 5) {
  pgkit::RetryOptions options;
  options.backoff = {.initial_delay = 0ms, .max_delay = 1ms, .max_attempts = max_attempts};
  return options;
}

class Transactions : public DatabaseTest {
 protected:
  void SetUp() override {
    conn_.emplace(connect());
    table_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    // Each test has its own table, named after the test (an identifier of letters only).
    conn().exec(
        pgkit::sql::SQL("CREATE TABLE {} (id int PRIMARY KEY, note text)").format(pgkit::sql::Identifier(table_)));
  }
  pgkit::Connection& conn() { return *conn_; }
  [[nodiscard]] pgkit::sql::Identifier table() const { return pgkit::sql::Identifier(table_); }

  void insert(pgkit::Connection& c, int id) {
    c.exec(pgkit::sql::SQL("INSERT INTO {} (id) VALUES ($1)").format(pgkit::sql::Identifier(table_)), id);
  }
  void insert(int id) { insert(conn(), id); }
  // Rows as another session sees them: only committed work counts.
  std::int64_t committed_rows() {
    auto observer = connect();
    return observer.query_value<std::int64_t>(
        pgkit::sql::SQL("SELECT count(*) FROM {}").format(pgkit::sql::Identifier(table_)));
  }
  std::int64_t visible_rows() {
    return conn().query_value<std::int64_t>(
        pgkit::sql::SQL("SELECT count(*) FROM {}").format(pgkit::sql::Identifier(table_)));
  }
  bool committed(int id) {
    auto observer = connect();
    return observer.query_value<bool>(
        pgkit::sql::SQL("SELECT EXISTS (SELECT FROM {} WHERE id = $1)").format(pgkit::sql::Identifier(table_)), id);
  }

 private:
  std::optional<pgkit::Connection> conn_;
  std::string table_;
};

TEST_F(Transactions, CommitMakesWorkVisible) {
  pgkit::Transaction tx(conn());
  EXPECT_TRUE(tx.is_active());
  EXPECT_FALSE(tx.is_savepoint());
  EXPECT_EQ(conn().transaction_depth(), 1);
  insert(1);
  EXPECT_EQ(committed_rows(), 0);
  tx.commit();
  EXPECT_FALSE(tx.is_active());
  EXPECT_EQ(conn().transaction_depth(), 0);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_TRUE(committed(1));
}

TEST_F(Transactions, ScopeExitRollsBack) {
  {
    pgkit::Transaction tx(conn());
    insert(1);
    EXPECT_EQ(visible_rows(), 1);
  }
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn().transaction_depth(), 0);
  EXPECT_EQ(visible_rows(), 0);
}

TEST_F(Transactions, ExceptionRollsBack) {
  EXPECT_THROW(
      {
        pgkit::Transaction tx(conn());
        insert(1);
        throw std::runtime_error("business rule failed");
      },
      std::runtime_error);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(Transactions, ExplicitRollback) {
  pgkit::Transaction tx(conn());
  insert(1);
  tx.rollback();
  EXPECT_FALSE(tx.is_active());
  EXPECT_EQ(visible_rows(), 0);
  EXPECT_THROW(tx.rollback(), pgkit::InterfaceError);
  EXPECT_THROW(tx.commit(), pgkit::InterfaceError);
}

TEST_F(Transactions, CommitTwiceIsAnInterfaceError) {
  pgkit::Transaction tx(conn());
  insert(1);
  tx.commit();
  EXPECT_THROW(tx.commit(), pgkit::InterfaceError);
  EXPECT_THROW(tx.rollback(), pgkit::InterfaceError);
  EXPECT_TRUE(committed(1));
}

TEST_F(Transactions, IsolationLevelsAreApplied) {
  const std::pair<pgkit::IsolationLevel, std::string> levels[] = {
      {pgkit::IsolationLevel::read_committed, "read committed"},
      {pgkit::IsolationLevel::repeatable_read, "repeatable read"},
      {pgkit::IsolationLevel::serializable, "serializable"},
  };
  for (const auto& [level, shown] : levels) {
    pgkit::Transaction tx(conn(), {.isolation = level});
    EXPECT_EQ(conn().query_value<std::string>("SHOW transaction_isolation"), shown);
    tx.commit();
  }
  // The server default follows the session's setting.
  conn().exec("SET default_transaction_isolation = 'repeatable read'");
  pgkit::Transaction tx(conn());
  EXPECT_EQ(conn().query_value<std::string>("SHOW transaction_isolation"), "repeatable read");
}

TEST_F(Transactions, RepeatableReadKeepsItsSnapshot) {
  insert(1);
  auto other = connect();
  pgkit::Transaction tx(conn(), {.isolation = pgkit::IsolationLevel::repeatable_read});
  EXPECT_EQ(visible_rows(), 1);
  insert(other, 2);
  EXPECT_EQ(visible_rows(), 1);
  tx.commit();
  EXPECT_EQ(visible_rows(), 2);
}

TEST_F(Transactions, ReadOnlyIsEnforced) {
  pgkit::Transaction tx(conn(), {.read_only = true});
  EXPECT_EQ(conn().query_value<std::string>("SHOW transaction_read_only"), "on");
  EXPECT_THROW(insert(1), pgkit::ReadOnlySqlTransaction);
  EXPECT_THROW(tx.commit(), pgkit::InFailedSqlTransaction);
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(Transactions, DeferrableSerializableReadOnly) {
  pgkit::Transaction tx(conn(),
                        {.isolation = pgkit::IsolationLevel::serializable, .read_only = true, .deferrable = true});
  EXPECT_EQ(conn().query_value<std::string>("SHOW transaction_isolation"), "serializable");
  EXPECT_EQ(conn().query_value<std::string>("SHOW transaction_read_only"), "on");
  EXPECT_EQ(conn().query_value<std::string>("SHOW transaction_deferrable"), "on");
  tx.commit();
}

TEST_F(Transactions, InnerRollbackKeepsOuterWork) {
  pgkit::Transaction outer(conn());
  insert(1);
  {
    pgkit::Transaction inner(conn());
    EXPECT_TRUE(inner.is_savepoint());
    EXPECT_EQ(conn().transaction_depth(), 2);
    insert(2);
  }
  EXPECT_EQ(conn().transaction_depth(), 1);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::in_transaction);
  insert(3);
  outer.commit();
  EXPECT_TRUE(committed(1));
  EXPECT_FALSE(committed(2));
  EXPECT_TRUE(committed(3));
}

TEST_F(Transactions, InnerCommitThenOuterRollbackLosesBoth) {
  {
    pgkit::Transaction outer(conn());
    insert(1);
    pgkit::Transaction inner(conn());
    insert(2);
    inner.commit();
    EXPECT_EQ(visible_rows(), 2);
    outer.rollback();
  }
  EXPECT_EQ(committed_rows(), 0);
}

TEST_F(Transactions, InnerRecoversFromAnErrorInsideIt) {
  pgkit::Transaction outer(conn());
  insert(1);
  {
    pgkit::Transaction inner(conn());
    EXPECT_THROW(insert(1), pgkit::UniqueViolation);
    EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::in_error);
    try {
      inner.commit();
      ADD_FAILURE() << "released a failed savepoint";
    } catch (const pgkit::InFailedSqlTransaction& e) {
      EXPECT_EQ(e.sqlstate(), "25P02");
    }
  }
  // Rolling back to the savepoint revived the outer transaction.
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::in_transaction);
  insert(2);
  outer.commit();
  EXPECT_EQ(committed_rows(), 2);
}

TEST_F(Transactions, ThreeLevelsDeep) {
  pgkit::Transaction level1(conn());
  insert(1);
  {
    pgkit::Transaction level2(conn());
    insert(2);
    {
      pgkit::Transaction level3(conn());
      EXPECT_EQ(conn().transaction_depth(), 3);
      insert(3);
      level3.commit();
    }
    level2.commit();
  }
  {
    pgkit::Transaction level2(conn());
    insert(4);
  }
  level1.commit();
  EXPECT_EQ(committed_rows(), 3);
  EXPECT_FALSE(committed(4));
}

TEST_F(Transactions, OptionsOnANestedTransactionAreRefused) {
  pgkit::Transaction outer(conn());
  insert(1);
  EXPECT_THROW(pgkit::Transaction(conn(), {.isolation = pgkit::IsolationLevel::serializable}), pgkit::InterfaceError);
  EXPECT_THROW(pgkit::Transaction(conn(), {.read_only = true}), pgkit::InterfaceError);
  EXPECT_EQ(conn().transaction_depth(), 1);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::in_transaction);
  outer.commit();
  EXPECT_TRUE(committed(1));
}

TEST_F(Transactions, OuterCannotEndBeforeInner) {
  pgkit::Transaction outer(conn());
  pgkit::Transaction inner(conn());
  EXPECT_THROW(outer.commit(), pgkit::InterfaceError);
  inner.commit();
  EXPECT_NO_THROW(outer.commit());
}

TEST_F(Transactions, CommitAfterAnErrorIsInFailedSqlTransaction) {
  pgkit::Transaction tx(conn());
  insert(1);
  EXPECT_THROW(conn().exec("SELECT 1 / 0"), pgkit::DivisionByZero);
  try {
    tx.commit();
    FAIL() << "commit of an aborted transaction succeeded";
  } catch (const pgkit::InFailedSqlTransaction& e) {
    EXPECT_EQ(e.sqlstate(), "25P02");
  }
  EXPECT_FALSE(tx.is_active());
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn().transaction_depth(), 0);
  EXPECT_EQ(committed_rows(), 0);
  insert(2);
  EXPECT_TRUE(committed(2));
}

TEST_F(Transactions, SavepointInsideATransactionBegunWithoutPgkit) {
  conn().execute_script("BEGIN");
  insert(1);
  {
    pgkit::Transaction tx(conn());
    EXPECT_TRUE(tx.is_savepoint());
    insert(2);
  }
  conn().execute_script("COMMIT");
  EXPECT_TRUE(committed(1));
  EXPECT_FALSE(committed(2));
}

TEST_F(Transactions, FailedCommitReportsDeferredConstraint) {
  conn().exec("CREATE TABLE deferred_parent (id int PRIMARY KEY)");
  conn().exec("CREATE TABLE deferred_child (parent int REFERENCES deferred_parent DEFERRABLE INITIALLY DEFERRED)");
  pgkit::Transaction tx(conn());
  conn().exec("INSERT INTO deferred_child VALUES (1)");
  EXPECT_THROW(tx.commit(), pgkit::ForeignKeyViolation);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn().query_value<std::int64_t>("SELECT count(*) FROM deferred_child"), 0);
}

// ---------------------------------------------------------------------------------------------------
// pgkit::transact

TEST_F(Transactions, TransactCommitsAndReturnsTheResult) {
  const int id = pgkit::transact(conn(), [&](pgkit::Connection& c) {
    insert(c, 5);
    return 5;
  });
  EXPECT_EQ(id, 5);
  EXPECT_TRUE(committed(5));
  EXPECT_EQ(conn().transaction_depth(), 0);
  pgkit::transact(conn(), [&](pgkit::Connection& c) { insert(c, 6); });
  EXPECT_TRUE(committed(6));
}

TEST_F(Transactions, TransactRetriesASerializationFailure) {
  int attempts = 0;
  const std::string result = pgkit::transact(
      conn(),
      [&](pgkit::Connection& c) {
        ++attempts;
        insert(c, attempts);
        if (attempts == 1) throw pgkit::SerializationFailure("simulated conflict");
        return std::string("done");
      },
      fast_retries());
  EXPECT_EQ(result, "done");
  EXPECT_EQ(attempts, 2);
  EXPECT_FALSE(committed(1));  // the failed attempt was rolled back
  EXPECT_TRUE(committed(2));
}

TEST_F(Transactions, TransactRetriesADeadlock) {
  int attempts = 0;
  pgkit::transact(
      conn(),
      [&](pgkit::Connection& c) {
        if (++attempts < 3) throw pgkit::DeadlockDetected("simulated deadlock");
        insert(c, attempts);
      },
      fast_retries());
  EXPECT_EQ(attempts, 3);
  EXPECT_TRUE(committed(3));
}

TEST_F(Transactions, TransactRetriesARealSerializationFailure) {
  insert(1);
  auto other = connect();
  int attempts = 0;
  pgkit::RetryOptions options = fast_retries();
  options.transaction.isolation = pgkit::IsolationLevel::serializable;
  const auto note = pgkit::transact(
      conn(),
      [&](pgkit::Connection& c) {
        ++attempts;
        (void)visible_rows();  // the snapshot is taken here
        if (attempts == 1) {
          // Another session changes the row after our snapshot: our update cannot serialize.
          other.exec(pgkit::sql::SQL("UPDATE {} SET note = 'other' WHERE id = 1").format(table()));
        }
        return c.query_value<std::string>(
            pgkit::sql::SQL("UPDATE {} SET note = coalesce(note, '') || '+mine' WHERE id = 1 RETURNING note")
                .format(table()));
      },
      options);
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(note, "other+mine");
}

TEST_F(Transactions, TransactDoesNotRetryOtherErrors) {
  int attempts = 0;
  EXPECT_THROW(pgkit::transact(
                   conn(),
                   [&](pgkit::Connection& c) {
                     ++attempts;
                     insert(c, 1);
                     insert(c, 1);
                   },
                   fast_retries()),
               pgkit::UniqueViolation);
  EXPECT_EQ(attempts, 1);
  attempts = 0;
  EXPECT_THROW(pgkit::transact(
                   conn(),
                   [&](pgkit::Connection& c) {
                     ++attempts;
                     insert(c, 2);
                     throw std::logic_error("not a database problem");
                   },
                   fast_retries()),
               std::logic_error);
  EXPECT_EQ(attempts, 1);
  // TransactionRollback other than serialization failures and deadlocks (40002, an integrity problem
  // found at commit) is not transient either.
  attempts = 0;
  EXPECT_THROW(pgkit::transact(
                   conn(),
                   [&](pgkit::Connection&) {
                     ++attempts;
                     throw pgkit::TransactionRollback("not transient");
                   },
                   fast_retries()),
               pgkit::TransactionRollback);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(committed_rows(), 0);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(Transactions, TransactGivesUpAfterMaxAttempts) {
  int attempts = 0;
  EXPECT_THROW(pgkit::transact(
                   conn(),
                   [&](pgkit::Connection& c) {
                     ++attempts;
                     insert(c, attempts);
                     throw pgkit::SerializationFailure("always conflicting");
                   },
                   fast_retries(3)),
               pgkit::SerializationFailure);
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(committed_rows(), 0);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(Transactions, TransactRejectsInvalidRetryOptions) {
  int calls = 0;
  const auto body = [&](pgkit::Connection&) { ++calls; };
  const auto refused = [&](const std::function<void(pgkit::Backoff&)>& change, const std::string& expected) {
    auto options = fast_retries();
    change(options.backoff);
    try {
      pgkit::transact(conn(), body, options);
      ADD_FAILURE() << "accepted; expected: " << expected;
    } catch (const pgkit::InterfaceError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refused([](auto& b) { b.max_attempts = 0; }, "RetryOptions::backoff: max_attempts and deadline are both 0");
  refused([](auto& b) { b.max_attempts = -2; }, "RetryOptions::backoff: max_attempts is negative (-2)");
  refused([](auto& b) { b.initial_delay = -1ms; }, "RetryOptions::backoff: initial_delay is negative (-1 ms)");
  refused([](auto& b) { b.initial_delay = 100ms, b.max_delay = 10ms; },
          "max_delay (10 ms) is smaller than initial_delay");
  refused([](auto& b) { b.multiplier = 0.5; }, "multiplier must be at least 1 (got 0.5)");
  refused([](auto& b) { b.multiplier = std::numeric_limits<double>::quiet_NaN(); }, "multiplier must be at least 1");
  refused([](auto& b) { b.multiplier = std::numeric_limits<double>::infinity(); }, "multiplier must be at least 1");
  refused([](auto& b) { b.jitter = -0.1; }, "jitter must be in [0, 1]");
  refused([](auto& b) { b.deadline = -1ms; }, "deadline is negative");
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(Transactions, TransactInsideAnOuterTransactionDoesNotRetry) {
  pgkit::Transaction outer(conn());
  insert(1);
  int attempts = 0;
  EXPECT_THROW(pgkit::transact(
                   conn(),
                   [&](pgkit::Connection& c) {
                     ++attempts;
                     insert(c, 2);
                     throw pgkit::SerializationFailure("conflict");
                   },
                   fast_retries()),
               pgkit::SerializationFailure);
  EXPECT_EQ(attempts, 1);
  // The inner part was a savepoint: only its work is gone.
  EXPECT_EQ(conn().transaction_depth(), 1);
  EXPECT_EQ(visible_rows(), 1);
  outer.commit();
  EXPECT_TRUE(committed(1));
  EXPECT_FALSE(committed(2));
}

TEST_F(Transactions, TransactInsideAnOuterTransactionCommitsIntoIt) {
  pgkit::Transaction outer(conn());
  const int value = pgkit::transact(conn(), [&](pgkit::Connection& c) {
    insert(c, 1);
    return 1;
  });
  EXPECT_EQ(value, 1);
  EXPECT_EQ(committed_rows(), 0);  // released into the outer transaction, not committed yet
  outer.commit();
  EXPECT_TRUE(committed(1));
}

}  // namespace
