// Typed and raw COPY: the API itself (CopyWriter, CopyRows, stats) and input validation. Types are in
// copy_types_test.cpp, bad rows in copy_errors_test.cpp, size in copy_large_test.cpp, cancelling in
// copy_cancel_test.cpp, raw text and CSV in copy_raw_test.cpp.
#include "bulk/copy_test_support.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::InterfaceError;
using pgkit::copy_test::count_rows;
using pgkit::copy_test::expect_usable;
using pgkit::copy_test::message_of;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class Copy : public pgkit::testing::DatabaseTest {
 protected:
  pgkit::Connection conn = connect();
};

TEST_F(Copy, RoundTripsRowsThroughBinaryCopy) {
  conn.exec("CREATE TABLE items (id int, name text)");
  const std::vector<std::tuple<int, std::string>> rows = {{1, "one"}, {2, "two"}};
  EXPECT_EQ(pgkit::copy_in(conn, "items", {"id", "name"}, rows), 2);
  std::vector<std::tuple<int, std::string>> back;
  pgkit::copy_out<int, std::string>(conn, "SELECT id, name FROM items ORDER BY id",
                                    [&](const auto& row) { back.push_back(row); });
  EXPECT_EQ(back, rows);
}

TEST_F(Copy, WriterSendsRowsAndCountsThem) {
  conn.exec("CREATE TABLE counted (id bigint, label text)");
  pgkit::CopyOptions options;
  options.buffer_bytes = 1024;
  pgkit::CopyWriter writer(conn, "counted", {"id", "label"}, options);
  for (int i = 0; i < 1000; ++i) writer.write(std::make_tuple(i, fmt::format("label {}", i)));
  // Rows are counted as written, and sent as the buffer fills (not all held until finish()).
  EXPECT_EQ(writer.stats().rows, 1000);
  EXPECT_GT(writer.stats().bytes, 0U);
  EXPECT_EQ(writer.finish(), 1000);
  EXPECT_EQ(writer.stats().rows, 1000);
  EXPECT_GT(writer.stats().bytes, 1000U * 12);
  EXPECT_GE(writer.stats().peak_buffered_bytes, options.buffer_bytes);
  EXPECT_EQ(count_rows(conn, "counted"), 1000);
  EXPECT_EQ(conn.query_value<std::string>("SELECT label FROM counted WHERE id = 999"), "label 999");
  // Finished is finished.
  EXPECT_THROW(writer.write(std::make_tuple(1, std::string("late"))), InterfaceError);
  EXPECT_THROW(writer.finish(), InterfaceError);
  EXPECT_EQ(count_rows(conn, "counted"), 1000);
}

TEST_F(Copy, WriterWithNoRowsCopiesNothing) {
  conn.exec("CREATE TABLE nothing (id int)");
  pgkit::CopyWriter writer(conn, "nothing", {"id"});
  EXPECT_EQ(writer.finish(), 0);
  EXPECT_EQ(pgkit::copy_in(conn, "nothing", {"id"}, std::vector<int>{}), 0);
  EXPECT_EQ(count_rows(conn, "nothing"), 0);
  int calls = 0;
  EXPECT_EQ(pgkit::copy_out<int>(conn, "SELECT id FROM nothing", [&](int) { ++calls; }), 0);
  EXPECT_EQ(calls, 0);
}

TEST_F(Copy, SingleValueRowsAndNullLiterals) {
  conn.exec("CREATE TABLE singles (v text, w int)");
  EXPECT_EQ(pgkit::copy_in(conn, "singles", {"v"}, std::vector<std::string>{"a", "b"}), 2);
  EXPECT_EQ(pgkit::copy_in(conn, "singles", {"w"}, std::vector<std::optional<int>>{5, std::nullopt}), 2);
  pgkit::CopyWriter writer(conn, "singles", {"v", "w"});
  writer.write(std::make_tuple(std::nullopt, std::nullopt));  // std::nullopt fits any column
  writer.write(std::make_tuple("c", 6));                      // a string literal
  EXPECT_EQ(writer.finish(), 2);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM singles WHERE v IS NULL AND w IS NULL"), 2);
  EXPECT_THAT(conn.query<std::string>("SELECT v FROM singles WHERE v IS NOT NULL ORDER BY v"),
              ElementsAre("a", "b", "c"));
}

