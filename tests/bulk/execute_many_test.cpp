// execute_many: one statement, many rows, pipelined; all-or-nothing by default, row by row on request.
#include <pgkit/pipeline.hpp>
#include <pgkit/transaction.hpp>

#include "core/connection_helpers.hpp"

#include <boost/describe/class.hpp>
#include <fmt/format.h>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::expect_database_error;

// Far above every timeout used here: a call returning later than this has hung.
constexpr auto kHangLimit = 20s;

struct Product {
  std::string name;
  int quantity = 0;
  std::optional<double> price;
};
BOOST_DESCRIBE_STRUCT(Product, (), (name, quantity, price))

class ExecuteMany : public pgkit::testing::DatabaseTest {
 protected:
  static std::vector<int> values_of(pgkit::Connection& conn, const char* table) {
    return conn.query<int>(pgkit::sql::SQL("SELECT v FROM {} ORDER BY v").format(pgkit::sql::Identifier(table)));
  }
  static std::int64_t count_of(pgkit::Connection& conn, const char* table) {
    return conn.query_value<std::int64_t>(
        pgkit::sql::SQL("SELECT count(*) FROM {}").format(pgkit::sql::Identifier(table)));
  }
  static std::string message_of(const std::function<void()>& action) {
    try {
      action();
    } catch (const std::exception& e) {
      return e.what();
    }
    ADD_FAILURE() << "nothing was thrown";
    return {};
  }
};

TEST_F(ExecuteMany, InsertsTuples) {
  auto conn = connect();
  conn.exec("CREATE TABLE tuples (id int PRIMARY KEY, name text NOT NULL, price float8)");
  const std::vector<std::tuple<int, std::string, std::optional<double>>> rows{
      {1, "apple", 1.5}, {2, "pear", std::nullopt}, {3, "plum's \"best\"", 0.25}};
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO tuples (id, name, price) VALUES ($1, $2, $3)", rows), 3);
  using Row = std::tuple<int, std::string, std::optional<double>>;
  EXPECT_EQ(conn.query<Row>("SELECT id, name, price FROM tuples ORDER BY id"), rows);
}

TEST_F(ExecuteMany, InsertsDescribedStructsMemberByMember) {
  auto conn = connect();
  conn.exec("CREATE TABLE products (name text PRIMARY KEY, quantity int NOT NULL, price numeric)");
  const std::vector<Product> rows{{"bolt", 100, 0.1}, {"nut", 250, std::nullopt}, {"washer", 0, 0.02}};
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO products (name, quantity, price) VALUES ($1, $2, $3)", rows), 3);
  const auto stored = conn.query<std::string, int, std::optional<double>>(
      "SELECT name, quantity, price::float8 FROM products ORDER BY name");
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0], std::make_tuple(std::string("bolt"), 100, std::optional<double>(0.1)));
  EXPECT_EQ(stored[1], std::make_tuple(std::string("nut"), 250, std::optional<double>()));
  EXPECT_EQ(stored[2], std::make_tuple(std::string("washer"), 0, std::optional<double>(0.02)));
}

TEST_F(ExecuteMany, InsertsSingleValuesFromAnyRange) {
  auto conn = connect();
  conn.exec("CREATE TABLE singles (v int)");
  const std::vector<int> vector{1, 2, 3};
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO singles VALUES ($1)", vector), 3);
  const std::array<int, 2> array{10, 20};
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO singles VALUES ($1)", array), 2);
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO singles VALUES ($1)", std::views::iota(100, 105)), 5);
  EXPECT_EQ(values_of(conn, "singles"), (std::vector<int>{1, 2, 3, 10, 20, 100, 101, 102, 103, 104}));
}

TEST_F(ExecuteMany, ReturnsTheTotalOfAffectedRows) {
  auto conn = connect();
  conn.exec("CREATE TABLE affected (v int, grp int, hits int NOT NULL DEFAULT 0)");
  conn.exec("INSERT INTO affected (v, grp) SELECT g, g % 3 FROM generate_series(1, 10) AS g");  // 3, 4, 3 per group
  const std::vector<int> groups{0, 1, 7, 1};
  EXPECT_EQ(pgkit::execute_many(conn, "UPDATE affected SET hits = hits + 1 WHERE grp = $1", groups), 3 + 4 + 0 + 4);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT sum(hits) FROM affected"), 11);
  const std::vector<int> doomed{2, 5};
  EXPECT_EQ(pgkit::execute_many(conn, "DELETE FROM affected WHERE v <= $1", doomed), 2 + 3);
  EXPECT_EQ(count_of(conn, "affected"), 5);
}

