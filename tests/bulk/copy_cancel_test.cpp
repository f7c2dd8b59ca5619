// Stopping a COPY part-way: CopyOptions::timeout, a CancelHandle from another thread, leaving a CopyRows
// range early, a CopyWriter dropped without finish(). Each leaves the table as it was and the connection
// ready for the next statement.
#include "bulk/copy_test_support.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/transaction.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <ranges>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::QueryCanceled;
using pgkit::copy_test::backend_sleeps;
using pgkit::copy_test::count_rows;
using pgkit::copy_test::eventually;
using pgkit::copy_test::expect_usable;
using ::testing::AnyOf;
using ::testing::HasSubstr;

class CopyCancel : public pgkit::testing::DatabaseTest {
 protected:
  void SetUp() override {
    // slow_at(g, at): g, after sleeping a minute when g = at (a server stuck in the middle of a COPY).
    conn.exec(
        "CREATE OR REPLACE FUNCTION slow_at(g int, at int) RETURNS int LANGUAGE plpgsql AS "
        "$$ BEGIN IF g = at THEN PERFORM pg_sleep(60); END IF; RETURN g; END $$");
  }

  // A table whose trigger sleeps a minute on the row with id 5, holding three rows already.
  void create_slow_table(const std::string& table) {
    conn.exec(fmt::format("CREATE TABLE {} (id int)", table));
    conn.exec(fmt::format("INSERT INTO {} VALUES (-1), (-2), (-3)", table));
    conn.exec(
        "CREATE OR REPLACE FUNCTION sleep_on_five() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN IF NEW.id = 5 THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END $$");
    conn.exec(
        fmt::format("CREATE TRIGGER sleepy BEFORE INSERT ON {} FOR EACH ROW EXECUTE FUNCTION sleep_on_five()", table));
  }

  // After a cancelled COPY: the next statements run whole (no cancel request left in flight to hit them).
  void expect_next_statements_run() {
    expect_usable(conn);
    EXPECT_NO_THROW(conn.exec("SELECT pg_sleep(0.2)"));
    EXPECT_EQ(conn.query_value<int>("SELECT 7"), 7);
  }

  static pgkit::CopyOptions with_timeout(std::chrono::milliseconds timeout) {
    pgkit::CopyOptions options;
    options.timeout = timeout;
    return options;
  }

  pgkit::Connection conn = connect();
};

// Another session holding an ACCESS EXCLUSIVE lock on a table, released when the test says so or, should
// the code under test not honour its timeout, after 20 s (so that a regression fails instead of hanging).
class TableLock {
 public:
  TableLock(const std::string& url, const std::string& table) : holder_(url) {
    holder_.exec("BEGIN");
    holder_.exec(fmt::format("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", table));
    thread_ = std::thread([this] {
      std::unique_lock lock(mutex_);
      released_cv_.wait_for(lock, 20s, [&] { return released_; });
      holder_.exec("ROLLBACK");
    });
  }
  TableLock(const TableLock&) = delete;
  TableLock& operator=(const TableLock&) = delete;
  ~TableLock() {
    {
      const std::lock_guard lock(mutex_);
      released_ = true;
    }
    released_cv_.notify_all();
    thread_.join();
  }

 private:
  pgkit::Connection holder_;
  std::mutex mutex_;
  std::condition_variable released_cv_;
  bool released_ = false;
  std::thread thread_;
};

TEST_F(CopyCancel, TimeoutDuringCopyOutCancelsTheQueryAndKeepsTheConnection) {
  int seen = 0;
  const int pid = conn.backend_pid();
  try {
    pgkit::copy_out<int>(
        conn, "SELECT slow_at(g, 1000) FROM generate_series(1, 100000) g", [&](int) { ++seen; }, with_timeout(500ms));
    FAIL() << "the COPY was not cancelled";
  } catch (const QueryCanceled& e) {
    EXPECT_EQ(e.sqlstate(), "57014");
    EXPECT_THAT(e.what(), AnyOf(HasSubstr("timeout"), HasSubstr("timed out"))) << e.what();
  }
  // Rows before the stuck one arrived (streamed), none after it.
  EXPECT_GT(seen, 0);
  EXPECT_LT(seen, 1000);
  // The server stopped the query (it is not still sleeping behind the caller's back).
  auto observer = connect();
  EXPECT_FALSE(backend_sleeps(observer, pid));
  expect_next_statements_run();
}