TEST_F(Copy, CopyRowsIsAnInputRangeWithStats) {
  pgkit::CopyRows<int, std::string> rows(conn, "SELECT g, 'row ' || g FROM generate_series(1, 5) g");
  int expected = 1;
  for (const auto& [id, label] : rows) {
    EXPECT_EQ(id, expected);
    EXPECT_EQ(label, fmt::format("row {}", expected));
    EXPECT_EQ(rows.stats().rows, expected);  // counted as decoded, one at a time
    ++expected;
  }
  EXPECT_EQ(expected, 6);
  EXPECT_EQ(rows.stats().rows, 5);
  EXPECT_GT(rows.stats().bytes, 0U);
  expect_usable(conn);
}

TEST_F(Copy, CopyOutAcceptsATrailingSemicolonAndComments) {
  std::vector<int> seen;
  EXPECT_EQ(pgkit::copy_out<int>(conn, "SELECT g FROM generate_series(1, 3) g -- three rows\n;  \n",
                                 [&](int v) { seen.push_back(v); }),
            3);
  EXPECT_THAT(seen, ElementsAre(1, 2, 3));
}

TEST_F(Copy, SchemaQualifiedAndUnusualNamesAreQuoted) {
  conn.exec(R"(CREATE SCHEMA "Sales Data")");
  conn.exec(R"(CREATE TABLE "Sales Data"."Order ""Lines""" ("Line No" int, "select" text))");
  const std::vector<std::tuple<int, std::string>> rows = {{1, "a"}, {2, "b"}};
  EXPECT_EQ(pgkit::copy_in(conn, pgkit::TableName("Sales Data", "Order \"Lines\""), {"Line No", "select"}, rows), 2);
  EXPECT_EQ(conn.query_value<std::int64_t>(R"(SELECT count(*) FROM "Sales Data"."Order ""Lines""")"), 2);

  // A name that would be SQL if pasted is only ever a name.
  const std::string hostile = "items; DROP TABLE victims; --";
  conn.exec("CREATE TABLE victims (id int)");
  EXPECT_THROW(pgkit::copy_in(conn, hostile, {"id"}, std::vector<int>{1}), pgkit::UndefinedTable);
  EXPECT_EQ(count_rows(conn, "victims"), 0);  // still there
  expect_usable(conn);
}

TEST_F(Copy, BadTableNamesAreRefusedBeforeAnythingIsSent) {
  const std::vector<int> rows = {1};
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, "", {"id"}, rows); }), HasSubstr("empty"));
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, pgkit::TableName("public", ""), {"id"}, rows); }),
              HasSubstr("empty"));
  const std::string long_name(64, 't');
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, long_name, {"id"}, rows); }),
              AllOf(HasSubstr("64 bytes"), HasSubstr("63")));
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, std::string("a\0b", 3), {"id"}, rows); }),
              HasSubstr("NUL"));
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, "\xff\xfe", {"id"}, rows); }), HasSubstr("UTF-8"));
  EXPECT_THROW(pgkit::copy_in(conn, "no_such_table", {"id"}, rows), pgkit::UndefinedTable);
  EXPECT_THROW(pgkit::copy_in(conn, pgkit::TableName("no_such_schema", "t"), {"id"}, rows), pgkit::UndefinedTable);
  expect_usable(conn);
}

