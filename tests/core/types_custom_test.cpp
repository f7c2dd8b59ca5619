// PostgreSQL enums (as strings and as described C++ enums) and user types through pgkit::Via.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/numeric.hpp>

#include <boost/describe/enum.hpp>
#include <gmock/gmock.h>

#include <optional>
#include <string>
#include <vector>

namespace {

enum class Mood { sad, ok, happy };
BOOST_DESCRIBE_ENUM(Mood, sad, ok, happy)

// Temperature in degrees Celsius, stored as double precision.
struct Celsius {
  double degrees = 0;
  friend bool operator==(const Celsius&, const Celsius&) = default;
};

// An amount of money with its currency implied, stored as numeric; Decimal's == ignores scale, so
// the comparison here does not: 1.50 and 1.5 are different cents.
struct Money {
  pgkit::Decimal amount;
  friend bool operator==(const Money& a, const Money& b) { return a.amount.str() == b.amount.str(); }
};

// A stock-keeping unit code, stored as text; only upper-case codes are valid.
struct Sku {
  std::string code;
  friend bool operator==(const Sku&, const Sku&) = default;
};

}  // namespace

template <>
struct pgkit::Type<Celsius> : pgkit::Via<Celsius, double> {
  static double to_wire(const Celsius& value) { return value.degrees; }
  static Celsius from_wire(double degrees) { return Celsius{degrees}; }
};

template <>
struct pgkit::Type<Money> : pgkit::Via<Money, pgkit::Decimal> {
  static pgkit::Decimal to_wire(const Money& value) { return value.amount; }
  static Money from_wire(pgkit::Decimal amount) { return Money{std::move(amount)}; }
};

template <>
struct pgkit::Type<Sku> : pgkit::Via<Sku, std::string> {
  static std::string to_wire(const Sku& value) { return value.code; }
  static Sku from_wire(std::string code) {
    for (const char c : code) {
      if (c >= 'a' && c <= 'z') throw pgkit::ConversionError("'" + code + "' is not a SKU: lower-case letter");
    }
    return Sku{std::move(code)};
  }
};

