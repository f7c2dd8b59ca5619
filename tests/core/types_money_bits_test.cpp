// money (pgkit/money.hpp) at its limits and under other lc_monetary text forms, and bit strings
// (pgkit/bits.hpp) of 0, 1, 8 and 9 bits, in both result formats and as parameters.
#include "core/decoders_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/bits.hpp>
#include <pgkit/connection.hpp>
#include <pgkit/money.hpp>

#include <gmock/gmock.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pgkit {
inline void PrintTo(const Money& value, std::ostream* os) {
  *os << "Money(" << value.str() << ")";
}
inline void PrintTo(const BitString& value, std::ostream* os) {
  *os << "BitString(" << value.str() << ")";
}
}  // namespace pgkit

namespace {

using pgkit::BitString;
using pgkit::ConversionError;
using pgkit::Money;
using pgkit::types_test::echo_binary;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::expect_text_matches_server;
using pgkit::types_test::expect_value;
using pgkit::types_test::read_binary;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;
using ::testing::HasSubstr;

constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

class TypesMoney : public pgkit::types_test::TypesTest {
 protected:
  // The test cluster's only locales are C and POSIX: money prints as $1,234.56.
  void SetUp() override { conn.execute_script("SET lc_monetary = 'C'"); }
};

// Both result formats, a binary parameter, a money column read in text, a literal.
void expect_money(pgkit::Connection& conn, std::string_view expression, Money expected) {
  expect_reads(conn, expression, expected);
  expect_round_trip(conn, expected, "money");
  EXPECT_EQ(pgkit::types_test::echo_literal(conn, expected), expected) << "literal of " << expression;
}

TEST_F(TypesMoney, Limits) {
  expect_money(conn, "'-92233720368547758.08'::money", Money{kMin});
  expect_money(conn, "'92233720368547758.07'::money", Money{kMax});
  expect_money(conn, "'0'::money", Money{0});
  expect_money(conn, "'-0.01'::money", Money{-1});
  expect_money(conn, "'1234567.89'::money", Money{123456789});
  EXPECT_EQ(Money{kMin}.str(), "-92233720368547758.08");
  EXPECT_EQ(Money{kMax}.str(), "92233720368547758.07");
  EXPECT_EQ(Money{-5}.str(), "-0.05");
  EXPECT_EQ(server_text(conn, Money{-123456}), "-$1,234.56");
  EXPECT_EQ(server_type(conn, Money{1}), "money");
}

TEST_F(TypesMoney, ArraysAndNulls) {
  const std::vector<std::optional<Money>> values = {Money{kMin}, std::nullopt, Money{kMax}, Money{0}};
  expect_round_trip(conn, values, "money[]");
  EXPECT_EQ(pgkit::types_test::read_text<std::string>(conn, "ARRAY['-92233720368547758.08'::money, NULL, '1.5']"),
            "{\"-$92,233,720,368,547,758.08\",NULL,$1.50}");
  expect_reads(conn, "ARRAY['-92233720368547758.08'::money, NULL, '1.5']",
               std::vector<std::optional<Money>>{Money{kMin}, std::nullopt, Money{150}});
}

// Money's text depends on lc_monetary, which the server does not report: pgkit does not make it up
// for a binary value, and the server's own text (a text result) is what as<std::string>() gives.
TEST_F(TypesMoney, TextIsTheServersOnly) {
  EXPECT_EQ(pgkit::types_test::read_text<std::string>(conn, "'-1234.5'::money"), "-$1,234.50");
  try {
    (void)read_binary<std::string>(conn, "'-1234.5'::money");
    ADD_FAILURE() << "binary money was rendered as text";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cast it to text"));
  }
}

// What cash_out prints under other lc_monetary settings (de_DE, en_US accounting, ja_JP with no
// fraction digits): the digits are the stored integer, whatever surrounds them.
TEST_F(TypesMoney, TextUnderOtherLocales) {
  const auto read = [](std::string_view text) {
    return pgkit::Field(text.data(), text.size(), pgkit::oid::money, pgkit::Format::text).as<Money>().cents;
  };
  EXPECT_EQ(read("1.234,56 €"), 123456);
  EXPECT_EQ(read("-1.234,56 €"), -123456);
  EXPECT_EQ(read("($1,234.56)"), -123456);
  EXPECT_EQ(read("￥1,235"), 1235);
  EXPECT_EQ(read("Fr. 1'234.56"), 123456);
  EXPECT_EQ(read("-$92,233,720,368,547,758.08"), kMin);
  for (const char* bad :
       {"", "$", "-$92,233,720,368,547,758.09", "$92,233,720,368,547,758.08", "$184467440737095516.16"}) {
    EXPECT_THROW((void)read(bad), ConversionError) << bad;
  }
}

TEST_F(TypesMoney, OtherTypesAreNotMoney) {
  expect_read_fails<Money>(conn, "12.5");
  expect_read_fails<Money>(conn, "'$1.00'::text");
  expect_read_fails<Money>(conn, "100");
}

class TypesBits : public pgkit::types_test::TypesTest {};

TEST_F(TypesBits, Construction) {
  const BitString nine("101000001");
  EXPECT_EQ(nine.size(), 9u);
  EXPECT_EQ(nine.bytes(), (std::vector<std::uint8_t>{0xA0, 0x80}));
  EXPECT_TRUE(nine.test(0));
  EXPECT_FALSE(nine.test(1));
  EXPECT_TRUE(nine.test(8));
  EXPECT_THROW((void)nine.test(9), ConversionError);
  EXPECT_EQ(nine.str(), "101000001");
  EXPECT_TRUE(BitString().empty());
  EXPECT_EQ(BitString(9, {0xA0, 0xFF}), nine) << "bits past the size are ignored";
  EXPECT_THROW(BitString(9, {0xA0}), ConversionError);
  EXPECT_THROW(BitString(0, {0x00}), ConversionError);
  try {
    (void)BitString("1012");
    ADD_FAILURE() << "accepted a 2";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("offset 3"));
  }
}

