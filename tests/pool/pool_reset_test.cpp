// What one borrower leaves in a session never reaches the next: settings, role, listeners, locks, temp
// tables, cursors, open and failed transactions. Every test uses a pool of one connection and checks
// that the next borrower really got the same session (same backend pid).
#include "pool/pool_test_support.hpp"

#include <pgkit/pool.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <string>

namespace {

using namespace std::chrono_literals;
using pgkit::Connection;
using pgkit::Pool;
using pgkit::PoolOptions;
using pgkit::testing::DatabaseTest;
using pgkit::testing::pool_options;

class PoolReset : public DatabaseTest {
 protected:
  static PoolOptions one_connection(pgkit::ResetPolicy reset = pgkit::ResetPolicy::when_changed) {
    auto options = pool_options(database_url());
    options.min_size = 1;
    options.max_size = 1;
    options.reset = reset;
    return options;
  }

  // Lends the pool's connection to `change`, then to `check`, which must get the same session.
  static void borrow_twice(Pool& pool, const std::function<void(Connection&)>& change,
                           const std::function<void(Connection&)>& check) {
    int pid = 0;
    {
      auto conn = pool.acquire();
      pid = conn->backend_pid();
      change(*conn);
    }
    auto conn = pool.acquire();
    ASSERT_EQ(conn->backend_pid(), pid) << "the next borrower must get the same session";
    EXPECT_EQ(conn->transaction_status(), pgkit::TransactionStatus::idle);
    check(*conn);
  }

  static std::string show(Connection& conn, const std::string& setting) {
    return conn.query_value<std::string>("SELECT current_setting($1)", setting);
  }