TEST_F(CopyCancel, TimeoutBeforeTheFirstRowOfCopyOut) {
  std::stringstream out;
  EXPECT_THROW(pgkit::copy_out<int>(
                   conn, "SELECT 1 FROM pg_sleep(60)", [](int) {}, with_timeout(300ms)),
               QueryCanceled);
  expect_next_statements_run();
  EXPECT_THROW(pgkit::copy_out_raw(conn, "COPY (SELECT 1 FROM pg_sleep(60)) TO STDOUT", out, with_timeout(300ms)),
               QueryCanceled);
  EXPECT_TRUE(out.str().empty());
  expect_next_statements_run();
}

TEST_F(CopyCancel, TimeoutCoversWaitingForALockOnTheTable) {
  conn.exec("CREATE TABLE locked (id int)");
  conn.exec("INSERT INTO locked VALUES (1)");
  {
    const TableLock lock(database_url(), "locked");
    EXPECT_THROW(pgkit::copy_in(conn, "locked", {"id"}, std::vector<int>{2, 3}, with_timeout(300ms)), QueryCanceled);
    expect_usable(conn);
    EXPECT_THROW(pgkit::copy_out<int>(
                     conn, "SELECT id FROM locked", [](int) {}, with_timeout(300ms)),
                 QueryCanceled);
    expect_usable(conn);
    std::stringstream in("4\n5\n");
    EXPECT_THROW(pgkit::copy_in_raw(conn, "COPY locked FROM STDIN", in, with_timeout(300ms)), QueryCanceled);
    expect_usable(conn);
  }
  EXPECT_EQ(count_rows(conn, "locked"), 1);
  expect_next_statements_run();
}

TEST_F(CopyCancel, TimeoutWhileTheServerIsStuckDuringCopyIn) {
  create_slow_table("stuck_in");
  // The server sleeps on row 5 and stops reading; the client fills the socket, and the timeout must stop
  // the COPY then, not after the caller has produced and sent every remaining row.
  constexpr int total = 20'000'000;
  int written = 0;
  bool canceled_in_write = false;
  {
    pgkit::CopyWriter writer(conn, "stuck_in", {"id"}, with_timeout(500ms));
    try {
      for (; written < total; ++written) writer.write(written);
      writer.finish();
      ADD_FAILURE() << "the COPY was not cancelled";
    } catch (const QueryCanceled& e) {
      canceled_in_write = written < total;
      EXPECT_EQ(e.sqlstate(), "57014") << e.what();
      EXPECT_THAT(e.what(), AnyOf(HasSubstr("timeout"), HasSubstr("timed out"))) << e.what();
    }
  }
  EXPECT_TRUE(canceled_in_write) << "rows written before the timeout took effect: " << written;
  EXPECT_EQ(count_rows(conn, "stuck_in"), 3);
  expect_next_statements_run();
}

TEST_F(CopyCancel, TimeoutCoversTheWholeCopyInEvenWhenRowsComeSlowly) {
  conn.exec("CREATE TABLE trickle (id int)");
  pgkit::CopyOptions options = with_timeout(200ms);
  options.buffer_bytes = 64;  // rows go out every few rows
  // A source producing a row every 2 ms: 10 s in all, far beyond the timeout.
  auto slow_rows = std::views::iota(0, 5000) | std::views::transform([](int i) {
                     std::this_thread::sleep_for(2ms);
                     return i;
                   });
  EXPECT_THROW(pgkit::copy_in(conn, "trickle", {"id"}, slow_rows, options), QueryCanceled);
  EXPECT_EQ(count_rows(conn, "trickle"), 0);
  expect_next_statements_run();
}

