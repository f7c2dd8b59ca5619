// Every type the core driver sends in binary form, through a typed COPY in and back out (copy_out and
// CopyRows), and checked through a normal query: the server must hold the right value, not just give
// pgkit back the bytes pgkit wrote.
#include "bulk/copy_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/json.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/uuid.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <fmt/format.h>
#include <gmock/gmock.h>

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::Bytes;
using pgkit::Connection;
using pgkit::Decimal;
using pgkit::Interval;
using pgkit::Uuid;
using std::chrono::hh_mm_ss;
using std::chrono::local_days;
using std::chrono::local_time;
using std::chrono::microseconds;
using std::chrono::nanoseconds;
using std::chrono::sys_days;
using std::chrono::sys_time;
using std::chrono::year_month_day;
using ::testing::ElementsAre;
using Text = std::optional<std::string>;

enum class Mood { sad, ok, happy };
BOOST_DESCRIBE_ENUM(Mood, sad, ok, happy)

class CopyTypes : public pgkit::testing::DatabaseTest {
 protected:
  void SetUp() override { conn.exec("SET TimeZone = 'UTC'"); }

  // Creates `table` (id int, v <sql_type>), copies `values` into it through a typed binary COPY (row i
  // has id i), and returns what a binary COPY out reads back, in id order.
  template <class T>
  std::vector<std::optional<T>> round_trip(const std::string& table, std::string_view sql_type,
                                           const std::vector<std::optional<T>>& values) {
    conn.exec(fmt::format("CREATE TABLE {} (id int PRIMARY KEY, v {})", table, sql_type));
    std::vector<std::tuple<int, std::optional<T>>> rows;
    for (std::size_t i = 0; i < values.size(); ++i) rows.emplace_back(static_cast<int>(i), values[i]);
    EXPECT_EQ(pgkit::copy_in(conn, table, {"id", "v"}, rows), static_cast<std::int64_t>(values.size()));

    std::vector<std::optional<T>> back;
    pgkit::CopyRows<int, std::optional<T>> copied(conn, fmt::format("SELECT id, v FROM {} ORDER BY id", table));
    for (const auto& [id, value] : copied) {
      EXPECT_EQ(id, static_cast<int>(back.size()));
      back.push_back(value);
    }
    EXPECT_EQ(copied.stats().rows, static_cast<std::int64_t>(values.size()));
    return back;
  }

  // The server's own text for each stored value (NULL: nullopt), by a normal query, in id order.
  std::vector<Text> server_texts(const std::string& table) {
    return conn.query<Text>(fmt::format("SELECT v::text FROM {} ORDER BY id", table));
  }

  Connection conn = connect();
};

TEST_F(CopyTypes, Booleans) {
  const std::vector<std::optional<bool>> values = {true, false, std::nullopt};
  EXPECT_EQ(round_trip("booleans", "boolean", values), values);
  EXPECT_THAT(server_texts("booleans"), ElementsAre("true", "false", std::nullopt));
}

TEST_F(CopyTypes, IntegersAtTheirLimits) {
  conn.exec("CREATE TABLE integers (id int, i2 smallint, i4 integer, i8 bigint)");
  using Row = std::tuple<int, std::optional<std::int16_t>, std::optional<std::int32_t>, std::optional<std::int64_t>>;
  using I16 = std::numeric_limits<std::int16_t>;
  using I32 = std::numeric_limits<std::int32_t>;
  using I64 = std::numeric_limits<std::int64_t>;
  const std::vector<Row> rows = {
      {0, I16::min(), I32::min(), I64::min()},
      {1, I16::max(), I32::max(), I64::max()},
      {2, 0, 0, 0},
      {3, -1, -1, -1},
      {4, std::nullopt, std::nullopt, std::nullopt},
  };
  EXPECT_EQ(pgkit::copy_in(conn, "integers", {"id", "i2", "i4", "i8"}, rows), 5);

  std::vector<Row> back;
  EXPECT_EQ(
      (pgkit::copy_out<int, std::optional<std::int16_t>, std::optional<std::int32_t>, std::optional<std::int64_t>>(
          conn, "SELECT id, i2, i4, i8 FROM integers ORDER BY id", [&](const Row& row) { back.push_back(row); })),
      5);
  EXPECT_EQ(back, rows);

  using ServerRow = std::tuple<Text, Text, Text>;
  EXPECT_THAT((conn.query<Text, Text, Text>("SELECT i2::text, i4::text, i8::text FROM integers ORDER BY id")),
              ElementsAre(ServerRow{"-32768", "-2147483648", "-9223372036854775808"},
                          ServerRow{"32767", "2147483647", "9223372036854775807"}, ServerRow{"0", "0", "0"},
                          ServerRow{"-1", "-1", "-1"}, ServerRow{std::nullopt, std::nullopt, std::nullopt}));
}

