// Connection::statements_sent(): the statements the server was asked to run (preparation not counted),
// as connection.hpp documents it (the ORM's no-N+1 tests rely on it).
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/pipeline.hpp>
#include <pgkit/transaction.hpp>

#include <cstdint>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::testing::DatabaseTest;

class StatementsSent : public DatabaseTest {};

// The statements `action` made `conn` send.
template <class F>
std::uint64_t sent_by(pgkit::Connection& conn, F&& action) {
  const std::uint64_t before = conn.statements_sent();
  action();
  return conn.statements_sent() - before;
}

TEST_F(StatementsSent, OneCallIsOneStatementWhetherOrNotItIsPrepared) {
  pgkit::ConnectOptions options;
  options.conninfo = database_url();
  options.statement_cache.prepare_threshold = 3;
  pgkit::Connection conn(options);
  const std::string sql = "SELECT $1::int + 1";
  EXPECT_EQ(sent_by(conn, [&] { conn.exec(sql, 1); }), 1u);
  EXPECT_EQ(sent_by(conn, [&] { (void)conn.query<int>(sql, 2); }), 1u);
  // The third run prepares the statement first (Parse, Describe): still one statement run.
  EXPECT_EQ(sent_by(conn, [&] { (void)conn.query_value<int>(sql, 3); }), 1u);
  EXPECT_EQ(sent_by(conn, [&] { (void)conn.query_one<int>(sql, 4); }), 1u);
  EXPECT_EQ(sent_by(conn, [&] {
              for (const auto& row : conn.stream("SELECT generate_series(1, 50)")) (void)row;
            }),
            1u);
}

TEST_F(StatementsSent, ScriptsPreparedStatementsAndTransactions) {
  auto conn = connect();
  EXPECT_EQ(sent_by(conn, [&] { conn.execute_script("CREATE TABLE counted (id int); INSERT INTO counted VALUES (1)"); }),
            1u);
  pgkit::PreparedStatement statement("", {});
  EXPECT_EQ(sent_by(conn, [&] { statement = conn.prepare("count_rows", "SELECT count(*) FROM counted"); }), 0u);
  EXPECT_EQ(sent_by(conn, [&] { conn.exec(statement); }), 1u);
  EXPECT_EQ(sent_by(conn, [&] {
              pgkit::Transaction tx(conn);
              conn.exec("INSERT INTO counted VALUES ($1)", 2);
              tx.commit();
            }),
            3u);  // BEGIN, INSERT, COMMIT
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM counted"), 2);
}

TEST_F(StatementsSent, PipelinesExecuteManyAndCopy) {
  auto conn = connect();
  conn.exec("CREATE TABLE bulk_counted (id int)");
  EXPECT_EQ(sent_by(conn, [&] {
              pgkit::Pipeline pipeline(conn);
              for (int i = 0; i < 5; ++i) pipeline.add("INSERT INTO bulk_counted VALUES ($1)", i);
              for (const auto& outcome : pipeline.finish()) outcome.check();
            }),
            5u);
  std::vector<std::tuple<int>> rows;
  for (int i = 0; i < 40; ++i) rows.emplace_back(i);
  // 40 rows and the BEGIN/COMMIT that make the batch atomic (its Parse is preparation: not counted).
  EXPECT_EQ(sent_by(conn, [&] { pgkit::execute_many(conn, "INSERT INTO bulk_counted VALUES ($1)", rows); }), 42u);
  std::istringstream in("100\n101\n102\n");
  EXPECT_EQ(sent_by(conn, [&] { pgkit::copy_in_raw(conn, "COPY bulk_counted FROM STDIN", in); }), 1u);
  std::ostringstream out;
  EXPECT_EQ(sent_by(conn, [&] { pgkit::copy_out_raw(conn, "COPY bulk_counted TO STDOUT", out); }), 1u);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM bulk_counted"), 48);
}

TEST_F(StatementsSent, RefusedCallsSendNothing) {
  auto conn = connect();
  EXPECT_EQ(sent_by(conn, [&] { EXPECT_THROW(conn.exec("SELECT $1::int", 1, 2), pgkit::InterfaceError); }), 0u);
  EXPECT_EQ(sent_by(conn, [&] { EXPECT_THROW(conn.exec("SELECT 1; SELECT 2"), pgkit::InterfaceError); }), 0u);
  // A statement the server rejects was sent all the same.
  EXPECT_EQ(sent_by(conn, [&] { EXPECT_THROW(conn.exec("SELECT * FROM no_such_table"), pgkit::DatabaseError); }), 1u);
  pgkit::Connection moved = std::move(conn);
  EXPECT_THROW((void)conn.statements_sent(), pgkit::InterfaceError);  // NOLINT(bugprone-use-after-move)
  EXPECT_GT(moved.statements_sent(), 0u);
}

}  // namespace
