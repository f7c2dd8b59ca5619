// pgkit::sql::Literal: every value written into SQL text comes back from the server as it was sent,
// whatever the session's settings say about how to read that text.
#include "sql/printable.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/json.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using pgkit::sql::Literal;
using pgkit::sql::SQL;
using pgkit::testing::printable;
using namespace std::chrono_literals;

// `SELECT <literal>` through the extended protocol (binary results).
template <class T>
T select_literal(pgkit::Connection& conn, const Literal& literal) {
  return conn.query_value<T>(SQL("SELECT {}").format(literal));
}

// `SELECT <literal>` through the simple protocol (text results), as a script would run it.
template <class T>
T select_literal_as_text(pgkit::Connection& conn, const Literal& literal) {
  return conn.execute_script(SQL("SELECT {}").format(literal)).one().as<T>();
}

// Strings that break naive quoting, in either reading of backslashes.
const std::vector<std::string>& tricky_strings() {
  static const std::vector<std::string> strings{
      "",
      "plain",
      "it's",
      "'",
      "''",
      "\\",
      "\\\\",
      "\\'",
      "'\\",
      "ends with a backslash\\",
      "a\\nb (a backslash and n, not a newline)",
      "\\x41 \\101 \\u0041",
      "E'not an escape string'",
      "'; DROP TABLE users; --",
      "\\'; DROP TABLE users; --",
      "$$ $tag$ /* -- */",
      "$q$ \\ $q1$",
      "\\$q",
      "$q$\\",
      "\\$q$$q1$$q2$$q3$",
      "\\ $1 $2 '$3'",
      "{} {0} }}",
      "line\nbreak\ttab\rreturn",
      "\x01\x1f\x7f",
      "\u65e5\u672c\u8a9e \U0001F600 e\u0301 \u202e",
      "\"double quotes\"",
  };
  return strings;
}

class Literals : public pgkit::testing::DatabaseTest {
 protected:
  // A connection of its own per setting: a statement prepared under one setting keeps the constants it
  // was parsed with, so reusing one connection would test the first setting only.
  static pgkit::Connection connect_with(const char* setting) {
    auto conn = connect();
    conn.exec(setting);
    return conn;
  }