TEST_F(CopyTypes, DoublesIncludingNanInfinitiesAndNegativeZero) {
  using D = std::numeric_limits<double>;
  const std::vector<std::optional<double>> values = {
      0.0,           -0.0,           1.5,         0.1, D::max(), D::min(), D::denorm_min(), D::lowest(), D::quiet_NaN(),
      D::infinity(), -D::infinity(), std::nullopt};
  const auto back = round_trip("doubles", "double precision", values);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i]) {
      EXPECT_FALSE(back[i].has_value()) << i;
    } else if (std::isnan(*values[i])) {
      ASSERT_TRUE(back[i].has_value());
      EXPECT_TRUE(std::isnan(*back[i])) << i;
    } else {
      ASSERT_TRUE(back[i].has_value());
      EXPECT_EQ(std::bit_cast<std::uint64_t>(*back[i]), std::bit_cast<std::uint64_t>(*values[i]))
          << i << ": " << *values[i] << " came back as " << *back[i];
    }
  }
  EXPECT_THAT(server_texts("doubles"),
              ElementsAre("0", "-0", "1.5", "0.1", "1.7976931348623157e+308", "2.2250738585072014e-308", "5e-324",
                          "-1.7976931348623157e+308", "NaN", "Infinity", "-Infinity", std::nullopt));
}

TEST_F(CopyTypes, FloatsIncludingNanAndInfinities) {
  using F = std::numeric_limits<float>;
  const std::vector<std::optional<float>> values = {
      1.5F, 0.1F, F::max(), F::min(), F::denorm_min(), F::quiet_NaN(), F::infinity(), -F::infinity(), std::nullopt};
  const auto back = round_trip("floats", "real", values);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] && std::isnan(*values[i])) {
      ASSERT_TRUE(back[i].has_value());
      EXPECT_TRUE(std::isnan(*back[i]));
    } else {
      EXPECT_EQ(back[i], values[i]) << i;
    }
  }
  EXPECT_THAT(server_texts("floats"), ElementsAre("1.5", "0.1", "3.4028235e+38", "1.1754944e-38", "1e-45", "NaN",
                                                  "Infinity", "-Infinity", std::nullopt));
}

TEST_F(CopyTypes, FloatingPointConvertsToTheColumnsWidth) {
  conn.exec("CREATE TABLE widths (id int, r real, d double precision)");
  const std::vector<std::tuple<int, double, float>> rows = {{1, 0.1, 0.1F}, {2, 1e300, 2.5F}};
  EXPECT_EQ(pgkit::copy_in(conn, "widths", {"id", "r", "d"}, rows), 2);
  // A double narrowed to real, a float widened to double precision, as a C++ cast would; 1e300 becomes
  // infinity in a real, exactly as static_cast<float> makes it.
  EXPECT_THAT((conn.query<std::string, std::string>("SELECT r::text, d::text FROM widths ORDER BY id")),
              ElementsAre(std::tuple<std::string, std::string>{"0.1", "0.10000000149011612"},
                          std::tuple<std::string, std::string>{"Infinity", "2.5"}));
}

