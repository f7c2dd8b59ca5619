// Booleans, integers, floating point, strings and bytea, in both directions and both result formats.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>

#include <gmock/gmock.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using pgkit::Bytes;
using pgkit::ConversionError;
using pgkit::CopyRows;
using pgkit::Format;
using pgkit::Result;
using pgkit::types_test::echo_binary;
using pgkit::types_test::echo_text;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::read_binary;
using pgkit::types_test::read_text;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;
using ::testing::HasSubstr;

class TypesScalar : public pgkit::types_test::TypesTest {};

// ---------------------------------------------------------------------------------------------------
// bool

TEST_F(TypesScalar, BoolTravelsBothWays) {
  for (const bool value : {true, false}) {
    expect_round_trip(conn, value, "boolean");
    EXPECT_EQ(server_type(conn, value), "boolean");
    EXPECT_EQ(server_text(conn, value), value ? "true" : "false");
  }
  expect_reads(conn, "true", true);
  expect_reads(conn, "'f'::boolean", false);
  expect_reads(conn, "1 < 2", true);
}

TEST_F(TypesScalar, BoolRefusesOtherTypes) {
  expect_read_fails<bool>(conn, "'yes'::text");
  expect_read_fails<bool>(conn, "1");
}

// ---------------------------------------------------------------------------------------------------
// Integers

template <class T>
void expect_integer_limits(pgkit::Connection& conn, std::string_view sql_type) {
  for (const T value : {std::numeric_limits<T>::min(), T{0}, T{1}, std::numeric_limits<T>::max()}) {
    SCOPED_TRACE(std::to_string(value));
    expect_round_trip(conn, value, sql_type);
    EXPECT_EQ(server_text(conn, value), std::to_string(value));
    const std::string literal = fmt::format("'{}'::{}", value, sql_type);
    expect_reads(conn, literal, value);
  }
}

TEST_F(TypesScalar, SignedIntegersKeepTheirLimits) {
  expect_integer_limits<std::int16_t>(conn, "smallint");
  expect_integer_limits<std::int32_t>(conn, "integer");
  expect_integer_limits<std::int64_t>(conn, "bigint");
}

TEST_F(TypesScalar, IntegersAreSentAsTheMatchingPostgresType) {
  EXPECT_EQ(server_type(conn, std::int16_t{1}), "smallint");
  EXPECT_EQ(server_type(conn, std::int32_t{1}), "integer");
  EXPECT_EQ(server_type(conn, std::int64_t{1}), "bigint");
  // An unsigned value goes in the next wider signed type, so every value fits.
  EXPECT_EQ(server_type(conn, std::uint16_t{1}), "integer");
  EXPECT_EQ(server_type(conn, std::uint32_t{1}), "bigint");
  EXPECT_EQ(server_type(conn, std::uint64_t{1}), "bigint");
}

TEST_F(TypesScalar, UnsignedIntegersKeepTheirLimits) {
  expect_integer_limits<std::uint16_t>(conn, "integer");
  expect_integer_limits<std::uint32_t>(conn, "bigint");
  constexpr auto largest_sendable = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  expect_round_trip(conn, largest_sendable, "bigint");
  EXPECT_EQ(server_text(conn, largest_sendable), "9223372036854775807");
}

TEST_F(TypesScalar, UnsignedValueBeyondBigintIsRefusedBeforeSending) {
  const std::uint64_t too_large = std::uint64_t{1} << 63;
  try {
    (void)conn.query_value<std::int64_t>("SELECT $1", too_large);
    FAIL() << "2^63 was sent as a bigint";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("9223372036854775808"));
  }
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(TypesScalar, NegativeOrTooLargeValuesAreNotReadAsUnsigned) {
  expect_read_fails<std::uint16_t>(conn, "-1");
  expect_read_fails<std::uint16_t>(conn, "65536");
  expect_read_fails<std::uint32_t>(conn, "4294967296::bigint");
  expect_read_fails<std::uint64_t>(conn, "(-1)::bigint");
  expect_reads(conn, "4294967295::bigint", std::uint32_t{4294967295u});
}