  static void check_negative_intervals(const char* setting) {
    auto conn = connect_with(setting);
    for (const pgkit::Interval& interval :
         {pgkit::Interval{-12, 3, 0}, pgkit::Interval{-14, -3, 0}, pgkit::Interval{0, -1, 3'600'000'000},
          pgkit::Interval{5, 0, -1}, pgkit::Interval{-1, 1, -1}}) {
      const auto back = select_literal<pgkit::Interval>(conn, Literal(interval));
      EXPECT_EQ(back, interval) << setting << ": " << Literal(interval).str() << " came back as " << back.months
                                << " months " << back.days << " days " << back.microseconds << " us";
    }
  }
};

TEST_F(Literals, StringsComeBackUnchangedWithStandardConformingStringsOnAndOff) {
  for (const std::string_view setting : {"on", "off"}) {
    auto conn = connect_with(setting == "on" ? "SET standard_conforming_strings = on"
                                             : "SET standard_conforming_strings = off");
    ASSERT_EQ(conn.query_value<std::string>("SHOW standard_conforming_strings"), setting);
    for (const std::string& text : tricky_strings()) {
      EXPECT_EQ(select_literal<std::string>(conn, Literal(text)), text) << setting << ": " << printable(text);
      EXPECT_EQ(select_literal_as_text<std::string>(conn, Literal(text)), text) << setting << ": " << printable(text);
      EXPECT_TRUE(conn.query_value<bool>(SQL("SELECT {} = $1").format(Literal(std::string_view(text))), text))
          << setting << ": " << printable(text);
    }
  }
}

// The test above means something only if the setting changes how plain '...' text is read.
TEST_F(Literals, StandardConformingStringsChangesHowNaiveQuotingIsRead) {
  auto conn = connect();
  conn.exec("SET standard_conforming_strings = on");
  EXPECT_EQ(conn.query_value<std::string>(R"(SELECT 'a\\b')"), R"(a\\b)");
  conn.exec("SET standard_conforming_strings = off");
  EXPECT_EQ(conn.query_value<std::string>(R"(SELECT 'a\\b')"), R"(a\b)");
}

TEST_F(Literals, ANulByteIsAnInterfaceError) {
  try {
    [[maybe_unused]] const Literal literal(std::string("a\0b", 3));
    ADD_FAILURE() << "Literal accepted a NUL byte";
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_NE(std::string_view(e.what()).find("NUL"), std::string_view::npos) << e.what();
  }
}

TEST_F(Literals, IntegersAtTheirLimits) {
  auto conn = connect();
  EXPECT_EQ(select_literal<std::int16_t>(conn, Literal(std::numeric_limits<std::int16_t>::min())),
            std::numeric_limits<std::int16_t>::min());
  EXPECT_EQ(select_literal<std::int32_t>(conn, Literal(std::numeric_limits<std::int32_t>::min())),
            std::numeric_limits<std::int32_t>::min());
  EXPECT_EQ(select_literal<std::int32_t>(conn, Literal(std::numeric_limits<std::int32_t>::max())),
            std::numeric_limits<std::int32_t>::max());
  EXPECT_EQ(select_literal<std::int64_t>(conn, Literal(std::numeric_limits<std::int64_t>::min())),
            std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(select_literal<std::int64_t>(conn, Literal(std::numeric_limits<std::int64_t>::max())),
            std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(select_literal<std::uint64_t>(conn, Literal(std::uint64_t{9223372036854775807U})),
            std::uint64_t{9223372036854775807U});
  EXPECT_EQ(select_literal<int>(conn, Literal(0)), 0);
  // Past bigint there is no PostgreSQL integer to hold it.
  EXPECT_THROW(Literal(std::numeric_limits<std::uint64_t>::max()), pgkit::ConversionError);
}

// "10-{}" with -5 must not become "10--5", which the server reads as 10 followed by a comment.
TEST_F(Literals, NegativeNumbersStayNegativeAfterAnOperator) {
  auto conn = connect();
  EXPECT_EQ(conn.query_value<int>(SQL("SELECT 10-{}").format(Literal(-5))), 15);
  EXPECT_EQ(conn.query_value<std::int64_t>(SQL("SELECT 10-{}").format(Literal(std::int64_t{-5}))), 15);
  EXPECT_EQ(conn.query_value<double>(SQL("SELECT 10-{}").format(Literal(-1.5))), 11.5);
  EXPECT_EQ(conn.query_value<int>(SQL("SELECT @{}").format(Literal(-7))), 7);  // "@-" would be one operator
  EXPECT_EQ(conn.query_value<int>(SQL("SELECT {}").format(Literal(-7))), -7);
}

TEST_F(Literals, DoublesRoundTripExactly) {
  auto conn = connect();
  for (const double value :
       {0.1, -2.5, 1.0 / 3.0, 1e300, -1e-300, 5e-324, 2.2250738585072014e-308, std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest(), 123456789.123456789, 0.0}) {
    EXPECT_EQ(select_literal<double>(conn, Literal(value)), value) << fmt::format("{}", value);
    EXPECT_EQ(select_literal_as_text<double>(conn, Literal(value)), value) << fmt::format("{}", value);
  }
  EXPECT_EQ(select_literal<float>(conn, Literal(0.1F)), 0.1F);
  EXPECT_EQ(select_literal<float>(conn, Literal(std::numeric_limits<float>::max())), std::numeric_limits<float>::max());
}

TEST_F(Literals, NonFiniteDoublesAreQuotedAndCast) {
  auto conn = connect();
  const double infinity = std::numeric_limits<double>::infinity();
  EXPECT_EQ(Literal(infinity).str(), "'Infinity'::float8");
  EXPECT_TRUE(std::isnan(select_literal<double>(conn, Literal(std::numeric_limits<double>::quiet_NaN()))));
  EXPECT_EQ(select_literal<double>(conn, Literal(infinity)), infinity);
  EXPECT_EQ(select_literal<double>(conn, Literal(-infinity)), -infinity);
  EXPECT_EQ(select_literal<float>(conn, Literal(-std::numeric_limits<float>::infinity())),
            -std::numeric_limits<float>::infinity());
  // A minus in front must still make -Infinity, not a comment.
  EXPECT_EQ(conn.query_value<double>(SQL("SELECT -{}").format(Literal(-infinity))), infinity);
}

TEST_F(Literals, BooleansAndNulls) {
  auto conn = connect();
  EXPECT_TRUE(select_literal<bool>(conn, Literal(true)));
  EXPECT_FALSE(select_literal<bool>(conn, Literal(false)));
  EXPECT_EQ(select_literal<std::optional<int>>(conn, Literal(std::nullopt)), std::nullopt);
  EXPECT_EQ(select_literal<std::optional<int>>(conn, Literal(std::optional<int>())), std::nullopt);
  EXPECT_EQ(select_literal<std::optional<int>>(conn, Literal(std::optional<int>(7))), 7);
  EXPECT_EQ(select_literal<std::optional<std::string>>(conn, Literal(std::optional<std::string>("it's"))), "it's");
  EXPECT_TRUE(conn.query_value<bool>(SQL("SELECT {} IS NULL").format(Literal(std::optional<double>()))));
}

TEST_F(Literals, DecimalsKeepEveryDigitAndTheirScale) {
  auto conn = connect();
  for (const std::string_view text :
       {"999.99", "-0.001", "1.50", "0", "-12345678901234567890.123456789012345678", "NaN", "Infinity", "-Infinity"}) {
    const pgkit::Decimal value(text);
    const auto back = select_literal<pgkit::Decimal>(conn, Literal(value));
    EXPECT_EQ(back.str(), value.str()) << text;
  }
  EXPECT_EQ(conn.query_value<std::string>(SQL("SELECT pg_typeof({})::text").format(Literal(pgkit::Decimal("1.5")))),
            "numeric");
}

TEST_F(Literals, UuidsBytesAndJson) {
  const auto uuid = pgkit::Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  const pgkit::Bytes bytes{std::byte{0x00}, std::byte{'\\'}, std::byte{'\''}, std::byte{0xff}, std::byte{'x'}};
  const nlohmann::json document = {{"quote", "it's"}, {"backslash", "a\\b"}, {"nested", {1, "\u00e9", nullptr}}};
  for (const char* setting : {"SET standard_conforming_strings = on", "SET standard_conforming_strings = off"}) {
    auto conn = connect_with(setting);
    EXPECT_EQ(select_literal<pgkit::Uuid>(conn, Literal(uuid)), uuid) << setting;
    EXPECT_EQ(select_literal<pgkit::Bytes>(conn, Literal(bytes)), bytes) << setting;
    EXPECT_EQ(select_literal<nlohmann::json>(conn, Literal(document)), document) << setting;
  }
}

TEST_F(Literals, TextArrays) {
  auto conn = connect();
  const std::vector<std::string> values{"a", "b\"c", "d'e", "f\\g", "{h}", "i,j", "NULL", ""};
  EXPECT_EQ(select_literal<std::vector<std::string>>(conn, Literal(values)), values);
}

// Negative zero keeps its sign, in double and in real, and real stays real.
TEST_F(Literals, NegativeZeroAndRealKeepTheirTypeAndSign) {
  auto conn = connect();
  const double back = select_literal<double>(conn, Literal(-0.0));
  EXPECT_EQ(back, 0.0);
  EXPECT_TRUE(std::signbit(back)) << Literal(-0.0).str();
  EXPECT_TRUE(std::signbit(select_literal_as_text<double>(conn, Literal(-0.0))));
  EXPECT_TRUE(std::signbit(select_literal<float>(conn, Literal(-0.0F))));
  EXPECT_EQ(conn.query_value<std::string>(SQL("SELECT pg_typeof({})::text").format(Literal(0.1F))), "real");
  EXPECT_EQ(conn.query_value<std::string>(SQL("SELECT pg_typeof({})::text").format(Literal(0.1))),
            "double precision");
  EXPECT_EQ(conn.query_value<double>(SQL("SELECT 1-{}").format(Literal(-0.5))), 1.5);
}

// An array literal of every element type the driver sends reads back equal, with its type, NULLs and
// dimensions (binary-format elements used to be pasted as their binary bytes).
template <class T>
void expect_array_literal(pgkit::Connection& conn, const std::vector<T>& values, std::string_view type) {
  const Literal literal(values);
  EXPECT_EQ(select_literal<std::vector<T>>(conn, literal), values) << literal.str();
  EXPECT_EQ(select_literal_as_text<std::vector<T>>(conn, literal), values) << literal.str();
  EXPECT_EQ(conn.query_value<std::string>(SQL("SELECT pg_typeof({})::text").format(literal)), type) << literal.str();
}

TEST_F(Literals, ArraysOfEveryElementType) {
  using namespace std::chrono;
  auto conn = connect();
  expect_array_literal<int>(conn, {1, -2, 2147483647, -2147483647 - 1}, "integer[]");
  expect_array_literal<std::int16_t>(conn, {-32768, 32767}, "smallint[]");
  expect_array_literal<std::int64_t>(conn, {std::numeric_limits<std::int64_t>::min(), 0}, "bigint[]");
  expect_array_literal<bool>(conn, {true, false, true}, "boolean[]");
  expect_array_literal<double>(conn, {0.1, -0.0, 1e300, std::numeric_limits<double>::infinity()},
                               "double precision[]");
  expect_array_literal<float>(conn, {0.1F, -3.5F}, "real[]");
  expect_array_literal<pgkit::Decimal>(conn, {pgkit::Decimal("1.50"), pgkit::Decimal("-0.001"), pgkit::Decimal("NaN")},
                                       "numeric[]");
  expect_array_literal<pgkit::Bytes>(conn, {{std::byte{0}, std::byte{'\\'}, std::byte{'"'}}, {}}, "bytea[]");
  expect_array_literal<pgkit::Uuid>(conn, {pgkit::Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")}, "uuid[]");
  expect_array_literal<year_month_day>(conn, {year{2024} / February / 29, year{-43} / March / 15}, "date[]");
  expect_array_literal<sys_time<microseconds>>(conn, {sys_days{year{2000} / 1 / 1} + 1us}, "timestamp with time zone[]");
  expect_array_literal<pgkit::Interval>(conn, {pgkit::Interval{-14, 3, -1}}, "interval[]");
  expect_array_literal<std::optional<int>>(conn, {1, std::nullopt, 3}, "integer[]");
  expect_array_literal<std::vector<int>>(conn, {{1, 2}, {3, 4}}, "integer[]");
  expect_array_literal<std::vector<std::optional<std::string>>>(conn, {{"a b", std::nullopt}, {"NULL", "\\"}}, "text[]");
  expect_array_literal<int>(conn, {}, "integer[]");
}

TEST_F(Literals, DatesAndTimes) {
  using std::chrono::February;
  using std::chrono::March;
  const std::chrono::year_month_day leap_day{std::chrono::year{2024}, February, std::chrono::day{29}};
  const std::chrono::year_month_day ides{std::chrono::year{-43}, March, std::chrono::day{15}};  // 44 BC
  const auto local = std::chrono::local_days{leap_day} + 13h + 14min + 15s + 123456us;
  const auto instant = std::chrono::sys_days{leap_day} + 23h + 59min + 59s + 999999us;
  const pgkit::Interval interval{14, 3, 4'000'001};

  // Every reading of dates and times a session may choose; ISO input is read the same under all of them.
  for (const char* setting : {"SET DateStyle = 'ISO, MDY'", "SET DateStyle = 'SQL, DMY'", "SET DateStyle = 'German'",
                              "SET TimeZone = 'America/New_York'", "SET TimeZone = 'Asia/Kolkata'"}) {
    auto conn = connect_with(setting);
    EXPECT_EQ(select_literal<std::chrono::year_month_day>(conn, Literal(leap_day)), leap_day) << setting;
    EXPECT_EQ(select_literal<std::chrono::year_month_day>(conn, Literal(ides)), ides) << setting;
    EXPECT_EQ(select_literal<std::chrono::local_time<std::chrono::microseconds>>(conn, Literal(local)), local)
        << setting;
    EXPECT_EQ(select_literal<std::chrono::sys_time<std::chrono::microseconds>>(conn, Literal(instant)), instant)
        << setting;
    EXPECT_EQ(select_literal<pgkit::Interval>(conn, Literal(interval)), interval) << setting;
  }
}

// Every IntervalStyle but sql_standard reads what Literal writes for negative intervals alike.
TEST_F(Literals, NegativeIntervals) {
  for (const char* setting :
       {"SET IntervalStyle = postgres", "SET IntervalStyle = iso_8601", "SET IntervalStyle = postgres_verbose"}) {
    check_negative_intervals(setting);
  }
}

// Under IntervalStyle sql_standard a leading minus applies to every field without a sign of its own, so
// Interval{-12, 3, 0} must be written as PostgreSQL writes it, "-1 years +3 days", not "-1 year 3 days".
TEST_F(Literals, NegativeIntervalsUnderSqlStandardIntervalStyle) {
  check_negative_intervals("SET IntervalStyle = sql_standard");
}

// In Shift-JIS (and BIG5, GBK, ...) the byte 0x5C ('\') can end a two-byte character. The server reads the
// statement in the client encoding, so a backslash the client doubled can be half a character: an
// E'...' literal would then fail (\' is refused while backslash_quote = safe_encoding, the default) or,
// once a session sets backslash_quote = on, end early and run the rest of the value as SQL.
// pgkit's own connections refuse SJIS (they talk UTF-8 only), but a Literal may end up in SQL run by
// other clients: it is run here through libpq, in a Shift-JIS session.
TEST_F(Literals, BackslashesAreSafeInClientEncodingsWithBackslashTrailBytes) {
  const std::string katakana_so = "\x83\x5c";  // ソ in Shift-JIS
  for (const char* setting : {"SET backslash_quote = safe_encoding", "SET backslash_quote = on"}) {
    const std::unique_ptr<PGconn, decltype(&PQfinish)> conn(
        PQconnectdb((database_url() + " client_encoding=SJIS").c_str()), &PQfinish);
    ASSERT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
    ASSERT_STREQ(PQparameterStatus(conn.get(), "client_encoding"), "SJIS");
    PQclear(PQexec(conn.get(), setting));
    for (const std::string& value : {katakana_so, katakana_so + "' || current_user --", katakana_so + "\\",
                                     "\\" + katakana_so + "'; SELECT 1; --", katakana_so + "$q$"}) {
      const std::string sql = SQL("SELECT {}").format(Literal(value)).str();
      const std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
      ASSERT_EQ(PQresultStatus(result.get()), PGRES_TUPLES_OK)
          << setting << ": " << printable(value) << ": " << PQresultErrorMessage(result.get());
      ASSERT_EQ(PQntuples(result.get()), 1);
      EXPECT_EQ(std::string(PQgetvalue(result.get(), 0, 0), PQgetlength(result.get(), 0, 0)), value)
          << setting << ": " << printable(value);
    }
  }
}

TEST(SqlLiteral, QuotesWithoutDependingOnSessionSettings) {
  EXPECT_EQ(Literal("it's").str(), "'it''s'");
  EXPECT_EQ(Literal("a\\b").str(), "$q$a\\b$q$");
  EXPECT_EQ(Literal("\\$q$").str(), "$q1$\\$q$$q1$");
  // The tag must not be completed by the end of the text either.
  EXPECT_EQ(Literal("\\$q").str(), "$q1$\\$q$q1$");
  EXPECT_EQ(Literal("\\$q$ $q1$").str(), "$q2$\\$q$ $q1$$q2$");
  EXPECT_EQ(Literal(-5).str(), " -5");
}

}  // namespace
