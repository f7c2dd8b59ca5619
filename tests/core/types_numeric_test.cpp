// pgkit::Decimal against PostgreSQL's numeric: exact values, scale, special values, ordering, parsing.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/numeric.hpp>

#include <gmock/gmock.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::ConversionError;
using pgkit::Decimal;
using pgkit::types_test::echo_binary;
using pgkit::types_test::echo_text;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::read_binary;
using pgkit::types_test::read_text;
using pgkit::types_test::server_text;
using ::testing::HasSubstr;

class TypesNumeric : public pgkit::types_test::TypesTest {};

// The value must survive the server in both formats with its exact text, scale included: Decimal's
// operator== alone would accept "1.5" for "1.50".
void expect_exact_round_trip(pgkit::Connection& conn, const Decimal& value) {
  SCOPED_TRACE(value.str().substr(0, 60));
  EXPECT_EQ(echo_binary(conn, value, "numeric").str(), value.str());
  EXPECT_EQ(echo_text(conn, value, "numeric").str(), value.str());
  EXPECT_EQ(server_text(conn, value), value.str());
}

// The server's numeric for `literal`, in both formats, must have exactly `canonical` as its text.
void expect_server_value(pgkit::Connection& conn, const std::string& literal, const std::string& canonical) {
  SCOPED_TRACE(literal.substr(0, 60));
  const std::string expression = fmt::format("'{}'::numeric", literal);
  EXPECT_EQ(read_binary<Decimal>(conn, expression).str(), canonical);
  EXPECT_EQ(read_text<Decimal>(conn, expression).str(), canonical);
  EXPECT_EQ(Decimal(literal).str(), canonical);
}

std::string digits(std::size_t count) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>('1' + i % 9));
  return out;
}

TEST_F(TypesNumeric, OrdinaryValuesRoundTripExactly) {
  for (const char* text : {"0", "1", "-1", "12.50", "-12.345", "0.001", "-0.001", "9999", "10000", "0.0001",
                           "123456789.987654321", "100000000", "0.00010000"}) {
    expect_exact_round_trip(conn, Decimal(text));
  }
  expect_exact_round_trip(conn, Decimal(std::numeric_limits<std::int64_t>::min()));
  expect_exact_round_trip(conn, Decimal(std::numeric_limits<std::uint64_t>::max()));
}

TEST_F(TypesNumeric, HugePrecisionRoundTrips) {
  const Decimal thousand_digits(digits(1000));
  expect_exact_round_trip(conn, thousand_digits);
  const Decimal mixed(digits(700) + "." + digits(300));
  expect_exact_round_trip(conn, mixed);
  EXPECT_EQ(mixed.scale(), 300);
  expect_exact_round_trip(conn, Decimal("-" + digits(1000)));
  // The largest magnitude numeric allows: 131072 digits before the point.
  expect_exact_round_trip(conn, Decimal(std::string(131072, '9')));
  expect_server_value(conn, digits(1000), digits(1000));
}

TEST_F(TypesNumeric, TinyValuesKeepEveryDigit) {
  const std::string tiny = "0." + std::string(299, '0') + "1";
  const Decimal value("1e-300");
  EXPECT_EQ(value.str(), tiny);
  EXPECT_EQ(value.scale(), 300);
  expect_exact_round_trip(conn, value);
  expect_server_value(conn, "1e-300", tiny);
  expect_server_value(conn, "-1.5e-300", "-0." + std::string(299, '0') + "15");
  // The smallest scale numeric allows: 16383 digits after the point.
  expect_exact_round_trip(conn, Decimal("1e-16383"));
}

TEST_F(TypesNumeric, ScaleIsPreserved) {
  const Decimal price("1.50");
  EXPECT_EQ(price.str(), "1.50");
  EXPECT_EQ(price.scale(), 2);
  expect_exact_round_trip(conn, price);
  expect_server_value(conn, "1.50", "1.50");
  expect_server_value(conn, "0.000", "0.000");
  expect_server_value(conn, "1.50e1", "15.0");
  expect_server_value(conn, "1.5e3", "1500");
  expect_server_value(conn, "5.", "5");
  expect_server_value(conn, ".5", "0.5");
  EXPECT_EQ(read_binary<Decimal>(conn, "1.5::numeric * 1.00").str(), "1.500");
  EXPECT_EQ(read_binary<Decimal>(conn, "12.345::numeric(10, 2)").str(), "12.35");
  EXPECT_EQ(conn.query_value<Decimal>("SELECT $1::numeric(10, 4)", Decimal("2.5")).str(), "2.5000");
}

TEST_F(TypesNumeric, SpecialValuesRoundTrip) {
  for (const Decimal& value : {Decimal::nan(), Decimal::infinity(), Decimal::infinity(true)}) {
    expect_exact_round_trip(conn, value);
  }
  expect_server_value(conn, "NaN", "NaN");
  expect_server_value(conn, "Infinity", "Infinity");
  expect_server_value(conn, "-Infinity", "-Infinity");
  expect_server_value(conn, "-inf", "-Infinity");
  EXPECT_TRUE(Decimal("nan").is_nan());
  EXPECT_TRUE(Decimal::infinity().is_infinite());
  EXPECT_FALSE(Decimal::infinity().is_negative());
  EXPECT_TRUE(Decimal::infinity(true).is_negative());
  EXPECT_EQ(Decimal::nan().scale(), 0);
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1 = 'NaN'::numeric", Decimal::nan()));
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1 > 1e1000", Decimal::infinity()));
}