TEST_F(CopyCancel, TimeoutThatDoesNotExpireChangesNothing) {
  conn.exec("CREATE TABLE unhurried (id int, v bigint)");
  auto rows = std::views::iota(0, 200'000) | std::views::transform([](int i) { return std::make_tuple(i, i * 2LL); });
  EXPECT_EQ(pgkit::copy_in(conn, "unhurried", {"id", "v"}, rows, with_timeout(60s)), 200'000);
  std::int64_t sum = 0;
  EXPECT_EQ(pgkit::copy_out<std::int64_t>(
                conn, "SELECT v FROM unhurried", [&](std::int64_t v) { sum += v; }, with_timeout(60s)),
            200'000);
  EXPECT_EQ(sum, 199'999LL * 200'000);
  std::stringstream text;
  EXPECT_EQ(pgkit::copy_out_raw(conn, "COPY unhurried TO STDOUT", text, with_timeout(60s)), 200'000);
  conn.exec("TRUNCATE unhurried");
  EXPECT_EQ(pgkit::copy_in_raw(conn, "COPY unhurried FROM STDIN", text, with_timeout(60s)), 200'000);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT sum(v)::bigint FROM unhurried"), sum);
}

TEST_F(CopyCancel, CancelHandleFromAnotherThreadStopsACopyOut) {
  const int pid = conn.backend_pid();
  const auto handle = conn.cancel_handle();
  std::string cancel_error;
  bool delivered = false;
  std::thread canceller([&] {
    auto observer = connect();
    if (eventually([&] { return backend_sleeps(observer, pid); })) delivered = handle.cancel(&cancel_error);
  });
  int seen = 0;
  const auto diagnostics = pgkit::testing::expect_database_error<QueryCanceled, pgkit::OperationalError>(
      [&] {
        pgkit::copy_out<int>(conn, "SELECT slow_at(g, 5000) FROM generate_series(1, 100000) g", [&](int) { ++seen; });
      },
      "57014");
  canceller.join();
  EXPECT_TRUE(delivered) << cancel_error;
  EXPECT_THAT(diagnostics.message_primary, HasSubstr("cancel"));
  EXPECT_LT(seen, 5000);
  expect_next_statements_run();
}

TEST_F(CopyCancel, CancelHandleFromAnotherThreadStopsACopyIn) {
  create_slow_table("cancelled_in");
  const int pid = conn.backend_pid();
  const auto handle = conn.cancel_handle();
  bool delivered = false;
  std::thread canceller([&] {
    auto observer = connect();
    if (eventually([&] { return backend_sleeps(observer, pid); })) delivered = handle.cancel();
  });
  std::vector<int> rows;
  for (int i = 1; i <= 10; ++i) rows.push_back(i);
  const auto diagnostics = pgkit::testing::expect_database_error<QueryCanceled, pgkit::OperationalError>(
      [&] { pgkit::copy_in(conn, "cancelled_in", {"id"}, rows); }, "57014");
  canceller.join();
  EXPECT_TRUE(delivered);
  EXPECT_THAT(diagnostics.context, HasSubstr("line 5"));  // the row the server was on
  EXPECT_EQ(count_rows(conn, "cancelled_in"), 3);
  expect_next_statements_run();
}

TEST_F(CopyCancel, LeavingCopyRowsEarlyStopsTheServer) {
  conn.exec("CREATE SEQUENCE produced");
  {
    pgkit::CopyRows<std::int64_t> rows(conn, "SELECT nextval('produced') FROM generate_series(1, 10000000)");
    std::int64_t last = 0;
    for (const std::int64_t v : rows) {
      last = v;
      if (v == 10) break;
    }
    EXPECT_EQ(last, 10);
    EXPECT_EQ(rows.stats().rows, 10);
  }
  expect_next_statements_run();
  // The server did not produce (nor did the client read) the other ten million rows.
  EXPECT_LT(conn.query_value<std::int64_t>("SELECT last_value FROM produced"), 10'000'000);

  // A range whose rows have all arrived already: leaving it early is just as clean.
  for (const int v : pgkit::CopyRows<int>(conn, "SELECT g FROM generate_series(1, 5) g")) {
    if (v == 2) break;
  }
  expect_next_statements_run();
}

TEST_F(CopyCancel, LeavingCopyRowsEarlyInsideATransactionAbortsIt) {
  conn.exec("CREATE TABLE kept (id int)");
  {
    pgkit::Transaction tx(conn);
    conn.exec("INSERT INTO kept VALUES (1)");
    for (const int v : pgkit::CopyRows<int>(conn, "SELECT g FROM generate_series(1, 10000000) g")) {
      if (v == 3) break;
    }
    // As documented: the COPY was cancelled, which aborts the transaction.
    EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
  }
  EXPECT_EQ(count_rows(conn, "kept"), 0);
  expect_next_statements_run();
}

TEST_F(CopyCancel, WriterDroppedWithoutFinishLeavesTheTableUnchanged) {
  conn.exec("CREATE TABLE dropped (id int, note text)");
  conn.exec("INSERT INTO dropped VALUES (1, 'before')");
  {
    pgkit::CopyOptions options;
    options.buffer_bytes = 512;
    pgkit::CopyWriter writer(conn, "dropped", {"id", "note"}, options);
    for (int i = 0; i < 10'000; ++i) writer.write(std::make_tuple(i, std::string("unfinished")));
    EXPECT_GT(writer.stats().bytes, 100'000U);  // most of it has reached the server
  }
  EXPECT_EQ(count_rows(conn, "dropped"), 1);
  expect_next_statements_run();

  // Dropped before any row, and dropped because an exception unwinds past it.
  { pgkit::CopyWriter writer(conn, "dropped", {"id", "note"}); }
  try {
    pgkit::CopyWriter writer(conn, "dropped", {"id", "note"});
    writer.write(std::make_tuple(2, std::string("x")));
    throw std::runtime_error("caller gives up");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(count_rows(conn, "dropped"), 1);
  expect_next_statements_run();
}

}  // namespace
