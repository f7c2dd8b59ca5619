// Cancelling statements, timeouts, and connections that die under the caller.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/transaction.hpp>

#include <chrono>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::backend_runs;
using pgkit::testing::DatabaseTest;
using pgkit::testing::eventually;

// Far above every timeout used here: a call returning later than this has hung.
constexpr auto kHangLimit = 20s;

class ConnectionCancel : public DatabaseTest {
 protected:
  // Kills backend `pid` from another session and waits until it is gone, so that the next call on the
  // victim deterministically meets a dead server process.
  static void terminate_backend(int pid) {
    auto admin = connect();
    ASSERT_TRUE(admin.query_value<bool>("SELECT pg_terminate_backend($1)", pid));
    ASSERT_TRUE(eventually(
        [&] { return !admin.query_value<bool>("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", pid); }));
  }
};

TEST_F(ConnectionCancel, CancelFromAnotherThreadInterruptsTheStatement) {
  auto conn = connect();
  const int pid = conn.backend_pid();
  const auto handle = conn.cancel_handle();
  bool delivered = false;
  std::string cancel_error;
  std::thread canceller([&] {
    auto observer = connect();
    if (eventually([&] { return backend_runs(observer, pid, "pg_sleep"); })) {
      delivered = handle.cancel(&cancel_error);
    }
  });
  const auto started = std::chrono::steady_clock::now();
  const auto diagnostics = pgkit::testing::expect_database_error<pgkit::QueryCanceled, pgkit::OperationalError>(
      [&] { conn.exec("SELECT pg_sleep(60)"); }, "57014");
  canceller.join();
  EXPECT_TRUE(delivered) << cancel_error;
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  EXPECT_NE(diagnostics.message_primary.find("cancel"), std::string::npos) << diagnostics.message_primary;
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionCancel, CancelWhenIdleIsHarmless) {
  auto conn = connect();
  std::string error;
  EXPECT_TRUE(conn.cancel_handle().cancel(&error)) << error;
  EXPECT_EQ(conn.query_value<int>("SELECT 2"), 2);
}

TEST_F(ConnectionCancel, CancelHandleOutlivesItsConnection) {
  auto conn = connect();
  const auto handle = conn.cancel_handle();
  conn.close();
  std::string error;
  EXPECT_FALSE(handle.cancel(&error));
  EXPECT_FALSE(error.empty());
  {
    auto temporary = connect();
    const auto orphan = temporary.cancel_handle();
    temporary = connect();  // the first session's Connection is gone
    EXPECT_FALSE(orphan.cancel());
  }
}

TEST_F(ConnectionCancel, PerCallTimeoutCancelsAndKeepsTheConnection) {
  auto conn = connect();
  const auto started = std::chrono::steady_clock::now();
  try {
    conn.with_timeout(200ms).exec("SELECT pg_sleep(60)");
    FAIL() << "the statement was not cancelled";
  } catch (const pgkit::QueryCanceled& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
    EXPECT_NE(std::string(e.what()).find("timeout"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 3"), 3);
  // A fast statement through the same timeout is unaffected.
  EXPECT_EQ(conn.with_timeout(10s).query_value<int>("SELECT 4"), 4);
}

TEST_F(ConnectionCancel, PerCallTimeoutAppliesToPreparedStatements) {
  auto conn = connect();
  const auto sleep = conn.prepare("sleep_long", "SELECT pg_sleep($1)");
  EXPECT_THROW(conn.with_timeout(200ms).exec(sleep, 60.0), pgkit::QueryCanceled);
  EXPECT_EQ(conn.query_value<int>("SELECT 5"), 5);
}

TEST_F(ConnectionCancel, QueryTimeoutOptionIsTheDefaultForEveryCall) {
  pgkit::ConnectOptions options;
  options.conninfo = database_url();
  options.query_timeout = 200ms;
  pgkit::Connection conn(options);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(conn.exec("SELECT pg_sleep(60)"), pgkit::QueryCanceled);
  EXPECT_THROW(conn.execute_script("SELECT pg_sleep(60)"), pgkit::QueryCanceled);
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  // A per-call timeout replaces the default.
  EXPECT_NO_THROW(conn.with_timeout(30s).exec("SELECT pg_sleep(0.5)"));
  EXPECT_EQ(conn.query_value<int>("SELECT 6"), 6);
}

TEST_F(ConnectionCancel, TimeoutInsideATransactionAbortsIt) {
  auto conn = connect();
  conn.exec("CREATE TABLE timeout_tx (id int)");
  pgkit::Transaction tx(conn);
  conn.exec("INSERT INTO timeout_tx VALUES (1)");
  EXPECT_THROW(conn.with_timeout(200ms).exec("SELECT pg_sleep(60)"), pgkit::QueryCanceled);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
  EXPECT_THROW(tx.commit(), pgkit::InFailedSqlTransaction);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM timeout_tx"), 0);
}

TEST_F(ConnectionCancel, TerminatedBackendRaisesConnectionLostThenFailsFast) {
  auto conn = connect();
  terminate_backend(conn.backend_pid());
  try {
    conn.exec("SELECT 1");
    FAIL() << "a statement ran on a terminated session";
  } catch (const pgkit::ConnectionLost& e) {
    // The server usually gets to say why (57P01, AdminShutdown); a bare EOF is also a lost connection.
    if (!e.sqlstate().empty()) {
      EXPECT_EQ(e.sqlstate(), "57P01");
      EXPECT_NE(dynamic_cast<const pgkit::AdminShutdown*>(&e), nullptr) << e.what();
    }
  }
  EXPECT_FALSE(conn.is_open());
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::unknown);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::ConnectionLost);
  EXPECT_THROW(conn.execute_script("SELECT 1"), pgkit::ConnectionLost);
  EXPECT_THROW(conn.prepare("after_death", "SELECT 1"), pgkit::ConnectionLost);
  EXPECT_THROW(pgkit::Transaction{conn}, pgkit::ConnectionLost);
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
}

TEST_F(ConnectionCancel, TerminatedBackendIsAnAdminShutdown) {
  auto conn = connect();
  terminate_backend(conn.backend_pid());
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::AdminShutdown);
}