TEST_F(TypesScalar, NarrowerColumnsReadIntoWiderIntegers) {
  expect_reads(conn, "(-32768)::smallint", std::int64_t{-32768});
  expect_reads(conn, "2147483647::integer", std::int64_t{2147483647});
  expect_reads(conn, "12::smallint", std::int32_t{12});
  expect_reads(conn, "12::bigint", std::int16_t{12});
  expect_reads(conn, "4000000000::oid", std::int64_t{4000000000});
}

TEST_F(TypesScalar, IntegerThatDoesNotFitIsAConversionErrorNamingTheColumn) {
  const std::string message = expect_read_fails<std::int32_t>(conn, "2147483648::bigint AS total");
  EXPECT_THAT(message, HasSubstr("\"total\""));
  EXPECT_THAT(message, HasSubstr("2147483648"));
  expect_read_fails<std::int16_t>(conn, "32768");
  expect_read_fails<std::int64_t>(conn, "1.5::numeric");
  expect_read_fails<int>(conn, "'12'::text");
}

// ---------------------------------------------------------------------------------------------------
// Floating point: compared bit for bit, so -0.0 and the last bit of a denormal count.

template <class F>
void expect_same_float(F actual, F expected, std::string_view context) {
  if (std::isnan(expected)) {
    EXPECT_TRUE(std::isnan(actual)) << context << ": got " << actual;
  } else {
    using Bits = std::conditional_t<sizeof(F) == 8, std::uint64_t, std::uint32_t>;
    EXPECT_EQ(std::bit_cast<Bits>(actual), std::bit_cast<Bits>(expected))
        << context << ": got " << actual << ", expected " << expected;
  }
}

template <class F>
std::vector<F> interesting_floats() {
  using L = std::numeric_limits<F>;
  return {F(0),
          F(-0.0),
          F(1),
          F(-1.5),
          F(0.1),
          F(1) / F(3),
          L::max(),
          L::lowest(),
          L::min(),
          L::epsilon(),
          L::denorm_min(),
          -L::denorm_min(),
          L::infinity(),
          -L::infinity(),
          L::quiet_NaN(),
          F(1e15),
          F(123456789012345678.0),
          F(0.0001)};
}

template <class F>
void expect_floats_round_trip(pgkit::Connection& conn, std::string_view sql_type) {
  for (const F value : interesting_floats<F>()) {
    const std::string shown = fmt::format("{}", value);
    expect_same_float(echo_binary(conn, value, sql_type), value, "binary round trip of " + shown);
    expect_same_float(echo_text(conn, value, sql_type), value, "text round trip of " + shown);
  }
}

TEST_F(TypesScalar, DoublesRoundTripBitForBit) {
  expect_floats_round_trip<double>(conn, "double precision");
}

TEST_F(TypesScalar, FloatsRoundTripBitForBit) {
  expect_floats_round_trip<float>(conn, "real");
}

