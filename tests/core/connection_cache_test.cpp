// The automatic statement cache, observed from the server's side through pg_prepared_statements.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using pgkit::testing::DatabaseTest;
using pgkit::testing::prepared_count;

class ConnectionStatementCache : public DatabaseTest {
 protected:
  static pgkit::Connection connect_with(const pgkit::StatementCacheOptions& cache) {
    pgkit::ConnectOptions options;
    options.conninfo = database_url();
    options.statement_cache = cache;
    return pgkit::Connection(options);
  }
  // Texts of the statements pgkit prepared on its own, read without going through (and disturbing) the cache.
  static std::vector<std::string> automatic_prepared(pgkit::Connection& conn) {
    const auto result = conn.execute_script(
        "SELECT statement FROM pg_prepared_statements WHERE name LIKE 'pgkit\\_%' ORDER BY statement");
    std::vector<std::string> statements;
    for (const auto& row : result) statements.push_back(row[0].as<std::string>());
    return statements;
  }
  static std::int64_t automatic_prepared_total(pgkit::Connection& conn) {
    return static_cast<std::int64_t>(automatic_prepared(conn).size());
  }
};

TEST_F(ConnectionStatementCache, PreparesAfterTheThreshold) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 3});
  const std::string sql = "SELECT $1::int + 100";
  EXPECT_EQ(conn.query_value<int>(sql, 1), 101);
  EXPECT_EQ(conn.query_value<int>(sql, 2), 102);
  EXPECT_EQ(prepared_count(conn, sql), 0);
  EXPECT_EQ(conn.query_value<int>(sql, 3), 103);
  EXPECT_EQ(prepared_count(conn, sql), 1);
  // Later runs reuse the one prepared statement.
  EXPECT_EQ(conn.query_value<int>(sql, 4), 104);
  EXPECT_EQ(prepared_count(conn, sql), 1);
}

TEST_F(ConnectionStatementCache, ThresholdOfOnePreparesAtOnce) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  const std::string sql = "SELECT 'at once'::text";
  EXPECT_EQ(conn.query_value<std::string>(sql), "at once");
  EXPECT_EQ(prepared_count(conn, sql), 1);
}

TEST_F(ConnectionStatementCache, DifferentParameterTypesAreSeparateEntries) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  const std::string sql = "SELECT $1::text";
  EXPECT_EQ(conn.query_value<std::string>(sql, 5), "5");
  EXPECT_EQ(conn.query_value<std::string>(sql, std::string("five")), "five");
  EXPECT_EQ(prepared_count(conn, sql), 2);
}

TEST_F(ConnectionStatementCache, EvictionDeallocatesOnTheServer) {
  constexpr std::size_t kCapacity = 2;
  auto conn = connect_with({.enabled = true, .capacity = kCapacity, .prepare_threshold = 2});
  for (int i = 0; i < 10; ++i) {
    const std::string sql = fmt::format("SELECT {} AS evicted", i);
    EXPECT_EQ(conn.query_value<int>(sql), i);
    EXPECT_EQ(conn.query_value<int>(sql), i);
    EXPECT_LE(automatic_prepared_total(conn), static_cast<std::int64_t>(kCapacity));
  }
  // The least recently used went first: the last two survive.
  EXPECT_EQ(automatic_prepared(conn), (std::vector<std::string>{"SELECT 8 AS evicted", "SELECT 9 AS evicted"}));
}

TEST_F(ConnectionStatementCache, DisabledCacheNeverPrepares) {
  auto conn = connect_with({.enabled = false, .capacity = 16, .prepare_threshold = 1});
  for (int i = 0; i < 5; ++i) EXPECT_EQ(conn.query_value<int>("SELECT $1::int", i), i);
  EXPECT_EQ(automatic_prepared_total(conn), 0);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements"), 0);
}

TEST_F(ConnectionStatementCache, ResultTypeChangeOutsideATransactionIsRepreparedTransparently) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  conn.exec("CREATE TABLE reshaped (a int)");
  conn.exec("INSERT INTO reshaped VALUES (1)");
  const std::string sql = "SELECT * FROM reshaped";
  EXPECT_EQ(conn.exec(sql).columns(), 1U);
  ASSERT_EQ(prepared_count(conn, sql), 1);
  conn.exec("ALTER TABLE reshaped ADD COLUMN b text DEFAULT 'new'");
  const auto result = conn.exec(sql);
  ASSERT_EQ(result.columns(), 2U);
  EXPECT_EQ(result.column_name(1), "b");
  EXPECT_EQ(result.one()[1].as<std::string>(), "new");
  EXPECT_EQ(prepared_count(conn, sql), 1);
}

