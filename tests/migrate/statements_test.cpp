// The migration statement splitter: where statements end (quotes, comments, dollar quotes, function
// bodies) and the line each starts on; then every statement of pagila's schema, run one at a time.
#include "migrate/statements.hpp"

#include "support/test_server.hpp"

#include <pgkit/connection.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using pgkit::migrate::detail::split_statements;
using pgkit::migrate::detail::Statement;
using pgkit::migrate::detail::tokenize;
using pgkit::migrate::detail::TokenKind;

std::vector<std::string> texts(std::string_view sql) {
  std::vector<std::string> out;
  for (const Statement& s : split_statements(sql)) out.push_back(s.text);
  return out;
}
std::vector<int> lines(std::string_view sql) {
  std::vector<int> out;
  for (const Statement& s : split_statements(sql)) out.push_back(s.line);
  return out;
}
using Texts = std::vector<std::string>;

TEST(SplitStatements, SplitsAtSemicolonsAndTrims) {
  EXPECT_EQ(texts("SELECT 1; SELECT 2;\nSELECT 3"), (Texts{"SELECT 1", "SELECT 2", "SELECT 3"}));
  EXPECT_EQ(texts("  CREATE TABLE t (a int)  ;  "), (Texts{"CREATE TABLE t (a int)"}));
}

TEST(SplitStatements, DropsEmptyStatements) {
  EXPECT_TRUE(split_statements("").empty());
  EXPECT_TRUE(split_statements(" ;;\n ; -- only a comment\n/* and another */ ;").empty());
  EXPECT_EQ(texts(";;SELECT 1;;;SELECT 2;;"), (Texts{"SELECT 1", "SELECT 2"}));
}

TEST(SplitStatements, SemicolonsInStringsDoNotSplit) {
  EXPECT_EQ(texts("SELECT 'a;b'; SELECT 'it''s; here'"), (Texts{"SELECT 'a;b'", "SELECT 'it''s; here'"}));
  // In E'...' a backslash escapes the quote; in a plain string it does not.
  EXPECT_EQ(texts(R"(SELECT E'a\';b'; SELECT 2)"), (Texts{R"(SELECT E'a\';b')", "SELECT 2"}));
  EXPECT_EQ(texts(R"(SELECT e'x\\'; SELECT 2)"), (Texts{R"(SELECT e'x\\')", "SELECT 2"}));
  EXPECT_EQ(texts(R"(SELECT 'a\'; SELECT 2)"), (Texts{R"(SELECT 'a\')", "SELECT 2"}));
  // A word ending in e before a quote is not an E prefix: the backslash stays literal.
  EXPECT_EQ(texts(R"(SELECT 1 AS some'\'; SELECT 2)"), (Texts{R"(SELECT 1 AS some'\')", "SELECT 2"}));
  EXPECT_EQ(texts("SELECT B'1;0', X'ff;'; SELECT 2"), (Texts{"SELECT B'1;0', X'ff;'", "SELECT 2"}));
}

TEST(SplitStatements, SemicolonsInQuotedIdentifiersDoNotSplit) {
  EXPECT_EQ(texts(R"(CREATE TABLE "a;""b" (x int); SELECT 1)"), (Texts{R"(CREATE TABLE "a;""b" (x int))", "SELECT 1"}));
}

TEST(SplitStatements, DollarQuotes) {
  const std::string fn = "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql";
  EXPECT_EQ(texts(fn + "; SELECT f()"), (Texts{fn, "SELECT f()"}));
  const std::string tagged = "DO $body$ BEGIN PERFORM '$$;'; END $body$";
  EXPECT_EQ(texts(tagged + ";SELECT 2"), (Texts{tagged, "SELECT 2"}));
  // $1 is a parameter and a$b$ an identifier, not dollar quotes.
  EXPECT_EQ(texts("SELECT $1; SELECT a$b$; SELECT 3"), (Texts{"SELECT $1", "SELECT a$b$", "SELECT 3"}));
  // A different tag inside does not close the outer quote.
  const std::string nested = "SELECT $a$ $b$ ; $b$ ; $a$";
  EXPECT_EQ(texts(nested + "; SELECT 4"), (Texts{nested, "SELECT 4"}));
}