TEST_F(TypesBits, LengthsZeroOneEightNine) {
  expect_value(conn, "B''::varbit", BitString(""), "varbit");
  expect_value(conn, "B'1'::bit(1)", BitString("1"), "bit(1)");
  expect_value(conn, "B'0'::varbit", BitString("0"), "varbit");
  expect_value(conn, "B'10000001'::bit(8)", BitString("10000001"), "bit(8)");
  expect_value(conn, "B'101000001'::bit(9)", BitString("101000001"), "bit(9)");
  expect_value(conn, "B'111111111'::varbit(20)", BitString("111111111"), "varbit(20)");
  EXPECT_EQ(server_type(conn, BitString("1")), "bit varying");
  // A bit(n) column refuses another length; an explicit cast pads (or truncates) instead.
  EXPECT_THROW((void)pgkit::types_test::echo_text(conn, BitString("10"), "bit(9)"), pgkit::DatabaseError);
  EXPECT_THROW((void)echo_binary(conn, BitString("10"), "bit(9)"), pgkit::DatabaseError);
  EXPECT_EQ(conn.query_value<BitString>("SELECT $1::bit(9)", BitString("10")), BitString("100000000"));
  // Comparisons with bit(n) columns work on a bit varying parameter.
  EXPECT_TRUE(conn.query_value<bool>("SELECT B'101'::bit(3) = $1", BitString("101")));
}

TEST_F(TypesBits, LongAndArrays) {
  std::string long_bits;
  for (int i = 0; i < 1001; ++i) long_bits.push_back(i % 3 == 0 ? '1' : '0');
  const BitString long_value(long_bits);
  expect_round_trip(conn, long_value, "varbit");
  EXPECT_EQ(server_text(conn, long_value), long_bits);
  const std::vector<std::optional<BitString>> values = {BitString("1"), std::nullopt, BitString(""), BitString("0101")};
  expect_round_trip(conn, values, "varbit[]");
  expect_reads(conn, "ARRAY[B'1', NULL, B'', B'0101']::varbit[]", values);
  expect_text_matches_server(conn, "ARRAY[B'1', NULL, B'', B'0101']::varbit[]");
  expect_text_matches_server(conn, "ARRAY[B'101', B'000']::bit(3)[]");
}

TEST_F(TypesBits, OtherTypesAreNotBits) {
  expect_read_fails<BitString>(conn, "'101'::text");
  expect_read_fails<BitString>(conn, "5");
}

}  // namespace