TEST_F(TypesScalar, ServerSeesSpecialFloatValues) {
  EXPECT_EQ(server_type(conn, 1.0), "double precision");
  EXPECT_EQ(server_type(conn, 1.0F), "real");
  EXPECT_EQ(server_text(conn, std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(server_text(conn, std::numeric_limits<double>::infinity()), "Infinity");
  EXPECT_EQ(server_text(conn, -std::numeric_limits<double>::infinity()), "-Infinity");
  EXPECT_EQ(server_text(conn, -0.0), "-0");
  EXPECT_EQ(server_text(conn, std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(server_text(conn, std::numeric_limits<float>::denorm_min()), "1e-45");
  EXPECT_EQ(server_text(conn, 0.1F), "0.1");
}

TEST_F(TypesScalar, SpecialFloatValuesFromTheServerDecode) {
  for (const bool binary : {true, false}) {
    const auto read = [&](std::string_view expression) {
      return binary ? read_binary<double>(conn, expression) : read_text<double>(conn, expression);
    };
    const std::string format = binary ? "binary" : "text";
    expect_same_float(read("'NaN'::float8"), std::numeric_limits<double>::quiet_NaN(), format);
    expect_same_float(read("'Infinity'::float8"), std::numeric_limits<double>::infinity(), format);
    expect_same_float(read("'-Infinity'::float8"), -std::numeric_limits<double>::infinity(), format);
    expect_same_float(read("'-0'::float8"), -0.0, format);
    expect_same_float(read("'5e-324'::float8"), std::numeric_limits<double>::denorm_min(), format);
    expect_same_float(read("'2.2250738585072014e-308'::float8"), std::numeric_limits<double>::min(), format);
    expect_same_float(read("'1.7976931348623157e308'::float8"), std::numeric_limits<double>::max(), format);
    // Integer and numeric columns read as double too.
    expect_same_float(read("7::int"), 7.0, format);
    expect_same_float(read("1.25::numeric"), 1.25, format);
  }
  expect_same_float(read_binary<float>(conn, "'1e-45'::float4"), std::numeric_limits<float>::denorm_min(), "binary");
  expect_same_float(read_text<float>(conn, "'1e-45'::float4"), std::numeric_limits<float>::denorm_min(), "text");
  expect_same_float(read_text<float>(conn, "'-Infinity'::float4"), -std::numeric_limits<float>::infinity(), "text");
  expect_read_fails<double>(conn, "'1.5'::text");
}

// ---------------------------------------------------------------------------------------------------
// Strings

const std::string kUnicode = "h\u00e9llo w\u00f6rld \u2713 \u65e5\u672c\u8a9e \U0001F389";

TEST_F(TypesScalar, StringsRoundTrip) {
  std::string every_ascii_but_nul;
  for (int c = 1; c < 128; ++c) every_ascii_but_nul.push_back(static_cast<char>(c));
  const std::string long_text(1 << 20, 'x');
  for (const std::string& value :
       {std::string(), kUnicode, every_ascii_but_nul, std::string("quote ' \" backslash \\ %s $1"), long_text}) {
    SCOPED_TRACE(value.substr(0, 40));
    expect_round_trip(conn, value, "text");
    EXPECT_EQ(conn.query_value<std::int64_t>("SELECT octet_length($1)", value),
              static_cast<std::int64_t>(value.size()));
  }
}

TEST_F(TypesScalar, UnicodeIsCountedInCharactersByTheServer) {
  EXPECT_EQ(conn.query_value<int>("SELECT length($1)", std::string("\u65e5\u672c\u8a9e\U0001F389")), 4);
  EXPECT_EQ(conn.query_value<int>("SELECT octet_length($1)", std::string("\u65e5\u672c\u8a9e\U0001F389")), 13);
  expect_reads(conn, "U&'\\65E5\\672C' || chr(127881)", std::string("\u65e5\u672c\U0001F389"));
}

TEST_F(TypesScalar, StringViewsAndCStringsAreSentAsText) {
  const std::string owner = "viewed text";
  const std::string_view view(owner.data(), 6);
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1 || '!'", view), "viewed!");
  const char* c_string = "c string";
  EXPECT_EQ(conn.query_value<std::string>("SELECT upper($1)", c_string), "C STRING");
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1", "literal"), "literal");
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1", std::string_view()), "");
}

TEST_F(TypesScalar, StringParametersTakeTheTypeTheContextNeeds) {
  EXPECT_EQ(conn.query_value<int>("SELECT $1::int + 1", std::string("41")), 42);
  EXPECT_EQ(conn.query_value<bool>("SELECT $1::date = DATE '2024-02-29'", "2024-02-29"), true);
  conn.execute_script("CREATE TEMP TABLE typed (n numeric, d date)");
  conn.exec("INSERT INTO typed VALUES ($1, $2)", "12.50", "2024-02-29");
  EXPECT_EQ(conn.query_value<std::string>("SELECT n::text || ' ' || d::text FROM typed"), "12.50 2024-02-29");
}

TEST_F(TypesScalar, StringViewReadsViewTheResult) {
  const pgkit::Result result = conn.exec("SELECT 'in the result'::text, 'a varchar'::varchar(20), 'nm'::name");
  EXPECT_EQ(result.one()[0].as<std::string_view>(), "in the result");
  EXPECT_EQ(result.one()[1].as<std::string_view>(), "a varchar");
  EXPECT_EQ(result.one()[2].as<std::string_view>(), "nm");
  const pgkit::Result text = conn.execute_script("SELECT 'as text', 42");
  EXPECT_EQ(text.one()[0].as<std::string_view>(), "as text");
  EXPECT_EQ(text.one()[1].as<std::string_view>(), "42");
  // A binary integer has no text to view; reading it as std::string renders one instead.
  const pgkit::Result number = conn.exec("SELECT 42");
  EXPECT_THROW((void)number.one()[0].as<std::string_view>(), ConversionError);
  EXPECT_EQ(number.one()[0].as<std::string>(), "42");
}

TEST_F(TypesScalar, CharacterTypesReadAsStrings) {
  expect_reads(conn, "'ab'::char(4)", std::string("ab  "));
  expect_reads(conn, "'abc'::varchar(10)", std::string("abc"));
  expect_reads(conn, "'x'::\"char\"", std::string("x"));
  expect_reads(conn, "'pg_class'::name", std::string("pg_class"));
}

// ---------------------------------------------------------------------------------------------------
// bytea

Bytes all_byte_values() {
  Bytes bytes;
  for (int b = 0; b < 256; ++b) bytes.push_back(static_cast<std::byte>(b));
  return bytes;
}

// Deterministic bytes that are not a repeating pattern.
Bytes pseudo_random_bytes(std::size_t size) {
  Bytes bytes(size);
  std::uint32_t state = 12345;
  for (auto& b : bytes) {
    state = state * 1664525u + 1013904223u;
    b = static_cast<std::byte>(state >> 24);
  }
  return bytes;
}

TEST_F(TypesScalar, ByteaRoundTripsEmptyAndEveryByteValue) {
  expect_round_trip(conn, Bytes{}, "bytea");
  expect_round_trip(conn, all_byte_values(), "bytea");
  EXPECT_EQ(server_type(conn, Bytes{}), "bytea");
  EXPECT_EQ(conn.query_value<int>("SELECT length($1)", Bytes{}), 0);
  EXPECT_EQ(server_text(conn, Bytes{std::byte{0}, std::byte{0xAB}, std::byte{0xFF}}), "\\x00abff");
}

TEST_F(TypesScalar, ByteaFromTheServerDecodes) {
  constexpr std::string_view every_byte =
      "(SELECT string_agg(set_byte('\\x00'::bytea, 0, i), ''::bytea ORDER BY i) FROM generate_series(0, 255) i)";
  expect_reads(conn, every_byte, all_byte_values());
  EXPECT_TRUE(conn.query_value<bool>(fmt::format("SELECT $1 = {}", every_byte), all_byte_values()));
  expect_reads(conn, "''::bytea", Bytes{});
  // The older 'escape' output format is still read correctly in text results.
  conn.execute_script("SET bytea_output = 'escape'");
  EXPECT_EQ(read_text<Bytes>(conn, every_byte), all_byte_values());
  EXPECT_EQ(read_text<Bytes>(conn, "'a\\\\b'::bytea"), (Bytes{std::byte{'a'}, std::byte{'\\'}, std::byte{'b'}}));
}

TEST_F(TypesScalar, TenMegabyteByteaRoundTrips) {
  const Bytes large = pseudo_random_bytes(10 * 1024 * 1024);
  expect_round_trip(conn, large, "bytea");
  EXPECT_EQ(conn.query_value<int>("SELECT get_byte($1, 10485759)", large), static_cast<int>(large.back()));
  const std::span<const std::byte> view(large);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT length($1)", view), 10 * 1024 * 1024);
}

// ---------------------------------------------------------------------------------------------------
// Any built-in type read as std::string gives the server's text for it, from either result format.

class TypesTextForm : public pgkit::types_test::TypesTest {
 protected:
  void SetUp() override {
    // timestamptz's text depends on the session time zone; pgkit renders binary values in UTC.
    conn.execute_script("SET TimeZone = 'UTC'");
  }
};

TEST_F(TypesTextForm, EveryBuiltInTypeReadsAsItsText) {
  const std::vector<std::string_view> expressions = {
      "42",
      "(-7)::smallint",
      "9223372036854775807::bigint",
      "12::oid",
      "true",
      "false",
      "1.5::float8",
      "'-0'::float8",
      "'NaN'::float8",
      "'-Infinity'::float8",
      "0.0001::float8",
      "0.00001::float8",
      "1e14::float8",
      "1e15::float8",
      "123456789012345678::float8",
      "'5e-324'::float8",
      "0.1::float4",
      "123456::float4",
      "1234567::float4",
      "'1e-45'::float4",
      "'3.4028235e38'::float4",
      "12.50::numeric",
      "'-0.001'::numeric",
      "'NaN'::numeric",
      "'-Infinity'::numeric",
      "'1e-300'::numeric",
      "'text'::text",
      "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid",
      "'\\x00ff10'::bytea",
      "''::bytea",
      "'2024-02-29'::date",
      "'0044-03-15 BC'::date",
      "'5874897-12-31'::date",
      "'4713-01-01 BC'::date",
      "'00:00'::time",
      "'24:00'::time",
      "'12:34:56.5'::time",
      "'2024-02-29 12:34:56.789'::timestamp",
      "'0044-03-15 12:00 BC'::timestamp",
      "'294276-12-31 23:59:59.999999'::timestamp",
      "'infinity'::timestamp",
      "'-infinity'::timestamptz",
      "'2024-06-01 10:00:00.123456+00'::timestamptz",
      "'0044-03-15 12:00+00 BC'::timestamptz",
      "'0'::interval",
      "'1 mon'::interval",
      "'-1 mon'::interval",
      "'1 year 2 mons 3 days 04:05:06.789'::interval",
      "'-1 year'::interval",
      "'-1 year 2 days 03:00'::interval",
      "'1 year -2 days'::interval",
      "'-3 days 04:05:06.789'::interval",
      "'-1 day -00:00:01'::interval",
      "'1 day -01:00'::interval",
      "'100 hours'::interval",
      "'{1,2,3}'::int[]",
      "'{{1,2},{3,4}}'::int[]",
      "'{}'::int[]",
      "ARRAY['a b', NULL, '', 'NULL', 'x\"y', 'back\\slash', '{}', 'plain']",
      "ARRAY[1.5::numeric, 'NaN']",
      "ARRAY['2024-01-01 00:00'::timestamp]",
      "ARRAY['\\x0102'::bytea]",
      "ARRAY[true, false]",
      "ARRAY['1 day'::interval]",
      "ARRAY[0.1::float4, 1e20]",
      "'{\"a\": [1, 2]}'::json",
      "'{\"a\": [1, 2]}'::jsonb",
  };
  for (const std::string_view expression : expressions) {
    try {
      EXPECT_EQ(read_binary<std::string>(conn, expression), read_text<std::string>(conn, expression)) << expression;
    } catch (const pgkit::Error& e) {
      ADD_FAILURE() << expression << ": " << e.what();
    }
  }
}

// pgkit asks for text results whenever a column has a type whose binary form it does not read, so
// these read as the server's text from every statement. A binary value of one (binary COPY gives
// them) cannot be read as text: the error says so rather than returning bytes. (inet, point, bit,
// ranges and timetz render from binary: tests/core/types_{network,geometry,money_bits,range}_test.cpp.)
TEST_F(TypesTextForm, TypesWithoutABinaryDecoderReadAsTextAndRefuseTheirBinaryForm) {
  for (const std::string_view expression : {"'pg_class'::regclass", "'-1.5'::money"}) {
    const std::string server = conn.query_value<std::string>(fmt::format("SELECT ({})::text", expression));
    EXPECT_EQ(read_text<std::string>(conn, expression), server);
    const Result prepared = conn.exec(fmt::format("SELECT {}", expression));
    EXPECT_EQ(prepared.one()[0].format(), Format::text) << expression;
    EXPECT_EQ(prepared.one()[0].as<std::string>(), server);
    bool refused = false;
    try {
      for (const auto& value : CopyRows<std::string>(conn, fmt::format("SELECT {}", expression))) {
        ADD_FAILURE() << expression << " was read from its binary form as " << value;
      }
    } catch (const ConversionError& e) {
      refused = true;
      EXPECT_THAT(e.what(), HasSubstr("cannot print this type's binary form")) << expression;
      EXPECT_THAT(e.what(), HasSubstr("cast it to text")) << expression;
    }
    EXPECT_TRUE(refused) << expression;
  }
}

TEST_F(TypesTextForm, IntegerColumnReadsAsDigits) {
  conn.execute_script("CREATE TEMP TABLE counts (n integer); INSERT INTO counts VALUES (42)");
  EXPECT_EQ(conn.query_value<std::string>("SELECT n FROM counts"), "42");
  EXPECT_EQ(conn.execute_script("SELECT n FROM counts").one()[0].as<std::string>(), "42");
}

}  // namespace