TEST_F(CopyTypes, TextAndVarcharWithNonAscii) {
  std::string long_text;
  while (long_text.size() < 200'000) long_text += "ünïcødé 日本語 🐘 ";
  const std::vector<Text> values = {
      "",        "plain",      "héllo wörld",
      "日本語",  "🐘 elephant", "tab\there\nnew line \\ backslash \"quote\" 'apostrophe' \\N",
      long_text, std::nullopt};
  EXPECT_EQ(round_trip("texts", "text", values), values);
  // A normal query reads what the server stored, and the server counts characters, not bytes.
  EXPECT_EQ(conn.query<Text>("SELECT v FROM texts ORDER BY id"), values);
  EXPECT_EQ(conn.query_value<int>("SELECT char_length(v) FROM texts WHERE id = 3"), 3);
  EXPECT_EQ(conn.query_value<int>("SELECT char_length(v) FROM texts WHERE id = 4"), 10);
  EXPECT_EQ(conn.query_value<bool>("SELECT v = 'héllo wörld' FROM texts WHERE id = 2"), true);

  // varchar(n), from std::string_view and const char* as well as std::string.
  conn.exec("CREATE TABLE names (id int, v varchar(12))");
  pgkit::CopyWriter writer(conn, "names", {"id", "v"});
  writer.write(std::tuple<int, std::string>{1, "Zoë"});
  writer.write(std::tuple<int, std::string_view>{2, "Ålesund"});
  writer.write(std::tuple<int, const char*>{3, "東京"});
  writer.write(std::make_tuple(4, std::nullopt));
  EXPECT_EQ(writer.finish(), 4);
  EXPECT_THAT(conn.query<Text>("SELECT v FROM names ORDER BY id"), ElementsAre("Zoë", "Ålesund", "東京", std::nullopt));
  EXPECT_THAT(conn.query<int>("SELECT octet_length(v) FROM names WHERE v IS NOT NULL ORDER BY id"),
              ElementsAre(4, 8, 6));
}

TEST_F(CopyTypes, ByteaEmptyAllByteValuesAndSeveralMegabytes) {
  Bytes every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<std::byte>(b));
  Bytes large(5 * 1024 * 1024 + 7);
  std::uint32_t state = 12345;
  for (auto& b : large) {
    state = state * 1103515245U + 12345U;
    b = static_cast<std::byte>(state >> 24);
  }
  const std::vector<std::optional<Bytes>> values = {Bytes{}, every_byte, large, std::nullopt};
  // A small buffer: the large value must still go whole (a field is never split across rows).
  const auto back = round_trip("blobs", "bytea", values);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_TRUE(back[i] == values[i]) << "row " << i;

  EXPECT_THAT(conn.query<std::optional<std::int64_t>>("SELECT length(v) FROM blobs ORDER BY id"),
              ElementsAre(0, 256, static_cast<std::int64_t>(large.size()), std::nullopt));
  std::string hex;
  for (int b = 0; b < 256; ++b) hex += fmt::format("{:02x}", b);
  EXPECT_EQ(conn.query_value<std::string>("SELECT encode(v, 'hex') FROM blobs WHERE id = 1"), hex);
  // The large value read by a normal query (not through COPY) is the same bytes.
  EXPECT_TRUE(conn.query_value<Bytes>("SELECT v FROM blobs WHERE id = 2") == large);
  EXPECT_EQ(conn.query_value<int>("SELECT get_byte(v, 5 * 1024 * 1024 + 6) FROM blobs WHERE id = 2"),
            static_cast<int>(large.back()));
}