TEST_F(TypesNumeric, ZeroAndNegativeZero) {
  EXPECT_EQ(Decimal().str(), "0");
  EXPECT_EQ(Decimal(0).str(), "0");
  EXPECT_EQ(Decimal("-0").str(), "0");
  EXPECT_EQ(Decimal("-0.00").str(), "0.00");
  EXPECT_FALSE(Decimal("-0").is_negative());
  EXPECT_EQ(Decimal("-0"), Decimal("0.000"));
  expect_exact_round_trip(conn, Decimal("-0"));
  expect_exact_round_trip(conn, Decimal("-0.00"));
  expect_server_value(conn, "-0", "0");
  expect_server_value(conn, "-0.00", "0.00");
  EXPECT_EQ(read_binary<Decimal>(conn, "-0.0::numeric * 1").str(), "0.0");
}

TEST_F(TypesNumeric, NegativeValues) {
  const Decimal value("-12.345");
  EXPECT_TRUE(value.is_negative());
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1 < 0 AND $1 = -12.345", value));
  expect_reads(conn, "-12.345::numeric", value);
  expect_reads(conn, "(-1)::numeric / 3", Decimal("-0.33333333333333333333"));
}

TEST_F(TypesNumeric, ComparisonIgnoresScale) {
  EXPECT_EQ(Decimal("1.5"), Decimal("1.50"));
  EXPECT_EQ(Decimal("1500"), Decimal("1.5e3"));
  EXPECT_NE(Decimal("1.5"), Decimal("1.51"));
  EXPECT_LT(Decimal("1.5"), Decimal("1.51"));
  EXPECT_LT(Decimal("-2"), Decimal("-1.5"));
  EXPECT_LT(Decimal("-0.001"), Decimal("0"));
  EXPECT_LT(Decimal("9.99"), Decimal("10"));
  EXPECT_EQ(Decimal::nan(), Decimal("NaN"));
  EXPECT_GT(Decimal::nan(), Decimal::infinity());
  EXPECT_LT(Decimal::infinity(true), Decimal("-1e1000"));
  EXPECT_GT(Decimal::infinity(), Decimal(digits(1000)));
}

TEST_F(TypesNumeric, OrderingMatchesTheServer) {
  const std::vector<Decimal> values = {
      Decimal("NaN"),   Decimal("Infinity"), Decimal("-Infinity"), Decimal("0"),
      Decimal("-0.00"), Decimal("1.5"),      Decimal("1.50"),      Decimal("1.51"),
      Decimal("-1.5"),  Decimal("-2"),       Decimal("1e-300"),    Decimal("-1e-300"),
      Decimal("10"),    Decimal("9.999"),    Decimal(digits(60)),  Decimal("-" + digits(60))};
  // Every pair, compared by the server in one query.
  const auto comparisons = conn.query<int, int, bool, bool>(
      "SELECT i::int, j::int, a < b, a = b "
      "FROM unnest($1::numeric[]) WITH ORDINALITY AS x(a, i), unnest($1::numeric[]) WITH ORDINALITY AS y(b, j)",
      values);
  ASSERT_EQ(comparisons.size(), values.size() * values.size());
  for (const auto& [i, j, less, equal] : comparisons) {
    const Decimal& a = values[static_cast<std::size_t>(i - 1)];
    const Decimal& b = values[static_cast<std::size_t>(j - 1)];
    EXPECT_EQ(a < b, less) << a.str() << " < " << b.str();
    EXPECT_EQ(a == b, equal) << a.str() << " == " << b.str();
  }
}

