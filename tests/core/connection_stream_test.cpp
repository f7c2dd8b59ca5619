// Streaming results row by row with Connection::stream().
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/transaction.hpp>

#include <cstdint>
#include <optional>

namespace {

using pgkit::testing::DatabaseTest;

class ConnectionStream : public DatabaseTest {};

TEST_F(ConnectionStream, ReadsAMillionRowsOneByOne) {
  auto conn = connect();
  constexpr std::int64_t kRows = 1'000'000;
  std::int64_t sum = 0;
  std::int64_t expected_next = 1;
  bool in_order = true;
  auto stream = conn.stream("SELECT g FROM generate_series(1, $1::int8) AS g", kRows);
  for (const auto& row : stream) {
    const auto value = row[0].as<std::int64_t>();
    in_order = in_order && value == expected_next;
    ++expected_next;
    sum += value;
  }
  EXPECT_TRUE(in_order);
  EXPECT_EQ(stream.rows_read(), static_cast<std::size_t>(kRows));
  EXPECT_TRUE(stream.finished());
  EXPECT_EQ(sum, kRows * (kRows + 1) / 2);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionStream, EmptyResultFinishesAtOnce) {
  auto conn = connect();
  auto stream = conn.stream("SELECT 1 WHERE false");
  int rows = 0;
  for (const auto& row : stream) {
    (void)row;
    ++rows;
  }
  EXPECT_EQ(rows, 0);
  EXPECT_TRUE(stream.finished());
  EXPECT_EQ(conn.query_value<int>("SELECT 2"), 2);
}

TEST_F(ConnectionStream, BreakingOutEarlyLeavesTheConnectionUsable) {
  auto conn = connect();
  std::size_t rows_seen = 0;
  {
    auto stream = conn.stream("SELECT g, repeat('x', 100) FROM generate_series(1, 10000000) AS g");
    for (const auto& row : stream) {
      EXPECT_EQ(row[0].as<int>(), static_cast<int>(++rows_seen));
      if (rows_seen == 10) break;
    }
    EXPECT_EQ(stream.rows_read(), 10U);
  }
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 3"), 3);
  EXPECT_TRUE(conn.is_open());
}

TEST_F(ConnectionStream, ErrorMidStreamThrowsItsClass) {
  auto conn = connect();
  auto stream = conn.stream("SELECT 1 / (1000 - g) FROM generate_series(1, 2000) AS g");
  std::size_t rows = 0;
  EXPECT_THROW(
      {
        for (const auto& row : stream) {
          (void)row;
          ++rows;
        }
      },
      pgkit::DivisionByZero);
  // generate_series is materialised first, then row 1000 divides by zero: 999 rows come before the error.
  EXPECT_EQ(rows, 999U);
  EXPECT_TRUE(stream.finished());
  EXPECT_EQ(conn.query_value<int>("SELECT 4"), 4);
}

TEST_F(ConnectionStream, OtherCallsDuringAnOpenStreamAreRefused) {
  auto conn = connect();
  {
    auto stream = conn.stream("SELECT g FROM generate_series(1, 100) AS g");
    auto it = stream.begin();
    ASSERT_FALSE(it == std::default_sentinel);
    EXPECT_THROW(conn.exec("SELECT 1"), pgkit::InterfaceError);
    EXPECT_THROW(conn.execute_script("SELECT 1"), pgkit::InterfaceError);
    EXPECT_THROW(conn.stream("SELECT 1"), pgkit::InterfaceError);
    EXPECT_THROW(pgkit::Transaction{conn}, pgkit::InterfaceError);
    // The refused calls did not disturb the stream.
    std::size_t rows = 0;
    for (; !(it == std::default_sentinel); ++it) ++rows;
    EXPECT_EQ(rows, 100U);
  }
  EXPECT_EQ(conn.query_value<int>("SELECT 5"), 5);
}

TEST_F(ConnectionStream, StreamsWithParametersAndChecksTheirCount) {
  auto conn = connect();
  EXPECT_THROW(conn.stream("SELECT $1::int, $2::int", 1), pgkit::InterfaceError);
  EXPECT_THROW(conn.stream("SELECT 1; SELECT 2"), pgkit::InterfaceError);
  std::int64_t total = 0;
  for (const auto& row : conn.stream("SELECT g * $1::int FROM generate_series(1, 3) AS g", 10)) {
    total += row[0].as<int>();
  }
  EXPECT_EQ(total, 60);
}

TEST_F(ConnectionStream, AbandonedStreamInsideATransactionAbortsItVisibly) {
  auto conn = connect();
  conn.exec("CREATE TABLE stream_tx (id int)");
  pgkit::Transaction tx(conn);
  conn.exec("INSERT INTO stream_tx VALUES (1)");
  {
    auto stream = conn.stream("SELECT g FROM generate_series(1, 10000000) AS g");
    for (const auto& row : stream) {
      if (row[0].as<int>() == 3) break;
    }
  }
  // Breaking out cancels the rest of the query, and on the server a cancelled statement aborts the
  // transaction: the connection must say so, and commit() must refuse instead of pretending.
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
  EXPECT_THROW(tx.commit(), pgkit::InFailedSqlTransaction);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM stream_tx"), 0);
}

// query<T>() decodes rows as they arrive; a row that does not convert must not cost the caller its
// transaction, nor leave the connection in the middle of a result.
TEST_F(ConnectionStream, QueryDecodeErrorMidResultKeepsTheTransaction) {
  auto conn = connect();
  conn.exec("CREATE TABLE decoded (id int)");
  pgkit::Transaction tx(conn);
  conn.exec("INSERT INTO decoded VALUES (1)");
  EXPECT_THROW(conn.query<int>("SELECT CASE WHEN g = 5000 THEN NULL ELSE g END FROM generate_series(1, 20000) AS g"),
               pgkit::UnexpectedNull);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
  tx.commit();
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM decoded"), 1);
  // Every row of a large result arrives, in order.
  const auto values = conn.query<int>("SELECT g FROM generate_series(1, 100000) AS g ORDER BY g");
  ASSERT_EQ(values.size(), 100000u);
  EXPECT_EQ(values.front(), 1);
  EXPECT_EQ(values.back(), 100000);
  // A result without rows still checks the shape against the C++ type.
  EXPECT_THROW(conn.query<int>("SELECT 1, 2 WHERE false"), pgkit::InterfaceError);
  EXPECT_TRUE(conn.query<int>("SELECT 1 WHERE false").empty());
}

}  // namespace