TEST_F(CopyTypes, NumericAsDecimal) {
  const std::string huge = std::string(1000, '9');
  const std::string tiny = "0." + std::string(199, '0') + "1";
  const std::vector<std::optional<Decimal>> values = {
      Decimal("0"),
      Decimal("1.50"),
      Decimal("-0.001"),
      Decimal("123456789012345678901234567890.123456789012345678901234567890"),
      Decimal(huge),
      Decimal("-" + huge + ".5"),
      Decimal(tiny),
      Decimal("1e300"),  // digits far left of the point, all zero: weight without digits
      Decimal("-12300"),
      Decimal(std::numeric_limits<std::int64_t>::min()),
      Decimal::nan(),
      Decimal::infinity(),
      Decimal::infinity(true),
      std::nullopt,
  };
  const auto back = round_trip("numbers", "numeric", values);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(back[i].has_value(), values[i].has_value()) << i;
    // Exactly the same text: the scale is kept ("1.50" stays "1.50").
    if (values[i]) {
      EXPECT_EQ(back[i]->str(), values[i]->str()) << i;
    }
  }
  std::vector<Text> expected;
  for (const auto& value : values) expected.push_back(value ? Text(value->str()) : std::nullopt);
  EXPECT_EQ(server_texts("numbers"), expected);
  EXPECT_EQ(expected[7], "1" + std::string(300, '0'));
  // The server compares them as numbers.
  EXPECT_TRUE(conn.query_value<bool>("SELECT v = 1.5 FROM numbers WHERE id = 1"));
  EXPECT_TRUE(conn.query_value<bool>("SELECT v = 'NaN' FROM numbers WHERE id = 10"));
  EXPECT_TRUE(conn.query_value<bool>("SELECT v > 10::numeric ^ 999 FROM numbers WHERE id = 4"));

  // The column's precision and (negative) scale apply to binary input: the server rounds.
  conn.exec("CREATE TABLE rounded (id int, cents numeric(8, 2), thousands numeric(10, -3))");
  const std::vector<std::tuple<int, Decimal, Decimal>> rows = {{1, Decimal("1234.567"), Decimal("1234567")},
                                                               {2, Decimal("-0.005"), Decimal("-499")}};
  EXPECT_EQ(pgkit::copy_in(conn, "rounded", {"id", "cents", "thousands"}, rows), 2);
  std::vector<std::tuple<Decimal, Decimal>> rounded;
  pgkit::copy_out<Decimal, Decimal>(conn, "SELECT cents, thousands FROM rounded ORDER BY id",
                                    [&](const auto& row) { rounded.push_back(row); });
  ASSERT_EQ(rounded.size(), 2U);
  EXPECT_EQ(std::get<0>(rounded[0]).str(), "1234.57");
  EXPECT_EQ(std::get<1>(rounded[0]).str(), "1235000");
  EXPECT_EQ(std::get<0>(rounded[1]).str(), "-0.01");
  EXPECT_EQ(std::get<1>(rounded[1]).str(), "0");
}