TEST_F(TypesNumeric, ToDouble) {
  EXPECT_EQ(Decimal("1.5").to_double(), 1.5);
  EXPECT_EQ(Decimal("-0.1").to_double(), -0.1);
  EXPECT_EQ(Decimal("123456789012345678901234567890").to_double(), 1.2345678901234568e29);
  EXPECT_TRUE(std::isnan(Decimal::nan().to_double()));
  EXPECT_EQ(Decimal::infinity().to_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Decimal::infinity(true).to_double(), -std::numeric_limits<double>::infinity());
  // Beyond double's range: overflow goes to infinity, underflow to zero (the nearest doubles).
  EXPECT_EQ(Decimal("1e400").to_double(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(Decimal("-1e400").to_double(), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(Decimal("1e-400").to_double(), 0.0);
  EXPECT_EQ(Decimal("-1e-400").to_double(), 0.0);
  EXPECT_EQ(Decimal("1e-320").to_double(), 1e-320);
  EXPECT_EQ(read_binary<double>(conn, "'0.1'::numeric"), 0.1);
}

TEST_F(TypesNumeric, IntegersConvertExactly) {
  EXPECT_EQ(Decimal(std::int64_t{-42}).str(), "-42");
  EXPECT_EQ(Decimal(std::uint64_t{18446744073709551615u}).str(), "18446744073709551615");
  expect_reads(conn, "42", Decimal(42));
  expect_reads(conn, "(-7)::smallint", Decimal(-7));
  expect_reads(conn, "9223372036854775807::bigint", Decimal(std::numeric_limits<std::int64_t>::max()));
  expect_read_fails<Decimal>(conn, "'12'::text::bytea");
  // A whole numeric reads as an integer; one with a fraction does not.
  expect_reads(conn, "12::numeric", 12);
  expect_read_fails<int>(conn, "12.5::numeric");
}

// Decimal must accept exactly what numeric_in accepts, and give the same value.
TEST_F(TypesNumeric, ParsingAgreesWithTheServer) {
  const std::vector<std::string> inputs = {
      "12.5",       " 12.5 ",        "+5",     ".5",        "5.",   "-.5",   "1.5E+3",   "1e1000",
      "1e1001",     "1e-1001",       "1e5000", "nan",       "NaN ", "inf",   "-inf",     "+inf",
      "infinity",   "-Infinity",     "007.50", "0e10",      "",     " ",     "abc",      "1.2.3",
      "1e",         "1e+",           "1e+-5",  "1e-+5",     "--1",  "+-1",   "0x10",     "1,5",
      ".",          "+.e1",          "1 000",  "Infinityx", "e5",   "1e5.5", "1e131072", "1e-16384",
      "1.5e-16383", "1e99999999999", "- 1",    "1e0x"};
  for (const std::string& input : inputs) {
    SCOPED_TRACE("'" + input + "'");
    std::optional<std::string> server;
    try {
      server = conn.query_value<std::string>("SELECT $1::numeric::text", input);
    } catch (const pgkit::DataError&) {
      // invalid_text_representation, or numeric_value_out_of_range for values too large to store.
    }
    std::optional<std::string> client;
    try {
      client = Decimal(input).str();
    } catch (const ConversionError& e) {
      EXPECT_THAT(e.what(), HasSubstr("'" + input.substr(0, 20)));
    }
    EXPECT_EQ(client.has_value(), server.has_value()) << "accepted by " << (client ? "pgkit" : "the server");
    if (client && server) {
      EXPECT_EQ(*client, *server);
    }
  }
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

// With the statement cache on, a statement's second run is prepared, and a prepared statement whose
// columns are all numeric or as cheap in text gets text results: a value must read the same in every run.
TEST_F(TypesNumeric, RepeatedStatementReadsTheSameInEveryRun) {
  pgkit::Connection cached = connect();
  std::vector<pgkit::Format> formats;
  for (int run = 0; run < 3; ++run) {
    SCOPED_TRACE(run);
    // The first run is unnamed (text results), the next ones prepared: binary, for the float8 beside
    // (numeric alone comes in text, where that is cheaper).
    const pgkit::Result result = cached.exec("SELECT 12::numeric AS n, 1.50::numeric AS price, 7 AS i, 0.5::float8");
    const pgkit::Row row = result.one();
    formats.push_back(row["n"].format());
    EXPECT_EQ(row["price"].as<Decimal>().str(), "1.50");
    EXPECT_EQ(row["i"].as<int>(), 7);
    EXPECT_EQ(row["n"].as<double>(), 12.0);
    EXPECT_EQ(row["n"].as<std::string>(), "12");
    EXPECT_EQ(row["n"].as<int>(), 12);
    EXPECT_THROW((void)row["price"].as<int>(), ConversionError);
  }
  // Otherwise this test no longer compares the two formats.
  EXPECT_NE(std::count(formats.begin(), formats.end(), pgkit::Format::binary), 0);
  EXPECT_NE(std::count(formats.begin(), formats.end(), pgkit::Format::text), 0);
}

TEST_F(TypesNumeric, OtherTypesAreConversionErrorsNamingTheColumn) {
  // Text is not parsed as a number in either format, even when it would parse: cast it in SQL.
  for (const char* expression : {"'12,5'::text AS price", "'12.5'::text AS price", "12.5::float8 AS price"}) {
    const std::string message = expect_read_fails<Decimal>(conn, expression);
    EXPECT_THAT(message, HasSubstr("\"price\""));
  }
}

TEST_F(TypesNumeric, ArraysOfDecimalKeepScaleAndSpecials) {
  const std::vector<Decimal> values = {Decimal("1.50"),     Decimal("-0.001"), Decimal::nan(),
                                       Decimal::infinity(), Decimal("1e-300"), Decimal(digits(200))};
  const auto back = echo_binary(conn, values, "numeric[]");
  const auto back_text = echo_text(conn, values, "numeric[]");
  ASSERT_EQ(back.size(), values.size());
  ASSERT_EQ(back_text.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ(back[i].str(), values[i].str());
    EXPECT_EQ(back_text[i].str(), values[i].str());
  }
}

}  // namespace