  // The first borrower runs `call`, which sets `setting` to `value` inside a function, out of sight of
  // the statement's text; the next borrower must see the setting as it was.
  static void expect_set_in_a_function_is_undone(Pool& pool, const std::string& call, const std::string& setting,
                                                 const std::string& value) {
    std::string original;
    borrow_twice(
        pool,
        [&](Connection& conn) {
          original = show(conn, setting);
          ASSERT_NE(original, value);
          conn.exec(call);
          ASSERT_EQ(show(conn, setting), value);
        },
        [&](Connection& conn) { EXPECT_EQ(show(conn, setting), original); });
  }
};

TEST_F(PoolReset, SearchPathSetByABorrowerIsReset) {
  Pool pool(one_connection());
  std::string original;
  borrow_twice(
      pool,
      [&](Connection& conn) {
        original = show(conn, "search_path");
        conn.exec("SET search_path TO pg_catalog");
        ASSERT_EQ(show(conn, "search_path"), "pg_catalog");
      },
      [&](Connection& conn) { EXPECT_EQ(show(conn, "search_path"), original); });
  EXPECT_EQ(pool.metrics().resets, 1u);
}

TEST_F(PoolReset, SetConfigIsReset) {
  Pool pool(one_connection());
  std::string original;
  borrow_twice(
      pool,
      [&](Connection& conn) {
        original = show(conn, "search_path");
        conn.query_value<std::string>("SELECT set_config('search_path', 'pg_catalog', false)");
        ASSERT_EQ(show(conn, "search_path"), "pg_catalog");
      },
      [&](Connection& conn) { EXPECT_EQ(show(conn, "search_path"), original); });
}

TEST_F(PoolReset, StatementTimeoutIsReset) {
  Pool pool(one_connection());
  borrow_twice(
      pool,
      [&](Connection& conn) {
        conn.exec("SET statement_timeout = '1234ms'");
        ASSERT_EQ(show(conn, "statement_timeout"), "1234ms");
      },
      [&](Connection& conn) { EXPECT_EQ(show(conn, "statement_timeout"), "0"); });
}

TEST_F(PoolReset, RoleAndSessionAuthorizationAreReset) {
  pgkit::testing::ScopedRole role("pool_role");  // cluster-wide: a unique name, dropped at the end
  {
    Pool pool(one_connection());
    const auto set_role = pgkit::sql::SQL("SET ROLE {}").format(pgkit::sql::Identifier(role.name()));
    const auto set_authorization =
        pgkit::sql::SQL("SET SESSION AUTHORIZATION {}").format(pgkit::sql::Identifier(role.name()));
    for (const auto* statement : {&set_role, &set_authorization}) {
      std::string session_user;
      borrow_twice(
          pool,
          [&](Connection& conn) {
            session_user = conn.query_value<std::string>("SELECT session_user::text");
            conn.exec(*statement);
            ASSERT_EQ(conn.query_value<std::string>("SELECT current_user::text"), role.name());
          },
          [&](Connection& conn) {
            EXPECT_EQ(conn.query_value<std::string>("SELECT current_user::text"), session_user);
            EXPECT_EQ(conn.query_value<std::string>("SELECT session_user::text"), session_user);
          });
    }
  }
}

TEST_F(PoolReset, ListenersAreRemoved) {
  Pool pool(one_connection());
  auto notifier = connect();
  borrow_twice(
      pool,
      [&](Connection& conn) {
        conn.exec("LISTEN pool_reset_a");
        conn.listen("pool_reset_b");
        ASSERT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_listening_channels()"), 2);
      },
      [&](Connection& conn) {
        EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_listening_channels()"), 0);
        notifier.notify("pool_reset_a", "for the previous borrower");
        EXPECT_FALSE(conn.wait_for_notification(200ms).has_value());
      });
}

TEST_F(PoolReset, SessionAdvisoryLocksAreReleased) {
  Pool pool(one_connection());
  auto other = connect();
  borrow_twice(
      pool,
      [&](Connection& conn) {
        conn.exec("SELECT pg_advisory_lock(424242)");
        ASSERT_FALSE(other.query_value<bool>("SELECT pg_try_advisory_lock(424242)"));
      },
      [&](Connection& conn) {
        EXPECT_EQ(conn.query_value<std::int64_t>(
                      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"),
                  0);
        EXPECT_TRUE(other.query_value<bool>("SELECT pg_try_advisory_lock(424242)"));
      });
}

TEST_F(PoolReset, TempTablesAreDropped) {
  Pool pool(one_connection());
  borrow_twice(
      pool,
      [&](Connection& conn) {
        conn.exec("CREATE TEMP TABLE pool_scratch (v int)");
        conn.exec("INSERT INTO pool_scratch VALUES (1)");
      },
      [&](Connection& conn) {
        EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_class WHERE relname = 'pool_scratch'"), 0);
        conn.exec("CREATE TEMP TABLE pool_scratch (v int)");  // the name is free again
      });
}

TEST_F(PoolReset, TempViewsMadeWithOrReplaceAreDropped) {
  Pool pool(one_connection());
  borrow_twice(
      pool, [&](Connection& conn) { conn.exec("CREATE OR REPLACE TEMP VIEW pool_scratch_view AS SELECT 1 AS v"); },
      [&](Connection& conn) {
        EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_class WHERE relname = 'pool_scratch_view'"),
                  0);
      });
  EXPECT_EQ(pool.metrics().resets, 1u);
}

TEST_F(PoolReset, HoldableCursorsAreClosed) {
  Pool pool(one_connection());
  borrow_twice(
      pool,
      [&](Connection& conn) {
        conn.exec("DECLARE pool_cursor CURSOR WITH HOLD FOR SELECT generate_series(1, 3)");
        ASSERT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_cursors WHERE name = 'pool_cursor'"), 1);
      },
      [&](Connection& conn) {
        EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_cursors WHERE name = 'pool_cursor'"), 0);
        conn.exec("DECLARE pool_cursor CURSOR WITH HOLD FOR SELECT 1");  // the name is free again
      });
}

TEST_F(PoolReset, AnOpenTransactionIsRolledBack) {
  connect().exec("CREATE TABLE pool_open_tx (v int)");
  Pool pool(one_connection());
  borrow_twice(
      pool,
      [&](Connection& conn) {
        conn.exec("BEGIN");
        conn.exec("INSERT INTO pool_open_tx VALUES (1)");
        ASSERT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
      },
      [&](Connection& conn) { EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pool_open_tx"), 0); });
  EXPECT_EQ(connect().query_value<std::int64_t>("SELECT count(*) FROM pool_open_tx"), 0);
  const auto metrics = pool.metrics();
  EXPECT_EQ(metrics.rollbacks, 1u);
  EXPECT_EQ(metrics.resets, 0u) << "a transaction alone needs a rollback, not a reset";
}

TEST_F(PoolReset, AFailedTransactionIsRolledBack) {
  connect().exec("CREATE TABLE pool_failed_tx (v int)");
  Pool pool(one_connection());
  borrow_twice(
      pool,
      [&](Connection& conn) {
        conn.exec("BEGIN");
        conn.exec("INSERT INTO pool_failed_tx VALUES (1)");
        EXPECT_THROW(conn.exec("SELECT 1/0"), pgkit::DivisionByZero);
        ASSERT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
      },
      [&](Connection& conn) { EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pool_failed_tx"), 0); });
  EXPECT_EQ(pool.metrics().rollbacks, 1u);
  EXPECT_EQ(pool.metrics().connections_broken, 0u) << "a failed transaction is not a broken connection";
}

TEST_F(PoolReset, AHandleWorksAcrossTransact) {
  connect().exec("CREATE TABLE pool_transact (v int)");
  Pool pool(one_connection());
  {
    auto conn = pool.acquire();
    const auto count = pgkit::transact(*conn, [](Connection& c) {
      c.exec("INSERT INTO pool_transact VALUES (1), (2)");
      return c.query_value<std::int64_t>("SELECT count(*) FROM pool_transact");
    });
    EXPECT_EQ(count, 2);
    EXPECT_EQ(connect().query_value<std::int64_t>("SELECT count(*) FROM pool_transact"), 2) << "not committed";
    EXPECT_THROW(pgkit::transact(*conn,
                                 [](Connection& c) {
                                   c.exec("INSERT INTO pool_transact VALUES (3)");
                                   c.exec("SELECT 1/0");
                                 }),
                 pgkit::DivisionByZero);
    EXPECT_EQ(conn->transaction_depth(), 0);
    EXPECT_EQ(conn->transaction_status(), pgkit::TransactionStatus::idle);
    // The pooled handle itself runs statements too, on the same session.
    EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pool_transact"), 2);
  }
  auto conn = pool.acquire();
  EXPECT_EQ(conn->transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn->query_value<std::int64_t>("SELECT count(*) FROM pool_transact"), 2);
  const auto metrics = pool.metrics();
  EXPECT_EQ(metrics.rollbacks, 0u) << "transact() ended its transactions itself";
  EXPECT_EQ(metrics.resets, 0u);
}

// The cheap path: a connection on which nothing could have changed the session goes back without a
// round trip. SET LOCAL ends with its transaction, so it needs none either.
TEST_F(PoolReset, PlainStatementsCauseNoReset) {
  Pool pool(one_connection());
  borrow_twice(
      pool,
      [&](Connection& conn) {
        EXPECT_EQ(conn.query_value<int>("SELECT $1::int + 1", 1), 2);
        conn.exec("SELECT 1 AS reset_count, 'SET x' AS settings OFFSET 0");  // words like the keywords
        conn.exec("BEGIN");
        conn.exec("SET LOCAL statement_timeout = '5s'");
        conn.exec("COMMIT");
      },
      [&](Connection& conn) { EXPECT_EQ(show(conn, "statement_timeout"), "0"); });
  EXPECT_EQ(pool.metrics().resets, 0u);
  // ...while a SET does cost one.
  borrow_twice(
      pool, [&](Connection& conn) { conn.exec("SET work_mem = '1234kB'"); },
      [&](Connection& conn) { EXPECT_NE(show(conn, "work_mem"), "1234kB"); });
  EXPECT_EQ(pool.metrics().resets, 1u);
}

// A setting changed inside a function is not in the statement's text. When the server reports the
// setting (TimeZone is one), the pool still notices it on return and resets.
TEST_F(PoolReset, AReportedSettingChangedInAFunctionIsReset) {
  connect().exec(
      "CREATE FUNCTION pool_hidden_timezone() RETURNS void LANGUAGE plpgsql AS "
      "$$BEGIN PERFORM set_config('TimeZone', 'Pacific/Chatham', false); END$$");
  Pool pool(one_connection());
  expect_set_in_a_function_is_undone(pool, "SELECT pool_hidden_timezone()", "TimeZone", "Pacific/Chatham");
  EXPECT_EQ(pool.metrics().resets, 1u);
}

// ResetPolicy::always resets even what cannot be seen at all: a setting the server does not report,
// changed inside a function.
TEST_F(PoolReset, AlwaysResetsASettingChangedInsideAFunction) {
  connect().exec(
      "CREATE FUNCTION pool_hidden_work_mem() RETURNS void LANGUAGE plpgsql AS "
      "$$BEGIN PERFORM set_config('work_mem', '1234kB', false); END$$");
  Pool pool(one_connection(pgkit::ResetPolicy::always));
  expect_set_in_a_function_is_undone(pool, "SELECT pool_hidden_work_mem()", "work_mem", "1234kB");
  EXPECT_EQ(pool.metrics().resets, 2u) << "one reset per return, whatever ran";
}

// Statements prepared with SQL PREPARE survive a reset unless asked otherwise; either way pgkit's
// statement cache keeps working (it must forget what DEALLOCATE ALL removed on the server).
TEST_F(PoolReset, PreparedStatementsAndTheStatementCacheAfterAReset) {
  for (const bool deallocate : {false, true}) {
    SCOPED_TRACE(deallocate ? "reset_prepared_statements" : "prepared statements kept");
    auto options = one_connection();
    options.reset_prepared_statements = deallocate;
    Pool pool(options);
    const auto run_cached = [](Connection& conn) {
      for (int i = 0; i < 3; ++i) EXPECT_EQ(conn.query_value<int>("SELECT $1::int * 2", i), i * 2);
    };
    borrow_twice(
        pool,
        [&](Connection& conn) {
          run_cached(conn);  // prepared automatically from the second run
          conn.exec("PREPARE pool_user_statement AS SELECT 1");
          ASSERT_GE(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements"), 2);
        },
        [&](Connection& conn) {
          const auto user_statements = conn.query_value<std::int64_t>(
              "SELECT count(*) FROM pg_prepared_statements WHERE name = 'pool_user_statement'");
          EXPECT_EQ(user_statements, deallocate ? 0 : 1);
          run_cached(conn);
        });
    EXPECT_EQ(pool.metrics().resets, 1u);
  }
}

}  // namespace