TEST_F(ConnectionCancel, TransactionOnATerminatedBackendRollsBackQuietly) {
  auto conn = connect();
  conn.exec("CREATE TABLE lost_tx (id int)");
  {
    pgkit::Transaction tx(conn);
    conn.exec("INSERT INTO lost_tx VALUES (1)");
    terminate_backend(conn.backend_pid());
    EXPECT_THROW(conn.exec("INSERT INTO lost_tx VALUES (2)"), pgkit::ConnectionLost);
    EXPECT_THROW(tx.commit(), pgkit::ConnectionLost);
  }  // the destructor must not throw on a dead connection
  auto other = connect();
  EXPECT_EQ(other.query_value<std::int64_t>("SELECT count(*) FROM lost_tx"), 0);
}

TEST_F(ConnectionCancel, StreamOnATerminatedBackendRaisesConnectionLost) {
  auto conn = connect();
  terminate_backend(conn.backend_pid());
  EXPECT_THROW(
      {
        for (const auto& row : conn.stream("SELECT 1")) (void)row;
      },
      pgkit::ConnectionLost);
  EXPECT_FALSE(conn.is_open());
}

TEST_F(ConnectionCancel, HugeTimeoutIsNoLimitAtAll) {
  auto conn = connect();
  // "Wait as long as it takes" written as the largest duration must not overflow into an instant cancel.
  EXPECT_EQ(conn.with_timeout(std::chrono::milliseconds::max()).query_value<int>("SELECT 1 FROM pg_sleep(0.1)"), 1);
  pgkit::ConnectOptions options;
  options.conninfo = database_url();
  options.query_timeout = std::chrono::milliseconds::max();
  pgkit::Connection with_default(options);
  EXPECT_EQ(with_default.query_value<int>("SELECT 2 FROM pg_sleep(0.1)"), 2);
}

TEST_F(ConnectionCancel, NegativeTimeoutIsRefused) {
  auto conn = connect();
  EXPECT_THROW(conn.with_timeout(-1ms).exec("SELECT 1"), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionCancel, AbandonedStreamsDoNotCancelLaterStatements) {
  auto conn = connect();
  // Breaking out after the last row has arrived leaves nothing to cancel: a cancel sent anyway could land
  // on the next statement.
  for (int i = 0; i < 200; ++i) {
    {
      auto stream = conn.stream("SELECT 1");
      for (const auto& row : stream) {
        (void)row;
        break;
      }
    }
    ASSERT_NO_THROW(conn.exec("SELECT pg_sleep(0.001)")) << "iteration " << i;
  }
}

}  // namespace