TEST_F(CopyTypes, Uuids) {
  const std::vector<std::optional<Uuid>> values = {Uuid(), Uuid::parse("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                                                   Uuid::parse("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"), std::nullopt};
  EXPECT_EQ(round_trip("uuids", "uuid", values), values);
  EXPECT_THAT(server_texts("uuids"),
              ElementsAre("00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff",
                          "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", std::nullopt));
}

TEST_F(CopyTypes, TimestampsWithTimeZone) {
  using Instant = sys_time<microseconds>;
  using std::chrono::December;
  using std::chrono::February;
  using std::chrono::January;
  const std::vector<std::optional<Instant>> values = {
      Instant(0us),
      Instant(sys_days(year_month_day(std::chrono::year(2000), January, std::chrono::day(1)))),
      Instant(-1us),
      Instant(sys_days(std::chrono::year(2024) / February / 29) + 12h + 34min + 56s + 789012us),
      Instant(sys_days(std::chrono::year(9999) / December / 31) + 23h + 59min + 59s + 999999us),
      Instant(sys_days(std::chrono::year(1066) / std::chrono::October / 14) + 9h),
      Instant::max(),
      Instant::min(),
      std::nullopt,
  };
  EXPECT_EQ(round_trip("instants", "timestamptz", values), values);
  EXPECT_THAT(server_texts("instants"),
              ElementsAre("1970-01-01 00:00:00+00", "2000-01-01 00:00:00+00", "1969-12-31 23:59:59.999999+00",
                          "2024-02-29 12:34:56.789012+00", "9999-12-31 23:59:59.999999+00", "1066-10-14 09:00:00+00",
                          "infinity", "-infinity", std::nullopt));

  // Nanoseconds are floored to PostgreSQL's microseconds.
  pgkit::CopyWriter writer(conn, "instants", {"id", "v"});
  writer.write(std::tuple<int, sys_time<nanoseconds>>{100, sys_time<nanoseconds>(1'000'001'999ns)});
  writer.finish();
  EXPECT_EQ(conn.query_value<std::string>("SELECT v::text FROM instants WHERE id = 100"),
            "1970-01-01 00:00:01.000001+00");
}

TEST_F(CopyTypes, TimestampsWithoutTimeZone) {
  using Wall = local_time<microseconds>;
  const std::vector<std::optional<Wall>> values = {
      Wall(0us),
      Wall(local_days(std::chrono::year(2024) / std::chrono::February / 29) + 23h + 59min + 59s + 999999us),
      Wall(local_days(std::chrono::year(1900) / std::chrono::March / 1)),
      Wall::max(),
      Wall::min(),
      std::nullopt,
  };
  EXPECT_EQ(round_trip("walls", "timestamp", values), values);
  EXPECT_THAT(server_texts("walls"), ElementsAre("1970-01-01 00:00:00", "2024-02-29 23:59:59.999999",
                                                 "1900-03-01 00:00:00", "infinity", "-infinity", std::nullopt));
}

TEST_F(CopyTypes, Dates) {
  using std::chrono::year;
  const std::vector<std::optional<year_month_day>> values = {year(2024) / std::chrono::February / 29,
                                                             year(1970) / 1 / 1,
                                                             year(1) / 1 / 1,
                                                             year(-44) / 3 / 15,
                                                             year(32767) / 12 / 31,
                                                             std::nullopt};
  EXPECT_EQ(round_trip("dates", "date", values), values);
  EXPECT_THAT(server_texts("dates"),
              ElementsAre("2024-02-29", "1970-01-01", "0001-01-01", "0045-03-15 BC", "32767-12-31", std::nullopt));

  // sys_days goes the same way.
  pgkit::CopyWriter writer(conn, "dates", {"id", "v"});
  writer.write(std::tuple<int, sys_days>{100, sys_days(std::chrono::days(-1))});
  writer.finish();
  EXPECT_EQ(conn.query_value<std::string>("SELECT v::text FROM dates WHERE id = 100"), "1969-12-31");
}

TEST_F(CopyTypes, TimesOfDay) {
  using TimeOfDay = hh_mm_ss<microseconds>;
  const std::vector<std::optional<TimeOfDay>> values = {TimeOfDay(0us), TimeOfDay(12h + 34min + 56s + 789000us),
                                                        TimeOfDay(23h + 59min + 59s + 999999us), TimeOfDay(24h),
                                                        std::nullopt};
  const auto back = round_trip("times", "time", values);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    ASSERT_EQ(back[i].has_value(), values[i].has_value());
    if (values[i]) {
      EXPECT_EQ(back[i]->to_duration(), values[i]->to_duration()) << i;
    }
  }
  EXPECT_THAT(server_texts("times"),
              ElementsAre("00:00:00", "12:34:56.789", "23:59:59.999999", "24:00:00", std::nullopt));
}

TEST_F(CopyTypes, Intervals) {
  const std::vector<std::optional<Interval>> values = {Interval{0, 0, 0},
                                                       Interval{14, 3, 4'000'000},
                                                       Interval{-1, -2, -3'600'000'000},
                                                       Interval{0, 0, 1},
                                                       Interval{0, 45, 25 * 3'600'000'000LL},
                                                       std::nullopt};
  EXPECT_EQ(round_trip("intervals", "interval", values), values);
  // Months, days and time stay apart (45 days are not a month, 25 hours not a day).
  EXPECT_THAT(server_texts("intervals"),
              ElementsAre("00:00:00", "1 year 2 mons 3 days 00:00:04", "-1 mons -2 days -01:00:00", "00:00:00.000001",
                          "45 days 25:00:00", std::nullopt));

  // A std::chrono duration is an interval of microseconds.
  pgkit::CopyWriter writer(conn, "intervals", {"id", "v"});
  writer.write(std::tuple<int, std::chrono::seconds>{100, 90s});
  writer.finish();
  EXPECT_EQ(conn.query_value<std::string>("SELECT v::text FROM intervals WHERE id = 100"), "00:01:30");
}

TEST_F(CopyTypes, JsonAndJsonb) {
  const nlohmann::json document = {{"name", "Zoë ☃"}, {"tags", {1, 2, 3}}, {"nested", {{"ok", true}, {"n", 1.5}}}};
  const std::vector<std::optional<nlohmann::json>> values = {
      document, nlohmann::json(nullptr), nlohmann::json("just a string"), nlohmann::json::array(), std::nullopt};
  EXPECT_EQ(round_trip("documents", "jsonb", values), values);
  EXPECT_EQ(round_trip("json_documents", "json", values), values);
  for (const char* table : {"documents", "json_documents"}) {
    // The server parsed the values: it can look inside them, and JSON null is not SQL NULL.
    EXPECT_THAT(conn.query<Text>(fmt::format("SELECT json_typeof(v::json) FROM {} ORDER BY id", table)),
                ElementsAre("object", "null", "string", "array", std::nullopt))
        << table;
    EXPECT_EQ(conn.query_value<std::string>(fmt::format("SELECT v::json->>'name' FROM {} WHERE id = 0", table)),
              "Zoë ☃");
    EXPECT_EQ(
        conn.query_value<double>(fmt::format("SELECT (v::json->'nested'->>'n')::float8 FROM {} WHERE id = 0", table)),
        1.5);
  }

  // ordered_json into a json column keeps its key order (json stores the text as sent).
  nlohmann::ordered_json ordered;
  ordered["zebra"] = 1;
  ordered["apple"] = 2;
  pgkit::CopyWriter writer(conn, "json_documents", {"id", "v"});
  writer.write(std::tuple<int, nlohmann::ordered_json>{100, ordered});
  writer.finish();
  EXPECT_EQ(conn.query_value<std::string>("SELECT v::text FROM json_documents WHERE id = 100"),
            R"({"zebra":1,"apple":2})");
}

TEST_F(CopyTypes, ArraysWithNullElementsAndTwoDimensions) {
  conn.exec(
      "CREATE TABLE arrays (id int, flat int[], grid int[], prices numeric[], ids uuid[], words text[], "
      "scores float8[])");
  using Flat = std::vector<std::optional<int>>;
  using Grid = std::vector<std::vector<int>>;
  using Row = std::tuple<int, std::optional<Flat>, std::optional<Grid>, std::vector<Decimal>, std::vector<Uuid>,
                         std::vector<std::optional<std::string>>, std::vector<double>>;
  const Uuid one = Uuid::parse("00000000-0000-0000-0000-000000000001");
  const std::vector<Row> rows = {
      {1,
       Flat{1, std::nullopt, 3},
       Grid{{1, 2, 3}, {4, 5, 6}},
       {Decimal("1.50"), Decimal::nan()},
       {one},
       {"naïve", std::nullopt, "with, comma", "{brace}", "\"quoted\""},
       {0.5, -0.0}},
      {2, Flat{}, Grid{}, {}, {}, {}, {}},
      {3,
       std::nullopt,
       std::nullopt,
       {Decimal("-1e-20")},
       {Uuid(), one},
       {""},
       {std::numeric_limits<double>::infinity()}},
  };
  EXPECT_EQ(pgkit::copy_in(conn, "arrays", {"id", "flat", "grid", "prices", "ids", "words", "scores"}, rows), 3);

  std::vector<Row> back;
  pgkit::copy_out<int, std::optional<Flat>, std::optional<Grid>, std::vector<Decimal>, std::vector<Uuid>,
                  std::vector<std::optional<std::string>>, std::vector<double>>(
      conn, "SELECT id, flat, grid, prices, ids, words, scores FROM arrays ORDER BY id",
      [&](const Row& row) { back.push_back(row); });
  EXPECT_EQ(back, rows);

  using Shape = std::tuple<Text, Text, std::optional<int>>;
  EXPECT_THAT((conn.query<Text, Text, std::optional<int>>(
                  "SELECT flat::text, grid::text, array_ndims(grid) FROM arrays ORDER BY id")),
              ElementsAre(Shape{"{1,NULL,3}", "{{1,2,3},{4,5,6}}", 2}, Shape{"{}", "{}", std::nullopt},
                          Shape{std::nullopt, std::nullopt, std::nullopt}));
  EXPECT_EQ(conn.query_value<int>("SELECT grid[2][3] FROM arrays WHERE id = 1"), 6);
  EXPECT_EQ(conn.query_value<std::string>("SELECT prices::text || ids::text || scores::text FROM arrays WHERE id = 1"),
            "{1.50,NaN}{00000000-0000-0000-0000-000000000001}{0.5,-0}");
  EXPECT_EQ(conn.query_value<std::string>("SELECT words::text FROM arrays WHERE id = 1"),
            R"({naïve,NULL,"with, comma","{brace}","\"quoted\""})");
  EXPECT_TRUE(conn.query_value<bool>("SELECT words[2] IS NULL AND words[1] = 'naïve' FROM arrays WHERE id = 1"));
}

TEST_F(CopyTypes, ArraysOfStringsIntoEveryTextLikeArrayType) {
  conn.exec("CREATE TABLE text_arrays (id int, codes varchar(4)[], padded char(3)[], docs json[])");
  using Grid = std::vector<std::vector<std::string>>;
  using Row = std::tuple<int, Grid, std::vector<std::optional<std::string_view>>, std::vector<nlohmann::json>>;
  const std::vector<Row> rows = {{1, Grid{{"ab", "çd"}, {"", "日本"}}, {"x", std::nullopt}, {{{"k", 1}}, "s"}},
                                 {2, Grid{}, {}, {}}};
  EXPECT_EQ(pgkit::copy_in(conn, "text_arrays", {"id", "codes", "padded", "docs"}, rows), 2);
  using Server = std::tuple<std::string, std::string, std::string, std::optional<int>>;
  EXPECT_THAT((conn.query<std::string, std::string, std::string, std::optional<int>>(
                  "SELECT codes::text, padded::text, docs::text, array_ndims(codes) FROM text_arrays ORDER BY id")),
              ElementsAre(Server{R"({{ab,çd},{"",日本}})", R"({"x  ",NULL})", R"({"{\"k\":1}","\"s\""})", 2},
                          Server{"{}", "{}", "{}", std::nullopt}));
  EXPECT_EQ(conn.query_value<std::string>("SELECT docs[1]->>'k' FROM text_arrays WHERE id = 1"), "1");
  std::vector<Grid> grids;
  pgkit::copy_out<Grid>(conn, "SELECT codes FROM text_arrays ORDER BY id", [&](const Grid& g) { grids.push_back(g); });
  EXPECT_THAT(grids, ElementsAre(std::get<1>(rows[0]), Grid{}));
  // The server checks the elements against the column: too long for varchar(4).
  EXPECT_THROW(
      pgkit::copy_in(conn, "text_arrays", {"id", "codes"}, std::vector<std::tuple<int, Grid>>{{3, Grid{{"toolong"}}}}),
      pgkit::StringDataRightTruncation);

  // Arrays of an enum need the element type, which a binary COPY cannot name from a string: a clear
  // refusal instead of a server error about array element types.
  conn.exec("CREATE TYPE colour AS ENUM ('red', 'green')");
  conn.exec("CREATE TABLE colours (c colour[])");
  EXPECT_THROW(pgkit::copy_in(conn, "colours", {"c"}, std::vector<std::vector<std::string>>{{"red"}}),
               pgkit::InterfaceError);
  EXPECT_EQ(pgkit::copy_test::count_rows(conn, "colours"), 0);
}

TEST_F(CopyTypes, EnumsFromStringsAndDescribedEnums) {
  conn.exec("CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')");
  conn.exec("CREATE TABLE moods (id int, v mood)");
  pgkit::CopyWriter writer(conn, "moods", {"id", "v"});
  writer.write(std::tuple<int, std::string>{1, "happy"});
  writer.write(std::tuple<int, Mood>{2, Mood::sad});
  writer.write(std::tuple<int, std::optional<Mood>>{3, std::nullopt});
  writer.write(std::tuple<int, std::string_view>{4, "ok"});
  EXPECT_EQ(writer.finish(), 4);

  std::vector<std::tuple<int, std::optional<Mood>>> back;
  pgkit::copy_out<int, std::optional<Mood>>(conn, "SELECT id, v FROM moods ORDER BY id",
                                            [&](const auto& row) { back.push_back(row); });
  EXPECT_THAT(back, ElementsAre(std::tuple<int, std::optional<Mood>>{1, Mood::happy},
                                std::tuple<int, std::optional<Mood>>{2, Mood::sad},
                                std::tuple<int, std::optional<Mood>>{3, std::nullopt},
                                std::tuple<int, std::optional<Mood>>{4, Mood::ok}));
  // The server holds enum values: they sort in the enum's order, not alphabetically.
  EXPECT_THAT(conn.query<int>("SELECT id FROM moods WHERE v IS NOT NULL ORDER BY v"), ElementsAre(2, 4, 1));
}

struct Product {
  std::string name;
  Decimal price;
  std::optional<int> stock;
  std::optional<Uuid> sku;
  friend bool operator==(const Product&, const Product&) = default;
};
BOOST_DESCRIBE_STRUCT(Product, (), (name, price, stock, sku))

void PrintTo(const Product& p, std::ostream* os) {
  *os << "Product{" << p.name << ", " << p.price.str() << ", "
      << (p.stock ? std::to_string(*p.stock) : std::string("NULL")) << "}";
}

TEST_F(CopyTypes, DescribedStructsUseTheirMemberNamesAsColumns) {
  // Other column order than the struct's, and columns the struct does not have (they take defaults).
  conn.exec(
      "CREATE TABLE products (id serial PRIMARY KEY, sku uuid, stock int, price numeric(10, 2) NOT NULL, "
      "name text NOT NULL, created timestamptz NOT NULL DEFAULT now())");
  const std::vector<Product> products = {
      {"Widget", Decimal("9.99"), 12, Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")},
      {"Gädget", Decimal("0.50"), std::nullopt, std::nullopt},
      {"Thing", Decimal("1234.00"), 0, Uuid()},
  };
  EXPECT_EQ(pgkit::copy_in(conn, "products", products), 3);

  using Server = std::tuple<int, std::string, std::string, std::optional<int>, Text>;
  EXPECT_THAT((conn.query<int, std::string, std::string, std::optional<int>, Text>(
                  "SELECT id, name, price::text, stock, sku::text FROM products ORDER BY id")),
              ElementsAre(Server{1, "Widget", "9.99", 12, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
                          Server{2, "Gädget", "0.50", std::nullopt, std::nullopt},
                          Server{3, "Thing", "1234.00", 0, "00000000-0000-0000-0000-000000000000"}));

  // Back out by column names, whatever the query's column order.
  std::vector<Product> back;
  EXPECT_EQ(pgkit::copy_out<Product>(conn, "SELECT sku, stock, price, name FROM products ORDER BY id",
                                     [&](const Product& p) { back.push_back(p); }),
            3);
  EXPECT_EQ(back, products);
  std::vector<Product> through_rows;
  for (const Product& p : pgkit::CopyRows<Product>(conn, "SELECT * FROM products ORDER BY id"))
    through_rows.push_back(p);
  EXPECT_EQ(through_rows, products);

  // An explicit column list overrides the member names (here: into a table with other names).
  conn.exec("CREATE TABLE offers (title text, amount numeric, quantity int, code uuid)");
  EXPECT_EQ(pgkit::copy_in(conn, "offers", {"title", "amount", "quantity", "code"}, products), 3);
  EXPECT_THAT(conn.query<std::string>("SELECT title FROM offers ORDER BY title"),
              ElementsAre("Gädget", "Thing", "Widget"));
}

}  // namespace
