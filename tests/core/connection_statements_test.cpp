// Running statements: parameter counting, one statement per exec(), scripts, explicit prepared statements.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>

#include <cstdint>
#include <limits>
#include <string>

namespace {

using pgkit::testing::DatabaseTest;

class ConnectionStatements : public DatabaseTest {};

TEST_F(ConnectionStatements, TooFewParametersAreRefusedBeforeSending) {
  auto conn = connect();
  try {
    conn.exec("SELECT $1::int + $2::int + $3::int", 1, 2);
    FAIL() << "ran with two values for three parameters";
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_NE(std::string(e.what()).find("$1..$3"), std::string::npos) << e.what();
  }
  // Nothing reached the server, so no transaction was disturbed either.
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT $1::int + $2::int + $3::int", 1, 2, 3), 6);
}

TEST_F(ConnectionStatements, TooManyParametersAreRefused) {
  auto conn = connect();
  EXPECT_THROW(conn.exec("SELECT 1", 5), pgkit::InterfaceError);
  EXPECT_THROW(conn.exec("SELECT $1::int", 1, 2), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionStatements, ParameterCountIsCheckedOnCachedStatementsToo) {
  auto conn = connect();
  const std::string sql = "SELECT $1::int * $2::int";
  for (int i = 0; i < 3; ++i) EXPECT_EQ(conn.query_value<int>(sql, 6, 7), 42);
  pgkit::Params params;
  params.add(6);
  EXPECT_THROW(conn.exec(sql, params), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<int>(sql, 2, 3), 6);
}

TEST_F(ConnectionStatements, SeveralStatementsInExecAreRefused) {
  auto conn = connect();
  conn.exec("CREATE TABLE several (id int)");
  EXPECT_THROW(conn.exec("INSERT INTO several VALUES (1); INSERT INTO several VALUES (2)"), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM several"), 0);
  // A trailing semicolon or comment is still one statement.
  EXPECT_EQ(conn.query_value<int>("SELECT 1;"), 1);
  EXPECT_EQ(conn.query_value<int>("SELECT 2; -- done"), 2);
  EXPECT_EQ(conn.query_value<int>("SELECT 3; /* done */ ;"), 3);
  // Semicolons inside a function body, a string or a comment do not separate statements.
  conn.exec("CREATE FUNCTION two_statements() RETURNS int LANGUAGE sql AS $$ SELECT 1; SELECT 2; $$");
  EXPECT_EQ(conn.query_value<int>("SELECT two_statements()"), 2);
  EXPECT_EQ(conn.query_value<std::string>("SELECT ';' -- ; SELECT 2\n"), ";");
  EXPECT_THROW(conn.exec("SELECT 1 /* ; */; SELECT 2"), pgkit::InterfaceError);
}

TEST_F(ConnectionStatements, ExecuteScriptRunsSeveralStatements) {
  auto conn = connect();
  const auto result = conn.execute_script(
      "CREATE TABLE script_items (id int PRIMARY KEY, name text);"
      "INSERT INTO script_items VALUES (1, 'a'), (2, 'b');"
      "INSERT INTO script_items VALUES (3, 'c; not a separator');"
      "SELECT count(*) FROM script_items");
  ASSERT_EQ(result.size(), 1U);
  EXPECT_EQ(result[0][0].as<std::string>(), "3");
  EXPECT_EQ(conn.query_value<std::string>("SELECT name FROM script_items WHERE id = 3"), "c; not a separator");
}

TEST_F(ConnectionStatements, ExecuteScriptStopsAtTheFirstError) {
  auto conn = connect();
  EXPECT_THROW(conn.execute_script("CREATE TABLE script_fail (id int); SELECT 1/0; CREATE TABLE script_after (id int)"),
               pgkit::DivisionByZero);
  // A multi-statement simple query is one implicit transaction: the error rolled back the first CREATE.
  EXPECT_EQ(conn.query_value<bool>("SELECT to_regclass('script_fail') IS NULL"), true);
  EXPECT_EQ(conn.query_value<bool>("SELECT to_regclass('script_after') IS NULL"), true);
}

TEST_F(ConnectionStatements, PlaceholdersInQuotesCommentsAndIdentifiersAreNotCounted) {
  auto conn = connect();
  // Each statement has exactly one real parameter; a scanner counting the others would refuse it.
  const std::vector<std::string> statements = {
      "SELECT $1::int + length('$2 $3')",
      "SELECT $1::int + length(E'it\\'s $2')",
      "SELECT $1::int /* $2 /* nested $3 */ still $4 */ -- $5\n + 0",
      "SELECT $1::int + length($$ $2 $$) + length($tag$ $3 ' $tag$)",
      "SELECT $1::int AS \"$2\"",
      "SELECT a$2 FROM (SELECT $1::int AS a$2) AS t",
      "SELECT $1::int + length(';$2')",
      "SELECT $1::int + length('it''s $2')",
      "SELECT $1::int + length('a\\') + length(' $2 ')",  // a backslash is plain in a standard string
      "SELECT $1::int + length('-- $2') + length('/* $3')",
      "SELECT $1::int + length($a$ $b$ $2 $b$ $a$)",
  };
  for (const auto& sql : statements) {
    SCOPED_TRACE(sql);
    EXPECT_NO_THROW(conn.exec(sql, 1));
  }
  EXPECT_EQ(conn.query_value<int>("SELECT a$2 FROM (SELECT $1::int AS a$2) AS t", 5), 5);
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::text || '$2'", "x"), "x$2");
}

TEST_F(ConnectionStatements, HighestPlaceholderCountsEvenWithGaps) {
  auto conn = connect();
  EXPECT_THROW(conn.exec("SELECT $2::int", 1), pgkit::InterfaceError);
}

TEST_F(ConnectionStatements, ExplicitPreparedStatementRunsWithArguments) {
  auto conn = connect();
  conn.exec("CREATE TABLE prepared_items (id int4 PRIMARY KEY, name text)");
  const auto insert = conn.prepare("insert_item", "INSERT INTO prepared_items VALUES ($1, $2)");
  ASSERT_EQ(insert.parameter_types().size(), 2U);
  EXPECT_EQ(insert.parameter_types()[0], pgkit::oid::int4);
  conn.exec(insert, 1, std::string("one"));
  conn.exec(insert, 2, std::string("two"));
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements WHERE name = 'insert_item'"),
            1);
  EXPECT_EQ(conn.query_value<std::string>("SELECT name FROM prepared_items WHERE id = 2"), "two");
  EXPECT_THROW(conn.exec(insert, 3), pgkit::InterfaceError);
  conn.deallocate(insert);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements WHERE name = 'insert_item'"),
            0);
  EXPECT_THROW(conn.exec(insert, 4, std::string("four")), pgkit::InvalidSqlStatementName);
}

TEST_F(ConnectionStatements, PreparedParameterOfAnotherCppTypeIsConverted) {
  auto conn = connect();
  const auto add_one = conn.prepare("add_one", "SELECT $1::int4 + 1");
  EXPECT_EQ(conn.query_value<int>(add_one, std::int64_t{41}), 42);
  EXPECT_EQ(conn.query_value<int>(add_one, std::int16_t{-3}), -2);
  const std::int64_t too_big = std::int64_t{std::numeric_limits<std::int32_t>::max()} + 1;
  EXPECT_THROW(conn.exec(add_one, too_big), pgkit::DataError);
  EXPECT_EQ(conn.query_value<int>(add_one, std::int64_t{1}), 2);
}

TEST_F(ConnectionStatements, PreparingInvalidStatementsFails) {
  auto conn = connect();
  EXPECT_THROW(conn.prepare("", "SELECT 1"), pgkit::InterfaceError);
  EXPECT_THROW(conn.prepare(std::string(64, 'p'), "SELECT 1"), pgkit::InterfaceError);
  EXPECT_THROW(conn.prepare("two", "SELECT 1; SELECT 2"), pgkit::InterfaceError);
  EXPECT_THROW(conn.prepare("broken", "SELEC 1"), pgkit::SyntaxError);
  const auto first = conn.prepare("same_name", "SELECT 1");
  EXPECT_THROW(conn.prepare("same_name", "SELECT 2"), pgkit::ProgrammingError);
  EXPECT_EQ(conn.query_value<int>(first), 1);
}

}  // namespace
