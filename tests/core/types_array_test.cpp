// Arrays as std::vector: dimensions, NULL elements, text escaping, element types, and shape errors.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/uuid.hpp>

#include <gmock/gmock.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::Bytes;
using pgkit::ConversionError;
using pgkit::Decimal;
using pgkit::Uuid;
using pgkit::types_test::echo_binary;
using pgkit::types_test::echo_text;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::read_text;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;
using ::testing::HasSubstr;

using Ints = std::vector<int>;
using Grid = std::vector<std::vector<int>>;
using Cube = std::vector<std::vector<std::vector<int>>>;

class TypesArray : public pgkit::types_test::TypesTest {
 protected:
  void SetUp() override { conn.execute_script("SET TimeZone = 'UTC'"); }
};

TEST_F(TypesArray, EmptyArrays) {
  expect_round_trip(conn, Ints{}, "int[]");
  EXPECT_EQ(server_text(conn, Ints{}), "{}");
  EXPECT_EQ(conn.query_value<int>("SELECT cardinality($1)", Ints{}), 0);
  EXPECT_TRUE(conn.query_value<bool>("SELECT array_ndims($1) IS NULL", Ints{}));
  expect_reads(conn, "'{}'::int[]", Ints{});
  expect_reads(conn, "'{}'::int[]", Grid{});
  expect_reads(conn, "'{}'::text[]", std::vector<std::string>{});
  // Nested empty vectors are an empty array too: PostgreSQL has no 2x0 array.
  EXPECT_EQ(server_text(conn, Grid{{}, {}}), "{}");
}

TEST_F(TypesArray, OneDimension) {
  const Ints values = {1, -2, 3, std::numeric_limits<int>::max(), std::numeric_limits<int>::min()};
  expect_round_trip(conn, values, "int[]");
  EXPECT_EQ(server_type(conn, values), "integer[]");
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1 = ARRAY[1, -2, 3, 2147483647, -2147483648]", values));
  expect_reads(conn, "ARRAY[1, -2, 3, 2147483647, -2147483648]", values);
  // Subscripts from 0 do not fit a vector: it refuses them rather than drop them (pgkit::Array keeps them).
  EXPECT_THAT(expect_read_fails<Ints>(conn, "'[0:2]={7,8,9}'::int[]"), HasSubstr("[0:2]"));
  expect_round_trip(conn, std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), 0}, "bigint[]");
  expect_round_trip(conn, std::vector<std::int16_t>{-32768, 32767}, "smallint[]");
  expect_round_trip(conn, std::vector<bool>{true, false, true}, "boolean[]");
}

TEST_F(TypesArray, TwoDimensions) {
  const Grid grid = {{1, 2, 3}, {4, 5, 6}};
  expect_round_trip(conn, grid, "int[]");
  EXPECT_EQ(conn.query_value<std::string>("SELECT array_dims($1)", grid), "[1:2][1:3]");
  EXPECT_EQ(server_text(conn, grid), "{{1,2,3},{4,5,6}}");
  expect_reads(conn, "'{{1,2,3},{4,5,6}}'::int[]", grid);
  expect_reads(conn, "ARRAY[[1],[2]]", Grid{{1}, {2}});
}