TEST(SplitStatements, Comments) {
  EXPECT_EQ(texts("SELECT 1 -- a; comment\n, 2; SELECT 3"), (Texts{"SELECT 1 -- a; comment\n, 2", "SELECT 3"}));
  EXPECT_EQ(texts("SELECT /* a; /* nested; */ still; */ 1; SELECT 2"),
            (Texts{"SELECT /* a; /* nested; */ still; */ 1", "SELECT 2"}));
  // Comments before a statement and after its last token are not part of it.
  EXPECT_EQ(texts("-- head\n/* block */ SELECT 1 /* tail */ ; -- after"), (Texts{"SELECT 1"}));
  // Quotes inside comments do not open strings.
  EXPECT_EQ(texts("-- it's\nSELECT 1; /* \"x */ SELECT 2"), (Texts{"SELECT 1", "SELECT 2"}));
}

TEST(SplitStatements, SqlStandardFunctionBodies) {
  const std::string atomic =
      "CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT a + b;\n  SELECT "
      "CASE WHEN a > 0 THEN 1 ELSE 0 END;\nEND";
  EXPECT_EQ(texts(atomic + ";\nSELECT add(1, 2)"), (Texts{atomic, "SELECT add(1, 2)"}));
  const std::string proc = "create or replace procedure p() language sql begin atomic insert into t values (1); end";
  EXPECT_EQ(texts(proc + "; select 1"), (Texts{proc, "select 1"}));
  // BEGIN as a statement of its own is a transaction, not a body.
  EXPECT_EQ(texts("BEGIN; SELECT 1; END; COMMIT"), (Texts{"BEGIN", "SELECT 1", "END", "COMMIT"}));
  // CASE ... END outside a body does not hold the statement open.
  EXPECT_EQ(texts("CREATE FUNCTION g() RETURNS int AS 'SELECT 1' LANGUAGE sql; SELECT CASE WHEN true THEN 1 END; "
                  "SELECT 2"),
            (Texts{"CREATE FUNCTION g() RETURNS int AS 'SELECT 1' LANGUAGE sql", "SELECT CASE WHEN true THEN 1 END",
                   "SELECT 2"}));
}

TEST(SplitStatements, SemicolonsInsideParenthesesDoNotSplit) {
  EXPECT_EQ(texts("CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); "
                  "SELECT 1"),
            (Texts{"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))",
                   "SELECT 1"}));
}

TEST(SplitStatements, LineIsWhereTheFirstTokenStarts) {
  EXPECT_EQ(lines("SELECT 1;\n\n  SELECT 2;\n-- comment\n/* a\nb */\n\n  SELECT\n3;"), (std::vector<int>{1, 3, 8}));
  // Newlines inside strings, dollar quotes and comments count.
  EXPECT_EQ(lines("SELECT 'a\nb'; SELECT $$\n\n$$; /*\n*/ SELECT 3; SELECT E'\\\n'\n; SELECT 5"),
            (std::vector<int>{1, 2, 5, 5, 7}));
  EXPECT_EQ(lines("\r\n\r\nSELECT 1"), (std::vector<int>{3}));
}

TEST(SplitStatements, UnterminatedQuoteRunsToTheEnd) {
  // The server reports the error; the splitter keeps the text for it.
  EXPECT_EQ(texts("SELECT 1; SELECT 'open; SELECT 2"), (Texts{"SELECT 1", "SELECT 'open; SELECT 2"}));
  EXPECT_EQ(texts("SELECT 1; SELECT /* open; SELECT 2"), (Texts{"SELECT 1", "SELECT"}));
  EXPECT_EQ(texts("SELECT $x$ open; SELECT 2"), (Texts{"SELECT $x$ open; SELECT 2"}));
}