TEST_F(ExecuteMany, AtomicFailureRollsBackEveryRowAndNamesTheRow) {
  auto conn = connect();
  conn.exec("CREATE TABLE atomic_rows (v int CONSTRAINT atomic_rows_v_key UNIQUE)");
  conn.exec("INSERT INTO atomic_rows VALUES (1006)");
  std::vector<int> rows;
  for (int i = 0; i < 1000; ++i) rows.push_back(1000 + i);  // row 6 is 1006, already there
  pgkit::PipelineStats stats;
  pgkit::ExecuteManyOptions options;
  options.stats = &stats;
  const auto diagnostics = expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>(
      [&] { pgkit::execute_many(conn, "INSERT INTO atomic_rows VALUES ($1)", rows, options); }, "23505");
  EXPECT_EQ(diagnostics.constraint_name, "atomic_rows_v_key");
  const std::string message =
      message_of([&] { pgkit::execute_many(conn, "INSERT INTO atomic_rows VALUES ($1)", rows, options); });
  EXPECT_NE(message.find("row 6:"), std::string::npos) << message;
  EXPECT_GT(stats.statements, 6u);  // the failing row was sent, so the stats were filled
  EXPECT_EQ(values_of(conn, "atomic_rows"), std::vector<int>{1006});  // rows 0..5 were rolled back too
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);

  // The last row failing undoes all before it.
  conn.exec("CREATE TABLE atomic_last (v int CHECK (v < 999))");
  const std::string last = message_of(
      [&] { pgkit::execute_many(conn, "INSERT INTO atomic_last VALUES ($1)", std::views::iota(0, 1000)); });
  EXPECT_NE(last.find("row 999:"), std::string::npos) << last;
  EXPECT_EQ(count_of(conn, "atomic_last"), 0);
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO atomic_last VALUES ($1)", std::views::iota(0, 999)), 999);
}

TEST_F(ExecuteMany, AtomicFailureAtCommitRollsBack) {
  auto conn = connect();
  conn.exec("CREATE TABLE deferred_rows (v int CONSTRAINT deferred_rows_v_key UNIQUE DEFERRABLE INITIALLY DEFERRED)");
  const std::vector<int> rows{1, 2, 3, 2, 4};  // the duplicate is only found at COMMIT
  expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>(
      [&] { pgkit::execute_many(conn, "INSERT INTO deferred_rows VALUES ($1)", rows); }, "23505");
  EXPECT_EQ(count_of(conn, "deferred_rows"), 0);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ExecuteMany, AtomicInsideATransactionKeepsTheCallersEarlierWork) {
  auto conn = connect();
  conn.exec("CREATE TABLE in_caller_tx (v int PRIMARY KEY)");
  {
    pgkit::Transaction tx(conn);
    conn.exec("INSERT INTO in_caller_tx VALUES (1)");
    const std::vector<int> rows{10, 11, 1, 12};  // row 2 collides with the caller's row
    const auto message = message_of([&] { pgkit::execute_many(conn, "INSERT INTO in_caller_tx VALUES ($1)", rows); });
    EXPECT_NE(message.find("row 2:"), std::string::npos) << message;
    // Only the batch's savepoint was undone: the transaction goes on.
    EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
    EXPECT_EQ(values_of(conn, "in_caller_tx"), std::vector<int>{1});
    EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO in_caller_tx VALUES ($1)", std::vector<int>{20, 21}), 2);
    conn.exec("INSERT INTO in_caller_tx VALUES (2)");
    tx.commit();
  }
  EXPECT_EQ(values_of(conn, "in_caller_tx"), (std::vector<int>{1, 2, 20, 21}));
}

TEST_F(ExecuteMany, AtomicInsideATransactionIsTheCallersToCommitOrRollBack) {
  auto conn = connect();
  conn.exec("CREATE TABLE callers_choice (v int)");
  {
    pgkit::Transaction tx(conn);
    EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO callers_choice VALUES ($1)", std::views::iota(0, 100)), 100);
    EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
    auto other = connect();
    EXPECT_EQ(count_of(other, "callers_choice"), 0);  // not committed behind the caller's back
    tx.rollback();
  }
  EXPECT_EQ(count_of(conn, "callers_choice"), 0);
}