TEST_F(TypesArray, ThreeDimensions) {
  Cube cube(2, std::vector<std::vector<int>>(3, std::vector<int>(4)));
  int next = 0;
  for (auto& plane : cube) {
    for (auto& row : plane) {
      for (int& cell : row) cell = next++;
    }
  }
  expect_round_trip(conn, cube, "int[]");
  EXPECT_EQ(conn.query_value<std::string>("SELECT array_dims($1)", cube), "[1:2][1:3][1:4]");
  EXPECT_EQ(conn.query_value<int>("SELECT $1[2][3][4]", cube), 23);
  expect_reads(conn, "'{{{1,2},{3,4}},{{5,6},{7,8}}}'::int[]", Cube{{{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}});
}

TEST_F(TypesArray, NullElementsNeedOptional) {
  const std::vector<std::optional<int>> values = {1, std::nullopt, 3};
  expect_round_trip(conn, values, "int[]");
  EXPECT_EQ(conn.query_value<std::string>("SELECT array_to_string($1, ',', '*')", values), "1,*,3");
  expect_reads(conn, "ARRAY[NULL, 2]", std::vector<std::optional<int>>{std::nullopt, 2});
  expect_reads(conn, "'{{1,NULL},{NULL,4}}'::int[]",
               std::vector<std::vector<std::optional<int>>>{{1, std::nullopt}, {std::nullopt, 4}});
  expect_read_fails<Ints, pgkit::UnexpectedNull>(conn, "ARRAY[1, NULL]");
}

// Every character that array literals treat specially, in both directions.
const std::vector<std::string> kAwkwardStrings = {"plain",
                                                  "a\"b",
                                                  "c,d",
                                                  "NULL",
                                                  "null",
                                                  "",
                                                  "{x}",
                                                  "}",
                                                  "back\\slash",
                                                  " padded ",
                                                  "tab\there",
                                                  "line\nbreak",
                                                  "\u00e9\u2713\U0001F389",
                                                  "\"",
                                                  "\\",
                                                  "a b"};

TEST_F(TypesArray, StringsWithSpecialCharacters) {
  expect_round_trip(conn, kAwkwardStrings, "text[]");
  EXPECT_EQ(server_type(conn, kAwkwardStrings), "text[]");
  EXPECT_EQ(conn.query_value<int>("SELECT cardinality($1)", kAwkwardStrings), static_cast<int>(kAwkwardStrings.size()));
  for (std::size_t i = 0; i < kAwkwardStrings.size(); ++i) {
    EXPECT_EQ(conn.query_value<std::string>("SELECT $1[$2]", kAwkwardStrings, static_cast<int>(i + 1)),
              kAwkwardStrings[i]);
  }
  // The string "NULL" is not a NULL element.
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1[4] IS NOT NULL", kAwkwardStrings));
  const std::vector<std::optional<std::string>> with_null = {"NULL", std::nullopt, ""};
  expect_round_trip(conn, with_null, "text[]");
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1[2] IS NULL AND $1[1] = 'NULL' AND $1[3] = ''", with_null));
}

TEST_F(TypesArray, StringsFromTheServerDecode) {
  const auto values = conn.query_value<std::vector<std::string>>("SELECT $1::text[]", kAwkwardStrings);
  EXPECT_EQ(values, kAwkwardStrings);
  expect_reads(conn, R"(ARRAY['a"b', 'c,d', 'NULL', '', '{x}', 'back\slash', ' sp'])",
               std::vector<std::string>{"a\"b", "c,d", "NULL", "", "{x}", "back\\slash", " sp"});
  expect_reads(conn, "ARRAY['x', NULL]::varchar[]", std::vector<std::optional<std::string>>{"x", std::nullopt});
  expect_reads(conn, "'{{a,b},{\"c d\",NULL}}'::text[]",
               std::vector<std::vector<std::optional<std::string>>>{{"a", "b"}, {"c d", std::nullopt}});
  // Elements of any array read as strings give their text.
  expect_reads(conn, "ARRAY[1, 20]", std::vector<std::string>{"1", "20"});
  expect_reads(conn, "ARRAY[1.50::numeric]", std::vector<std::string>{"1.50"});
}

TEST_F(TypesArray, DecimalUuidAndByteaElements) {
  const std::vector<Decimal> decimals = {Decimal("1.50"), Decimal::nan(), Decimal("-1e-20"), Decimal::infinity(true)};
  EXPECT_EQ(server_text(conn, decimals), "{1.50,NaN,-0.00000000000000000001,-Infinity}");
  expect_reads(conn, "ARRAY[1.50, 'NaN', -1e-20, '-Infinity']::numeric[]", decimals);

  const std::vector<Uuid> uuids = {Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), Uuid()};
  expect_round_trip(conn, uuids, "uuid[]");
  EXPECT_EQ(server_type(conn, uuids), "uuid[]");
  expect_reads(conn, "ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, '00000000000000000000000000000000']", uuids);

  Bytes every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<std::byte>(b));
  const std::vector<Bytes> blobs = {Bytes{}, every_byte, Bytes{std::byte{'{'}, std::byte{'"'}, std::byte{'\\'}}};
  expect_round_trip(conn, blobs, "bytea[]");
  EXPECT_EQ(server_type(conn, blobs), "bytea[]");
  expect_reads(conn, "ARRAY['\\x'::bytea, '\\x7b225c']", std::vector<Bytes>{Bytes{}, blobs[2]});
  expect_round_trip(conn, std::vector<std::optional<Bytes>>{std::nullopt, Bytes{std::byte{1}}}, "bytea[]");
}