namespace {

using pgkit::ConversionError;
using pgkit::Decimal;
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

class TypesCustom : public pgkit::types_test::TypesTest {
 protected:
  static void SetUpTestSuite() {
    DatabaseTest::SetUpTestSuite();
    // The suite's database is its own, so these names cannot collide with other processes.
    connect().execute_script(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');"
        "CREATE TYPE feeling AS ENUM ('sad', 'ok', 'happy', 'ecstatic');");
  }
};

// ---------------------------------------------------------------------------------------------------
// Enums

TEST_F(TypesCustom, EnumReadsAsString) {
  expect_reads(conn, "'happy'::mood", std::string("happy"));
  expect_reads(conn, "ARRAY['sad', 'ok']::mood[]", std::vector<std::string>{"sad", "ok"});
  const pgkit::Result result = conn.exec("SELECT 'ok'::mood");
  EXPECT_EQ(result.one()[0].as<std::string_view>(), "ok");
  EXPECT_GE(result.column_type(0), pgkit::oid::first_normal_object_id);
}

TEST_F(TypesCustom, StringIsSentToAnEnumColumn) {
  conn.execute_script("CREATE TEMP TABLE diary (day int, mood mood)");
  conn.exec("INSERT INTO diary VALUES ($1, $2)", 1, std::string("happy"));
  EXPECT_EQ(conn.query_value<std::string>("SELECT mood::text FROM diary WHERE day = 1"), "happy");
  EXPECT_THROW((void)conn.exec("INSERT INTO diary VALUES ($1, $2)", 2, "furious"), pgkit::InvalidTextRepresentation);
}

TEST_F(TypesCustom, DescribedEnumTravelsBothWays) {
  for (const Mood mood : {Mood::sad, Mood::ok, Mood::happy}) {
    expect_round_trip(conn, mood, "mood");
  }
  EXPECT_EQ(server_text(conn, Mood::happy), "happy");
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1::mood > 'sad'::mood", Mood::ok));
  expect_reads(conn, "'happy'::mood", Mood::happy);
  // The label is all that matters: the same names in another enum type, or text, read the same.
  expect_reads(conn, "'ok'::feeling", Mood::ok);
  expect_reads(conn, "'sad'::text", Mood::sad);
  conn.execute_script("CREATE TEMP TABLE moods (m mood)");
  conn.exec("INSERT INTO moods VALUES ($1)", Mood::sad);
  EXPECT_EQ(conn.query_value<Mood>("SELECT m FROM moods"), Mood::sad);
}

TEST_F(TypesCustom, UnknownEnumLabelIsAConversionError) {
  const std::string message = expect_read_fails<Mood>(conn, "'ecstatic'::feeling AS how");
  EXPECT_THAT(message, HasSubstr("ecstatic"));
  EXPECT_THAT(message, HasSubstr("\"how\""));
  EXPECT_THROW((void)conn.exec("SELECT $1::mood", static_cast<Mood>(42)), ConversionError);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(TypesCustom, ArraysOfDescribedEnums) {
  const std::vector<Mood> moods = {Mood::happy, Mood::sad, Mood::happy};
  expect_round_trip(conn, moods, "mood[]");
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::mood[]::text", moods), "{happy,sad,happy}");
  expect_reads(conn, "enum_range(NULL::mood)", std::vector<Mood>{Mood::sad, Mood::ok, Mood::happy});
  expect_reads(conn, "ARRAY['ok', NULL]::mood[]", std::vector<std::optional<Mood>>{Mood::ok, std::nullopt});
}

// ---------------------------------------------------------------------------------------------------
// Via: user types stored as a type pgkit knows

TEST_F(TypesCustom, ViaDoubleTravelsAsFloat8) {
  for (const Celsius value : {Celsius{21.5}, Celsius{-273.15}, Celsius{0}}) {
    expect_round_trip(conn, value, "double precision");
  }
  EXPECT_EQ(server_type(conn, Celsius{1}), "double precision");
  EXPECT_EQ(server_text(conn, Celsius{-40.25}), "-40.25");
  expect_reads(conn, "36.6::float8", Celsius{36.6});
  conn.execute_script("CREATE TEMP TABLE readings (at int, temperature double precision)");
  conn.exec("INSERT INTO readings VALUES (1, $1), (2, $2)", Celsius{19.5}, Celsius{20.5});
  EXPECT_EQ(conn.query_value<Celsius>("SELECT avg(temperature) FROM readings"), Celsius{20});
}

TEST_F(TypesCustom, ViaDecimalKeepsScale) {
  const Money price{Decimal("19.90")};
  expect_round_trip(conn, price, "numeric");
  EXPECT_EQ(server_type(conn, price), "numeric");
  EXPECT_EQ(server_text(conn, price), "19.90");
  expect_reads(conn, "19.90::numeric(10, 2)", price);
  EXPECT_EQ(conn.query_value<Money>("SELECT $1 * 3", price), Money{Decimal("59.70")});
}

TEST_F(TypesCustom, ViaStringIsText) {
  expect_round_trip(conn, Sku{"AB-123"}, "text");
  expect_reads(conn, "'XY-9'", Sku{"XY-9"});
  // from_wire's own validation reaches the caller.
  EXPECT_THROW((void)read_binary<Sku>(conn, "'lower'"), ConversionError);
  EXPECT_THROW((void)read_text<Sku>(conn, "'lower'"), ConversionError);
}

TEST_F(TypesCustom, ArraysAndOptionalsOfViaTypes) {
  const std::vector<Celsius> temperatures = {Celsius{1.5}, Celsius{-2}};
  expect_round_trip(conn, temperatures, "float8[]");
  EXPECT_EQ(server_type(conn, temperatures), "double precision[]");
  const std::vector<std::optional<Money>> prices = {Money{Decimal("1.50")}, std::nullopt};
  expect_round_trip(conn, prices, "numeric[]");
  EXPECT_EQ(server_text(conn, prices), "{1.50,NULL}");
  const std::vector<Sku> skus = {Sku{"A,B"}, Sku{"\"Q\""}, Sku{"NULL"}};
  expect_round_trip(conn, skus, "text[]");
  expect_round_trip(conn, std::vector<std::vector<Celsius>>{{Celsius{1}, Celsius{2}}, {Celsius{3}, Celsius{4}}},
                    "float8[]");
  expect_round_trip(conn, std::optional<Celsius>{Celsius{5}}, "float8");
  EXPECT_EQ(echo_binary(conn, std::optional<Celsius>{}, "float8"), std::nullopt);
  EXPECT_EQ(echo_text(conn, std::optional<Celsius>{}, "float8"), std::nullopt);
}

}  // namespace