TEST(Tokenize, KindsAndLines) {
  const auto tokens = tokenize("ALTER TABLE \"T\" ADD c numeric(10,2) DEFAULT 1.5e-3 -- x\n/* y */ $1 E'z';");
  std::vector<TokenKind> kinds;
  kinds.reserve(tokens.size());
  for (const auto& t : tokens) kinds.push_back(t.kind);
  using K = TokenKind;
  EXPECT_EQ(kinds, (std::vector<K>{K::word, K::word, K::quoted_identifier, K::word, K::word, K::word, K::punctuation,
                                   K::number, K::punctuation, K::number, K::punctuation, K::word, K::number,
                                   K::line_comment, K::block_comment, K::parameter, K::string, K::punctuation}));
  EXPECT_EQ(tokens[12].text, "1.5e-3");
  EXPECT_EQ(tokens[13].text, "-- x");
  EXPECT_EQ(tokens[14].line, 2);
  EXPECT_EQ(tokens[16].text, "E'z'");
}

// Pagila's schema (pg_dump output: functions, a trigger function in PL/pgSQL, domains, views, rules)
// split here and run one statement at a time with the extended protocol, which refuses a text holding
// two statements: each piece must be exactly one whole statement.
class PagilaSchema : public pgkit::testing::DatabaseTest {};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST_F(PagilaSchema, EveryStatementRunsAlone) {
  const std::filesystem::path path = std::filesystem::path(PGKIT_PAGILA_DIR) / "pagila-schema.sql";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "pagila's schema is not at " << path;
  const auto statements = split_statements(read_file(path));
  ASSERT_GT(statements.size(), 100U);
  auto conn = connect();
  // pg_dump names the owner; a test server whose superuser is not `postgres` gets that role.
  if (!conn.query_value<bool>("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = 'postgres')")) {
    conn.exec("CREATE ROLE postgres");
  }
  for (const Statement& s : statements) {
    ASSERT_NO_THROW(conn.exec(s.text)) << "line " << s.line << ": " << s.text;
  }
  std::int64_t create_tables = 0;
  for (const Statement& s : statements) create_tables += s.text.starts_with("CREATE TABLE ") ? 1 : 0;
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            create_tables);
  EXPECT_TRUE(conn.query_value<bool>("SELECT to_regproc('public.film_in_stock') IS NOT NULL"));
  EXPECT_TRUE(conn.query_value<bool>("SELECT to_regclass('public.rental') IS NOT NULL"));
}

// A SQL-standard body's inner semicolons, run on the server: each piece goes through the simple
// protocol, which would run a wrongly cut piece as far as its first ';' and then fail on the rest.
TEST_F(PagilaSchema, BeginAtomicBodiesRunWhole) {
  const std::string sql =
      "CREATE TABLE counters (n int);\n"
      "CREATE FUNCTION bump(k int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  INSERT INTO counters VALUES (k);\n"
      "  SELECT CASE WHEN k > 0 THEN k * 2 ELSE 0 END;\nEND;\n"
      "CREATE PROCEDURE twice() LANGUAGE sql BEGIN ATOMIC SELECT bump(1); SELECT bump(2); END;\n"
      "CALL twice();";
  const auto statements = split_statements(sql);
  ASSERT_EQ(statements.size(), 4U);
  EXPECT_EQ((std::vector<int>{statements[0].line, statements[1].line, statements[2].line, statements[3].line}),
            (std::vector<int>{1, 2, 7, 8}));
  auto conn = connect();
  for (const Statement& s : statements) conn.execute_script(s.text);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT sum(n) FROM counters"), 3);
  EXPECT_EQ(conn.query_value<int>("SELECT bump(5)"), 10);
}

}  // namespace