TEST_F(TypesArray, TimestampAndDateElements) {
  using Instant = std::chrono::sys_time<std::chrono::microseconds>;
  const std::vector<Instant> instants = {Instant{}, Instant{-1us}, Instant::max(), Instant::min(),
                                         std::chrono::sys_days{std::chrono::year{-43} / 3 / 15} + 12h};
  expect_round_trip(conn, instants, "timestamptz[]");
  EXPECT_EQ(server_text(conn, instants),
            "{\"1970-01-01 00:00:00+00\",\"1969-12-31 23:59:59.999999+00\",infinity,-infinity,"
            "\"0044-03-15 12:00:00+00 BC\"}");
  expect_reads(conn, "ARRAY['infinity', '1970-01-01 00:00:00+00']::timestamptz[]",
               std::vector<Instant>{Instant::max(), Instant{}});
  const std::vector<std::chrono::year_month_day> dates = {std::chrono::year{2024} / 2 / 29,
                                                          std::chrono::year{-43} / 3 / 15};
  expect_round_trip(conn, dates, "date[]");
  expect_round_trip(conn, std::vector<pgkit::Interval>{{1, 2, 3}, {-1, -2, -3}}, "interval[]");
  expect_round_trip(conn,
                    std::vector<std::chrono::local_time<std::chrono::microseconds>>{
                        std::chrono::local_days{std::chrono::year{2024} / 1 / 1} + 1us},
                    "timestamp[]");
}

TEST_F(TypesArray, FloatElementsKeepSpecialValues) {
  const std::vector<double> values = {0.1, -0.0, std::numeric_limits<double>::infinity(),
                                      std::numeric_limits<double>::denorm_min()};
  expect_round_trip(conn, values, "float8[]");
  for (const auto& back : {echo_binary(conn, std::vector<double>{std::nan("")}, "float8[]"),
                           echo_text(conn, std::vector<double>{std::nan("")}, "float8[]")}) {
    ASSERT_EQ(back.size(), 1U);
    EXPECT_TRUE(std::isnan(back[0]));
  }
  EXPECT_TRUE(std::signbit(read_text<std::vector<double>>(conn, "ARRAY['-0'::float8]").at(0)));
}

TEST_F(TypesArray, LargeArrayRoundTrips) {
  Ints values(100000);
  for (int i = 0; i < static_cast<int>(values.size()); ++i) values[static_cast<std::size_t>(i)] = i * 7 - 350000;
  expect_round_trip(conn, values, "int[]");
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT sum(x) FROM unnest($1) AS x", values),
            std::int64_t{7} * (99999LL * 100000 / 2) - 350000LL * 100000);
}

TEST_F(TypesArray, RaggedVectorsAreRefused) {
  try {
    (void)conn.exec("SELECT $1", Grid{{1, 2}, {3}});
    FAIL() << "a ragged array was sent";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("rectangular"));
  }
  EXPECT_THROW((void)conn.exec("SELECT $1", Grid{{}, {1}}), ConversionError);
  EXPECT_THROW((void)conn.exec("SELECT $1", Cube{{{1}, {2}}, {{3}, {4, 5}}}), ConversionError);
  EXPECT_THROW((void)conn.exec("SELECT $1", std::vector<std::vector<std::string>>{{"a"}, {"b", "c"}}), ConversionError);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(TypesArray, DimensionsMustMatchTheCppType) {
  const std::string message = expect_read_fails<Ints>(conn, "'{{1,2},{3,4}}'::int[] AS grid");
  EXPECT_THAT(message, HasSubstr("2 dimensions"));
  EXPECT_THAT(message, HasSubstr("\"grid\""));
  expect_read_fails<Grid>(conn, "ARRAY[1, 2]");
  expect_read_fails<Ints>(conn, "ARRAY['a', 'b']");
}

TEST_F(TypesArray, NonArrayValuesAreNotReadAsArrays) {
  expect_read_fails<Ints>(conn, "42");
  expect_read_fails<std::vector<std::string>>(conn, "'{a,b}'::text");
  // These bytes happen to form a valid binary int4[] header and element; they are still a bytea.
  expect_read_fails<Ints>(conn, "'\\x0000000100000000000000170000000100000001000000040000002a'::bytea");
}

}  // namespace