TEST_F(Copy, BadColumnListsAreClearTypedErrors) {
  conn.exec("CREATE TABLE cols (id int, name text)");
  const std::vector<std::tuple<int, std::string>> rows = {{1, "a"}};
  // Unknown column: the server's error, before the COPY starts.
  const auto diagnostics = pgkit::testing::expect_database_error<pgkit::UndefinedColumn, pgkit::ProgrammingError>(
      [&] {
        pgkit::copy_in(conn, "cols", {"id", "nmae"}, rows);
      },
      "42703");
  EXPECT_THAT(diagnostics.message_primary, HasSubstr("nmae"));
  expect_usable(conn);
  // No columns at all (and no described struct to take them from).
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, "cols", {}, rows); }), HasSubstr("column"));
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, "cols", {"id", ""}, rows); }), HasSubstr("empty"));
  // Rows wider or narrower than the column list.
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, "cols", {"id"}, rows); }),
              AllOf(HasSubstr("row 1"), HasSubstr("2 values"), HasSubstr("1 column")));
  EXPECT_THAT(
      message_of<InterfaceError>([&] {
        pgkit::copy_in(conn, "cols", {"id", "name"}, std::vector<std::tuple<int, std::string, int>>{{1, "a", 2}});
      }),
      AllOf(HasSubstr("3 values"), HasSubstr("2 columns")));
  EXPECT_EQ(count_rows(conn, "cols"), 0);
  expect_usable(conn);
}

TEST_F(Copy, BadOptionsAreRefused) {
  conn.exec("CREATE TABLE opts (id int)");
  pgkit::CopyOptions zero;
  zero.buffer_bytes = 0;
  EXPECT_THROW(pgkit::copy_in(conn, "opts", {"id"}, std::vector<int>{1}, zero), InterfaceError);
  pgkit::CopyOptions negative;
  negative.timeout = std::chrono::milliseconds(-5);
  EXPECT_THROW(pgkit::copy_in(conn, "opts", {"id"}, std::vector<int>{1}, negative), InterfaceError);
  EXPECT_THROW(pgkit::copy_out<int>(
                   conn, "SELECT 1", [](int) {}, negative),
               InterfaceError);
  std::stringstream out;
  EXPECT_THROW(pgkit::copy_out_raw(conn, "COPY opts TO STDOUT", out, negative), InterfaceError);
  EXPECT_EQ(count_rows(conn, "opts"), 0);
  expect_usable(conn);
}

TEST_F(Copy, CopyOutQueriesTakeNoParametersAndOneStatement) {
  const auto refuse = [&](std::string_view query) {
    return message_of<InterfaceError>([&] { pgkit::copy_out<int>(conn, query, [](int) {}); });
  };
  EXPECT_THAT(refuse("SELECT $1::int"), HasSubstr("parameters"));
  EXPECT_THAT(refuse("SELECT g FROM generate_series(1, $2) g"), HasSubstr("parameters"));
  EXPECT_THAT(refuse("SELECT 1; SELECT 2"), HasSubstr("one query"));
  // "$1" inside a string literal or a comment is no parameter.
  std::vector<std::string> texts;
  pgkit::copy_out<std::string>(conn, "SELECT '$1' /* $2 */", [&](const std::string& s) { texts.push_back(s); });
  EXPECT_THAT(texts, ElementsAre("$1"));
  // A query the server refuses: its error.
  EXPECT_THROW(pgkit::copy_out<int>(conn, "SELECT nope FROM nowhere", [](int) {}), pgkit::UndefinedTable);
  EXPECT_THROW(pgkit::copy_out<int>(conn, "SELEC 1", [](int) {}), pgkit::SyntaxError);
  expect_usable(conn);
}

TEST_F(Copy, TheConnectionIsBusyWhileACopyRuns) {
  conn.exec("CREATE TABLE busy (id int)");
  {
    pgkit::CopyWriter writer(conn, "busy", {"id"});
    writer.write(1);
    EXPECT_THROW(conn.exec("SELECT 1"), InterfaceError);
    EXPECT_THROW(pgkit::copy_in(conn, "busy", {"id"}, std::vector<int>{2}), InterfaceError);
    writer.write(3);
    EXPECT_EQ(writer.finish(), 2);
  }
  {
    pgkit::CopyRows<int> rows(conn, "SELECT g FROM generate_series(1, 10) g");
    auto it = rows.begin();
    EXPECT_EQ(*it, 1);
    EXPECT_THROW(conn.exec("SELECT 1"), InterfaceError);
  }
  EXPECT_THAT(conn.query<int>("SELECT id FROM busy ORDER BY id"), ElementsAre(1, 3));
  expect_usable(conn);
}

}  // namespace