TEST_F(ConnectionStatementCache, ResultTypeChangeInsideATransactionFailsThenRecovers) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  conn.exec("CREATE TABLE reshaped_tx (a int)");
  const std::string sql = "SELECT * FROM reshaped_tx";
  EXPECT_EQ(conn.exec(sql).columns(), 1U);
  conn.exec("ALTER TABLE reshaped_tx ADD COLUMN b int");
  conn.execute_script("BEGIN");
  // Inside a transaction the error has aborted it already, so pgkit cannot retry on its own.
  EXPECT_THROW(conn.exec(sql), pgkit::FeatureNotSupported);
  conn.execute_script("ROLLBACK");
  EXPECT_EQ(conn.exec(sql).columns(), 2U);
}

TEST_F(ConnectionStatementCache, StatementDeallocatedBehindItsBackIsPreparedAgain) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  const std::string sql = "SELECT 'survivor'::text";
  EXPECT_EQ(conn.query_value<std::string>(sql), "survivor");
  conn.execute_script("DEALLOCATE ALL");
  EXPECT_EQ(conn.query_value<std::string>(sql), "survivor");
  EXPECT_EQ(prepared_count(conn, sql), 1);
}

TEST_F(ConnectionStatementCache, ClearStatementCacheDeallocatesEverything) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  EXPECT_EQ(conn.query_value<int>("SELECT 1 AS cleared"), 1);
  EXPECT_EQ(conn.query_value<int>("SELECT 2 AS cleared"), 2);
  EXPECT_EQ(automatic_prepared_total(conn), 2);
  conn.clear_statement_cache();
  EXPECT_EQ(automatic_prepared_total(conn), 0);
  EXPECT_EQ(conn.query_value<int>("SELECT 1 AS cleared"), 1);
  EXPECT_EQ(prepared_count(conn, "SELECT 1 AS cleared"), 1);
}

TEST_F(ConnectionStatementCache, FailedStatementDoesNotPoisonTheCache) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  EXPECT_THROW(conn.exec("SELECT * FROM not_yet_there"), pgkit::UndefinedTable);
  conn.exec("CREATE TABLE not_yet_there (x int)");
  EXPECT_EQ(conn.exec("SELECT * FROM not_yet_there").size(), 0U);
}

TEST_F(ConnectionStatementCache, EvictingAStatementDeallocatedBehindItsBackIsHarmless) {
  auto conn = connect_with({.enabled = true, .capacity = 1, .prepare_threshold = 1});
  EXPECT_EQ(conn.query_value<int>("SELECT 1 AS gone"), 1);
  conn.execute_script("DEALLOCATE ALL");
  // Evicts the entry whose statement no longer exists on the server; deallocating it again must not fail
  // an unrelated statement, in a transaction or not.
  EXPECT_EQ(conn.query_value<int>("SELECT 2 AS evicting"), 2);
  EXPECT_EQ(conn.query_value<int>("SELECT 3 AS next"), 3);
  conn.execute_script("DEALLOCATE ALL");
  conn.execute_script("BEGIN");
  EXPECT_EQ(conn.query_value<int>("SELECT 4 AS evicting_in_transaction"), 4);
  EXPECT_EQ(conn.query_value<int>("SELECT 5 AS next_in_transaction"), 5);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
  conn.execute_script("COMMIT");
}

TEST_F(ConnectionStatementCache, ClearStatementCacheKeepsExplicitlyPreparedStatements) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  const auto mine = conn.prepare("explicit_statement", "SELECT 'mine'::text");
  EXPECT_EQ(conn.query_value<int>("SELECT 1 AS automatic"), 1);
  conn.clear_statement_cache();
  EXPECT_EQ(automatic_prepared_total(conn), 0);
  // Only pgkit's own statements go: the caller's prepared statement is not the cache's to drop.
  EXPECT_EQ(conn.query_value<std::string>(mine), "mine");
}

TEST_F(ConnectionStatementCache, ClearStatementCacheInsideAFailedTransaction) {
  auto conn = connect_with({.enabled = true, .capacity = 16, .prepare_threshold = 1});
  EXPECT_EQ(conn.query_value<int>("SELECT 1 AS before_failure"), 1);
  conn.execute_script("BEGIN");
  EXPECT_THROW(conn.exec("SELECT 1 / 0"), pgkit::DivisionByZero);
  EXPECT_NO_THROW(conn.clear_statement_cache());
  conn.execute_script("ROLLBACK");
  EXPECT_EQ(conn.query_value<int>("SELECT 2 AS after_failure"), 2);
  EXPECT_EQ(automatic_prepared(conn), (std::vector<std::string>{"SELECT 2 AS after_failure"}));
}

TEST_F(ConnectionStatementCache, EvictionInsideAReadOnlyTransaction) {
  auto conn = connect_with({.enabled = true, .capacity = 1, .prepare_threshold = 1});
  conn.execute_script("BEGIN READ ONLY");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(conn.query_value<int>(fmt::format("SELECT {} AS read_only", i)), i);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
  // Evictions were deallocated inside the read-only transaction; the latest one goes at the next call.
  EXPECT_EQ(automatic_prepared(conn), (std::vector<std::string>{"SELECT 3 AS read_only", "SELECT 4 AS read_only"}));
  conn.execute_script("COMMIT");
}

}  // namespace
