// The one wait of a connection (detail::Waiter) where it was missing before: row streams honour
// query_timeout, exec() stops a COPY ... TO STDOUT at once instead of reading it all, and whatever holds
// the connection (a RowStream here) is named when a statement is refused meanwhile. Frozen servers are
// in connection_server_test.cpp.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>

#include <gmock/gmock.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::DatabaseTest;
using ::testing::HasSubstr;

using Clock = std::chrono::steady_clock;

// Far above every timeout used here: a call returning later than this has hung.
constexpr auto kHangLimit = 20s;

class ConnectionWait : public DatabaseTest {
 protected:
  static pgkit::Connection connect_with_timeout(std::chrono::milliseconds timeout) {
    pgkit::ConnectOptions options;
    options.conninfo = database_url();
    options.query_timeout = timeout;
    return pgkit::Connection(options);
  }
};

std::chrono::milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

TEST_F(ConnectionWait, StreamHonoursQueryTimeout) {
  auto conn = connect_with_timeout(300ms);
  const auto started = Clock::now();
  auto stream = conn.stream("SELECT 1 FROM pg_sleep(60)");
  try {
    for (const auto& row : stream) (void)row;
    FAIL() << "the stream outlived its timeout";
  } catch (const pgkit::QueryCanceled& e) {
    EXPECT_THAT(e.what(), HasSubstr("pgkit timeout after 300 ms")) << e.what();
  }
  const auto took = since(started);
  std::printf("stream() with query_timeout 300 ms on pg_sleep(60): QueryCanceled after %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(stream.finished());
  // The server answered the cancel: the connection stays usable.
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionWait, StreamTimeoutCoversTheWaitBetweenRows) {
  auto conn = connect_with_timeout(300ms);
  // Rows of 100 kB, so that the server's send buffer passes the first ones on before the third sleeps.
  auto stream = conn.stream(
      "SELECT g, repeat('x', 100000), pg_sleep(CASE WHEN g = 3 THEN 60 ELSE 0 END) FROM generate_series(1, 5) AS g");
  std::size_t rows = 0;
  EXPECT_THROW(
      {
        for (const auto& row : stream) {
          EXPECT_EQ(row[0].as<int>(), static_cast<int>(++rows));
        }
      },
      pgkit::QueryCanceled);
  // Row 2's end may still sit in the server's send buffer when row 3 starts sleeping.
  EXPECT_GE(rows, 1U);
  EXPECT_LE(rows, 2U);
  EXPECT_TRUE(stream.finished());
  EXPECT_EQ(conn.query_value<int>("SELECT 2"), 2);
}

TEST_F(ConnectionWait, StreamWithoutATimeoutWaitsAsLongAsItTakes) {
  auto conn = connect();
  int rows = 0;
  for (const auto& row : conn.stream("SELECT 7 FROM pg_sleep(0.5)")) {
    EXPECT_EQ(row[0].as<int>(), 7);
    ++rows;
  }
  EXPECT_EQ(rows, 1);
}

// Refused either way; the question is how long exec() takes to say so.
std::chrono::milliseconds time_refused_copy(pgkit::TimedConnection conn, const std::string& copy) {
  const auto started = Clock::now();
  try {
    conn.exec(copy);
    ADD_FAILURE() << "exec() ran a COPY";
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("copy_out()")) << e.what();
  }
  return since(started);
}

TEST_F(ConnectionWait, ExecOfALargeCopyToStdoutIsStoppedWithinTheTimeout) {
  auto conn = connect();
  // About 20 GB, flowing at once: exec() used to read all of it, whatever the timeout.
  const auto took = time_refused_copy(conn.with_timeout(1s),
                                      "COPY (SELECT generate_series(1, 20000000), repeat('x', 1000)) TO STDOUT");
  std::printf("exec() of a 20 GB COPY TO STDOUT with a 1 s timeout: refused after %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_LT(took, 2s);  // the timeout and a grace period at most; the cancel ends it at once
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.query_value<int>("SELECT 3"), 3);
}

TEST_F(ConnectionWait, ExecOfASlowCopyToStdoutIsStoppedWithinTheTimeout) {
  auto conn = connect();
  // Ten seconds of COPY data, a row every 10 ms. The server sends nothing until its send buffer fills,
  // so the 1 s timeout's cancel is what ends it.
  const auto took = time_refused_copy(conn.with_timeout(1s),
                                      "COPY (SELECT g, pg_sleep(0.01) FROM generate_series(1, 1000) AS g) TO STDOUT");
  std::printf("exec() of a 10 s COPY TO STDOUT with a 1 s timeout: refused after %lld ms\n",
              static_cast<long long>(took.count()));
  EXPECT_LT(took, 2s);
  EXPECT_EQ(conn.query_value<int>("SELECT 4"), 4);
}

TEST_F(ConnectionWait, ExecOfAHugeCopyToStdoutIsStoppedWithoutATimeout) {
  auto conn = connect();
  const std::string copy = "COPY (SELECT generate_series(1, 20000000), repeat('x', 1000)) TO STDOUT";
  const auto started = Clock::now();
  EXPECT_THROW(conn.exec(copy), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<int>("SELECT 5"), 5);
  EXPECT_THROW(conn.execute_script(copy), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<int>("SELECT 6"), 6);
  EXPECT_LT(since(started), kHangLimit);
}

TEST_F(ConnectionWait, ExecOfCopyFromStdinIsRefused) {
  auto conn = connect();
  conn.exec("CREATE TABLE wait_copy_in (id int)");
  try {
    conn.exec("COPY wait_copy_in FROM STDIN");
    FAIL() << "exec() ran a COPY";
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("copy_in()")) << e.what();
  }
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM wait_copy_in"), 0);
}

TEST_F(ConnectionWait, ARowStreamIsNamedWhenAStatementIsRefused) {
  auto conn = connect();
  auto stream = conn.stream("SELECT g FROM generate_series(1, 3) AS g");
  try {
    conn.exec("SELECT 1");
    FAIL() << "a statement ran during a stream";
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_THAT(e.what(), HasSubstr("RowStream")) << e.what();
  }
  for (const auto& row : stream) (void)row;
  EXPECT_EQ(conn.query_value<int>("SELECT 7"), 7);
}

}  // namespace