TEST_F(ExecuteMany, AtomicInsideAnAbortedTransactionReportsTheAbortedTransaction) {
  auto conn = connect();
  conn.exec("CREATE TABLE aborted_tx (v int)");
  pgkit::Transaction tx(conn);
  EXPECT_THROW(conn.exec("SELECT 1/0"), pgkit::DivisionByZero);
  expect_database_error<pgkit::InFailedSqlTransaction, pgkit::InternalError>(
      [&] { pgkit::execute_many(conn, "INSERT INTO aborted_tx VALUES ($1)", std::vector<int>{1, 2}); }, "25P02");
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
  tx.rollback();
  EXPECT_EQ(count_of(conn, "aborted_tx"), 0);
}

TEST_F(ExecuteMany, NonAtomicKeepsGoodRowsAndReportsEachFailedRow) {
  auto conn = connect();
  conn.exec("CREATE TABLE row_by_row (v int PRIMARY KEY CHECK (v <> 13))");
  conn.exec("INSERT INTO row_by_row VALUES (10), (15)");
  const std::vector<int> rows{10, 11, 12, 13, 14, 15, 16};  // rows 0, 3 and 5 fail; 0 is the very first
  std::vector<std::pair<std::size_t, std::string>> failures;
  pgkit::ExecuteManyOptions options;
  options.atomic = false;
  options.on_row_error = [&](std::size_t row, const pgkit::DatabaseError& error) {
    failures.emplace_back(row, error.sqlstate());
    EXPECT_NE(std::string(error.what()).find(fmt::format("row {}:", row)), std::string::npos) << error.what();
    if (row == 3) {
      EXPECT_NE(dynamic_cast<const pgkit::CheckViolation*>(&error), nullptr) << typeid(error).name();
    } else {
      EXPECT_NE(dynamic_cast<const pgkit::UniqueViolation*>(&error), nullptr) << typeid(error).name();
    }
  };
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO row_by_row VALUES ($1)", rows, options), 4);
  EXPECT_EQ(failures, (std::vector<std::pair<std::size_t, std::string>>{{0, "23505"}, {3, "23514"}, {5, "23505"}}));
  EXPECT_EQ(values_of(conn, "row_by_row"), (std::vector<int>{10, 11, 12, 14, 15, 16}));
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(ExecuteMany, NonAtomicWithoutCallbackThrowsTheFirstFailureAfterTryingEveryRow) {
  auto conn = connect();
  conn.exec("CREATE TABLE first_thrown (v int PRIMARY KEY)");
  conn.exec("INSERT INTO first_thrown VALUES (2), (4)");
  const std::vector<int> rows{1, 2, 3, 4, 5, 6};  // rows 1 and 3 fail
  pgkit::ExecuteManyOptions options;
  options.atomic = false;
  const auto diagnostics = expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>(
      [&] { pgkit::execute_many(conn, "INSERT INTO first_thrown VALUES ($1)", rows, options); }, "23505");
  EXPECT_NE(diagnostics.detail.find("(v)=(2)"), std::string::npos) << diagnostics.detail;  // the first failure
  EXPECT_EQ(values_of(conn, "first_thrown"), (std::vector<int>{1, 2, 3, 4, 5, 6}));

  conn.exec("TRUNCATE first_thrown");
  conn.exec("INSERT INTO first_thrown VALUES (2), (4)");
  const std::string message =
      message_of([&] { pgkit::execute_many(conn, "INSERT INTO first_thrown VALUES ($1)", rows, options); });
  EXPECT_NE(message.find("2 of 6 rows failed"), std::string::npos) << message;
  EXPECT_NE(message.find("row 1:"), std::string::npos) << message;
}

TEST_F(ExecuteMany, NonAtomicCallbackFailureIsRethrownOnceEveryRowWasTried) {
  auto conn = connect();
  conn.exec("CREATE TABLE callback_throws (v int PRIMARY KEY)");
  conn.exec("INSERT INTO callback_throws VALUES (1)");
  int calls = 0;
  pgkit::ExecuteManyOptions options;
  options.atomic = false;
  options.on_row_error = [&](std::size_t, const pgkit::DatabaseError&) {
    ++calls;
    throw std::runtime_error("caller gave up");
  };
  const std::vector<int> rows{1, 2, 1, 3};
  EXPECT_THROW(pgkit::execute_many(conn, "INSERT INTO callback_throws VALUES ($1)", rows, options), std::runtime_error);
  EXPECT_EQ(calls, 1);  // not called again once it threw
  EXPECT_EQ(values_of(conn, "callback_throws"), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ExecuteMany, StatementErrorIsThrownNotReportedPerRow) {
  auto conn = connect();
  conn.exec("CREATE TABLE statement_error (v int)");
  // Fails when prepared, before any row: the typed error, not one error per row.
  expect_database_error<pgkit::UndefinedTable, pgkit::ProgrammingError>(
      [&] { pgkit::execute_many(conn, "INSERT INTO no_such_table VALUES ($1)", std::vector<int>{1, 2, 3}); },
      "42P01");
  std::vector<std::size_t> reported;
  pgkit::ExecuteManyOptions options;
  options.atomic = false;
  options.on_row_error = [&](std::size_t row, const pgkit::DatabaseError&) { reported.push_back(row); };
  expect_database_error<pgkit::UndefinedTable, pgkit::ProgrammingError>(
      [&] { pgkit::execute_many(conn, "INSERT INTO no_such_table VALUES ($1)", std::vector<int>{1, 2, 3}, options); },
      "42P01");
  EXPECT_TRUE(reported.empty());
  options.on_row_error = nullptr;
  const std::string message = message_of([&] {
    pgkit::execute_many(conn, "INSERT INTO no_such_table VALUES ($1)", std::vector<int>{1, 2, 3}, options);
  });
  EXPECT_NE(message.find("no_such_table"), std::string::npos) << message;
  EXPECT_EQ(message.find("4 of 3"), std::string::npos) << message;
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ExecuteMany, NonAtomicInsideATransactionIsRefused) {
  auto conn = connect();
  conn.exec("CREATE TABLE refused (v int)");
  pgkit::Transaction tx(conn);
  pgkit::ExecuteManyOptions options;
  options.atomic = false;
  EXPECT_THROW(pgkit::execute_many(conn, "INSERT INTO refused VALUES ($1)", std::vector<int>{1, 2}, options),
               pgkit::InterfaceError);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);  // nothing was sent
  EXPECT_EQ(count_of(conn, "refused"), 0);
  conn.exec("INSERT INTO refused VALUES (3)");
  tx.commit();
  EXPECT_EQ(values_of(conn, "refused"), std::vector<int>{3});
}

TEST_F(ExecuteMany, EmptyRangeSendsNothing) {
  auto conn = connect();
  conn.exec("CREATE TABLE empty_rows (v int)");
  pgkit::PipelineStats stats;
  pgkit::ExecuteManyOptions options;
  options.stats = &stats;
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO empty_rows VALUES ($1)", std::vector<int>{}, options), 0);
  EXPECT_EQ(stats.statements, 0u);
  EXPECT_EQ(stats.syncs, 0u);
  options.atomic = false;
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO empty_rows VALUES ($1)", std::vector<int>{}, options), 0);
  EXPECT_EQ(count_of(conn, "empty_rows"), 0);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(ExecuteMany, ParameterCountMismatchIsRefusedBeforeSending) {
  auto conn = connect();
  conn.exec("CREATE TABLE wrong_width (a int, b int)");
  EXPECT_THROW(pgkit::execute_many(conn, "INSERT INTO wrong_width VALUES ($1, $2)", std::vector<int>{1, 2}),
               pgkit::InterfaceError);
  const std::vector<std::tuple<int, int, int>> too_wide{{1, 2, 3}};
  EXPECT_THROW(pgkit::execute_many(conn, "INSERT INTO wrong_width VALUES ($1, $2)", too_wide), pgkit::InterfaceError);
  EXPECT_THROW(pgkit::execute_many(conn, "INSERT INTO wrong_width VALUES ($1, 1); SELECT 1", std::vector<int>{1}),
               pgkit::InterfaceError);
  EXPECT_EQ(count_of(conn, "wrong_width"), 0);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ExecuteMany, RowsThatStopMidwayLeaveNothingBehind) {
  auto conn = connect();
  conn.exec("CREATE TABLE stopped (v int)");
  const auto rows = std::views::iota(0, 1000) | std::views::transform([](int i) {
                      if (i == 500) throw std::runtime_error("cannot produce row 500");
                      return i;
                    });
  EXPECT_THROW(pgkit::execute_many(conn, "INSERT INTO stopped VALUES ($1)", rows), std::runtime_error);
  EXPECT_EQ(count_of(conn, "stopped"), 0);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  {
    pgkit::Transaction tx(conn);
    conn.exec("INSERT INTO stopped VALUES (-1)");
    EXPECT_THROW(pgkit::execute_many(conn, "INSERT INTO stopped VALUES ($1)", rows), std::runtime_error);
    EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
    tx.commit();
  }
  EXPECT_EQ(values_of(conn, "stopped"), std::vector<int>{-1});
}

TEST_F(ExecuteMany, TimeoutCancelsTheBatchAndLeavesTheTableUnchanged) {
  auto conn = connect();
  conn.exec("CREATE TABLE slow_rows (v int)");
  conn.exec("INSERT INTO slow_rows VALUES (-1)");
  pgkit::ExecuteManyOptions options;
  options.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  // Rows 0..2 are inserted at once; row 3 sleeps far beyond the timeout.
  expect_database_error<pgkit::QueryCanceled, pgkit::OperationalError>(
      [&] {
        pgkit::execute_many(conn,
                            "INSERT INTO slow_rows SELECT $1 FROM pg_sleep(CASE WHEN $1 = 3 THEN 60 ELSE 0 END)",
                            std::vector<int>{0, 1, 2, 3, 4, 5}, options);
      },
      "57014");
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(values_of(conn, "slow_rows"), std::vector<int>{-1});
}

TEST_F(ExecuteMany, NonAtomicTimeoutCancelsTheSlowRowOnly) {
  auto conn = connect();
  conn.exec("CREATE TABLE slow_row (v int)");
  std::vector<std::pair<std::size_t, std::string>> failures;
  pgkit::ExecuteManyOptions options;
  options.atomic = false;
  options.timeout = 1000ms;
  options.on_row_error = [&](std::size_t row, const pgkit::DatabaseError& error) {
    failures.emplace_back(row, error.sqlstate());
  };
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO slow_row SELECT $1 FROM pg_sleep(CASE WHEN $1 = 3 THEN 60 ELSE 0 END)",
                                std::vector<int>{0, 1, 2, 3, 4, 5}, options),
            5);
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  EXPECT_EQ(failures, (std::vector<std::pair<std::size_t, std::string>>{{3, "57014"}}));
  EXPECT_EQ(values_of(conn, "slow_row"), (std::vector<int>{0, 1, 2, 4, 5}));
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(ExecuteMany, LargeRowsStayWithinTheByteLimit) {
  auto conn = connect();
  conn.exec("CREATE UNLOGGED TABLE large_rows (body text)");
  pgkit::PipelineStats stats;
  pgkit::ExecuteManyOptions options;
  options.limits.max_in_flight_bytes = 32 * 1024;
  options.stats = &stats;
  const std::vector<std::string> rows(300, std::string(7000, 'y'));
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO large_rows VALUES ($1)", rows, options), 300);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT sum(length(body)) FROM large_rows"), 300 * 7000);
  EXPECT_GE(stats.peak_in_flight_bytes, 2u * 7000);  // it did pipeline
  EXPECT_LE(stats.peak_in_flight_bytes, options.limits.max_in_flight_bytes);
}

TEST_F(ExecuteMany, AMillionRowsWithBoundedMemory) {
  auto conn = connect();
  conn.exec("CREATE UNLOGGED TABLE million (v int)");
  pgkit::PipelineStats stats;
  pgkit::ExecuteManyOptions options;
  options.limits.max_in_flight_statements = 64;
  options.limits.max_in_flight_bytes = 64 * 1024;
  options.stats = &stats;
  constexpr int count = 1'000'000;
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO million VALUES ($1)", std::views::iota(0, count), options), count);
  EXPECT_GE(stats.statements, static_cast<std::size_t>(count));
  EXPECT_GE(stats.peak_in_flight_statements, 2u);  // it did pipeline
  EXPECT_LE(stats.peak_in_flight_statements, options.limits.max_in_flight_statements);
  EXPECT_LE(stats.peak_in_flight_bytes, options.limits.max_in_flight_bytes);
  const auto [rows, total] = conn.query_one<std::int64_t, std::int64_t>("SELECT count(*), sum(v) FROM million");
  EXPECT_EQ(rows, count);
  EXPECT_EQ(total, std::int64_t{count} * (count - 1) / 2);
}

}  // namespace
