// Ranges and multiranges (pgkit/range.hpp): every bound combination, empty and unbounded sides, the
// server's canonical forms, multiranges of several ranges and none, arrays, both result formats.
#include "core/decoders_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/range.hpp>

#include <gmock/gmock.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pgkit {
template <class T>
void PrintTo(const Range<T>& value, std::ostream* os) {
  std::string text;
  Type<Range<T>>::to_text(value, text);
  *os << "Range(" << text << ")";
}
template <class T>
void PrintTo(const Multirange<T>& value, std::ostream* os) {
  std::string text;
  Type<Multirange<T>>::to_text(value, text);
  *os << "Multirange(" << text << ")";
}
}  // namespace pgkit

namespace {

using namespace std::chrono_literals;
using pgkit::ConversionError;
using pgkit::Decimal;
using pgkit::Multirange;
using pgkit::Range;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::expect_text_matches_server;
using pgkit::types_test::expect_value;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;
using ::testing::HasSubstr;

using IntRange = Range<std::int32_t>;
using NumRange = Range<Decimal>;
using Timestamp = std::chrono::local_time<std::chrono::microseconds>;
using TimestampTz = std::chrono::sys_time<std::chrono::microseconds>;

class TypesRange : public pgkit::types_test::TypesTest {
 protected:
  void SetUp() override { conn.execute_script("SET TimeZone = 'UTC'"); }
};

TEST_F(TypesRange, ConstructionAndBounds) {
  const IntRange closed(1, 5, "[]");
  EXPECT_FALSE(closed.is_empty());
  EXPECT_TRUE(closed.lower_inclusive());
  EXPECT_TRUE(closed.upper_inclusive());
  EXPECT_EQ(closed.lower(), 1);
  EXPECT_EQ(closed.upper(), 5);
  const IntRange unbounded(std::nullopt, std::nullopt, "[]");
  EXPECT_TRUE(unbounded.lower_infinite());
  EXPECT_TRUE(unbounded.upper_infinite());
  EXPECT_FALSE(unbounded.lower_inclusive()) << "an unbounded side is never inclusive";
  EXPECT_EQ(unbounded, IntRange(std::nullopt, std::nullopt, "()"));
  EXPECT_TRUE(IntRange().is_empty());
  EXPECT_EQ(IntRange(), IntRange::empty());
  EXPECT_FALSE(IntRange().lower_infinite());
  for (const char* bad : {"", "[", "[[", "])", "{}", "[) "}) {
    try {
      (void)IntRange(1, 2, bad);
      ADD_FAILURE() << "accepted bounds '" << bad << "'";
    } catch (const ConversionError& e) {
      EXPECT_THAT(e.what(), HasSubstr("\"[)\""));
    }
  }
}

// The server canonicalises int4range to [): every bound combination reads as it does.
TEST_F(TypesRange, DiscreteRangesReadInCanonicalForm) {
  expect_value(conn, "'[1,5]'::int4range", IntRange(1, 6), "int4range");
  expect_value(conn, "'(1,5]'::int4range", IntRange(2, 6), "int4range");
  expect_value(conn, "'(1,5)'::int4range", IntRange(2, 5), "int4range");
  expect_value(conn, "'[1,5)'::int4range", IntRange(1, 5), "int4range");
  expect_value(conn, "'(,5]'::int4range", IntRange(std::nullopt, 6), "int4range");
  expect_value(conn, "'[1,)'::int4range", IntRange(1, std::nullopt), "int4range");
  expect_value(conn, "'(,)'::int4range", IntRange(std::nullopt, std::nullopt), "int4range");
  expect_value(conn, "'empty'::int4range", IntRange(), "int4range");
  expect_value(conn, "'[5,5)'::int4range", IntRange(), "int4range");
  expect_value(conn, "'[-2147483648,2147483647)'::int4range", IntRange(INT32_MIN, INT32_MAX), "int4range");
  // What is sent need not be canonical: the server makes it so.
  EXPECT_EQ(pgkit::types_test::echo_binary(conn, IntRange(1, 5, "[]"), "int4range"), IntRange(1, 6));
  EXPECT_EQ(pgkit::types_test::echo_binary(conn, IntRange(3, 3, "[)"), "int4range"), IntRange());
  EXPECT_EQ(server_type(conn, IntRange(1, 2)), "int4range");
  using BigRange = Range<std::int64_t>;
  expect_value(conn, "'[-9223372036854775808,9223372036854775807)'::int8range", BigRange(INT64_MIN, INT64_MAX),
               "int8range");
  expect_value(conn, "'(,0]'::int8range", BigRange(std::nullopt, 1), "int8range");
  // int4range bounds read into int64 too.
  expect_reads(conn, "'[1,5)'::int4range", BigRange(1, 5));
}

// numrange is continuous: every bound combination is kept.
TEST_F(TypesRange, ContinuousRangesKeepEveryBoundCombination) {
  const Decimal low("1.50");
  const Decimal high("2.25");
  for (const char* bounds : {"[)", "[]", "()", "(]"}) {
    SCOPED_TRACE(bounds);
    const std::string literal = fmt::format("'{}1.50,2.25{}'::numrange", bounds[0], bounds[1]);
    expect_value(conn, literal, NumRange(low, high, bounds), "numrange");
    expect_value(conn, fmt::format("'{},2.25{}'::numrange", bounds[0], bounds[1]), NumRange(std::nullopt, high, bounds),
                 "numrange");
    expect_value(conn, fmt::format("'{}1.50,{}'::numrange", bounds[0], bounds[1]), NumRange(low, std::nullopt, bounds),
                 "numrange");
  }
  expect_value(conn, "'[1.5,1.5]'::numrange", NumRange(Decimal("1.5"), Decimal("1.5"), "[]"), "numrange");
  expect_value(conn, "'empty'::numrange", NumRange(), "numrange");
  expect_value(conn, "'(,)'::numrange", NumRange(std::nullopt, std::nullopt), "numrange");
  expect_value(conn, "'[-1e-20,1e30]'::numrange",
               NumRange(Decimal("-0.00000000000000000001"), Decimal("1000000000000000000000000000000"), "[]"),
               "numrange");
}

TEST_F(TypesRange, DateAndTimestampRanges) {
  using std::chrono::sys_days;
  const sys_days first = sys_days(std::chrono::year_month_day(2024y, std::chrono::February, 28d));
  const sys_days last = sys_days(std::chrono::year_month_day(2024y, std::chrono::March, 1d));
  expect_value(conn, "'[2024-02-28,2024-02-29]'::daterange", Range<sys_days>(first, last), "daterange");
  expect_value(conn, "'(,2024-03-01)'::daterange", Range<sys_days>(std::nullopt, last), "daterange");
  expect_reads(
      conn, "'[2024-02-28,2024-03-01)'::daterange",
      Range<std::chrono::year_month_day>(std::chrono::year_month_day(first), std::chrono::year_month_day(last)));

  const Timestamp start =
      std::chrono::local_days(std::chrono::year_month_day(2020y, std::chrono::January, 1d)) + 90'061'000'001us;
  const Timestamp end = start + 1h;
  expect_value(conn, "'[2020-01-02 01:01:01.000001,2020-01-02 02:01:01.000001]'::tsrange",
               Range<Timestamp>(start, end, "[]"), "tsrange");
  // A bound at infinity is a bound, not an unbounded side.
  const Range<Timestamp> to_infinity(start, Timestamp::max());
  expect_value(conn, "'[2020-01-02 01:01:01.000001,infinity)'::tsrange", to_infinity, "tsrange");
  EXPECT_FALSE(to_infinity.upper_infinite());
  expect_value(conn, "'(-infinity,)'::tsrange", Range<Timestamp>(Timestamp::min(), std::nullopt, "()"), "tsrange");

  const TimestampTz instant =
      std::chrono::sys_days(std::chrono::year_month_day(1999y, std::chrono::December, 31d)) + 23h;
  expect_value(conn, "'(1999-12-31 23:00:00+00,2000-01-01 00:00:00+00]'::tstzrange",
               Range<TimestampTz>(instant, instant + 1h, "(]"), "tstzrange");
  expect_value(conn, "'[,)'::tstzrange", Range<TimestampTz>(std::nullopt, std::nullopt), "tstzrange");
}

TEST_F(TypesRange, Multiranges) {
  using IntMulti = Multirange<std::int32_t>;
  expect_value(conn, "'{}'::int4multirange", IntMulti{}, "int4multirange");
  expect_value(conn, "'{[1,3), [5,7], (9,)}'::int4multirange",
               IntMulti{IntRange(1, 3), IntRange(5, 8), IntRange(10, std::nullopt)}, "int4multirange");
  // The server sorts, merges and drops empty ranges.
  expect_reads(conn, "'{[5,7), empty, [1,3), [2,4)}'::int4multirange", IntMulti{IntRange(1, 4), IntRange(5, 7)});
  EXPECT_EQ(
      pgkit::types_test::echo_binary(conn, IntMulti{IntRange(5, 7), IntRange(), IntRange(1, 6)}, "int4multirange"),
      (IntMulti{IntRange(1, 7)}));
  expect_value(conn, "'{(,)}'::int4multirange", IntMulti{IntRange(std::nullopt, std::nullopt)}, "int4multirange");

  using NumMulti = Multirange<Decimal>;
  expect_value(conn, "'{(,-1.5], (0,0.5), [2,)}'::nummultirange",
               NumMulti{NumRange(std::nullopt, Decimal("-1.5"), "(]"), NumRange(Decimal(0), Decimal("0.5"), "()"),
                        NumRange(Decimal(2), std::nullopt)},
               "nummultirange");
  const Timestamp t0 = std::chrono::local_days(std::chrono::year_month_day(2021y, std::chrono::May, 4d)) + 0us;
  expect_value(conn, "'{[2021-05-04,2021-05-04 01:00), [2021-05-04 02:00,infinity]}'::tsmultirange",
               Multirange<Timestamp>{Range<Timestamp>(t0, t0 + 1h), Range<Timestamp>(t0 + 2h, Timestamp::max(), "[]")},
               "tsmultirange");
  expect_value(conn, "'{[2021-05-04,2021-05-06)}'::datemultirange",
               Multirange<std::chrono::sys_days>{Range<std::chrono::sys_days>(
                   std::chrono::sys_days(std::chrono::year_month_day(2021y, std::chrono::May, 4d)),
                   std::chrono::sys_days(std::chrono::year_month_day(2021y, std::chrono::May, 6d)))},
               "datemultirange");
  EXPECT_EQ(server_type(conn, IntMulti{}), "int4multirange");
}

TEST_F(TypesRange, Arrays) {
  const std::vector<std::optional<IntRange>> ranges = {IntRange(1, 2), IntRange(), std::nullopt,
                                                       IntRange(std::nullopt, 0)};
  expect_round_trip(conn, ranges, "int4range[]");
  expect_reads(conn, "ARRAY['[1,2)'::int4range, 'empty', NULL, '(,0)']", ranges);
  expect_text_matches_server(conn, "ARRAY['[1,2)'::int4range, 'empty', NULL, '(,0)']");
  // Timestamp bounds are quoted inside the range, and the range again inside the array.
  const Timestamp t0 = std::chrono::local_days(std::chrono::year_month_day(2021y, std::chrono::May, 4d)) + 0us;
  expect_reads(conn, "ARRAY['[2021-05-04,2021-05-04 01:00)'::tsrange]",
               std::vector<Range<Timestamp>>{Range<Timestamp>(t0, t0 + 1h)});
  expect_text_matches_server(conn, "ARRAY['[2021-05-04,2021-05-04 01:00)'::tsrange]");
  const std::vector<Multirange<std::int32_t>> multis = {{}, {IntRange(1, 2), IntRange(3, 4)}};
  expect_round_trip(conn, multis, "int4multirange[]");
  expect_text_matches_server(conn, "ARRAY['{}'::int4multirange, '{[1,2),[3,4)}']");
}

TEST_F(TypesRange, TextBoundsAreQuotedAsTheServerQuotesThem) {
  std::string text;
  pgkit::detail::append_range_bound_text(text, "2020-01-01 00:00:00");
  EXPECT_EQ(text, "\"2020-01-01 00:00:00\"");
  text.clear();
  pgkit::detail::append_range_bound_text(text, "a\"b\\c");
  EXPECT_EQ(text, "\"a\"\"b\\\\c\"");
  text.clear();
  pgkit::detail::append_range_bound_text(text, "");
  EXPECT_EQ(text, "\"\"");
  text.clear();
  pgkit::detail::append_range_bound_text(text, "-12.5");
  EXPECT_EQ(text, "-12.5");
}

// The text parser takes what range_in takes (not only what range_out prints): quotes, doubled quotes
// inside quotes, backslash escapes, spaces around, "empty" in any case.
TEST_F(TypesRange, TextParserTakesWhatTheServerTakes) {
  const auto parse = [](std::string_view text) {
    return pgkit::Field(text.data(), text.size(), pgkit::oid::numrange, pgkit::Format::text).as<NumRange>();
  };
  EXPECT_EQ(parse("  [\"1\",\"1\\0\")  "), NumRange(Decimal(1), Decimal(10)));
  EXPECT_EQ(parse("(1\\5,)"), NumRange(Decimal(15), std::nullopt, "()"));
  EXPECT_EQ(parse(" EmPtY "), NumRange());
  const auto parse_int = [](std::string_view text) {
    return pgkit::Field(text.data(), text.size(), pgkit::oid::int4range, pgkit::Format::text).as<IntRange>();
  };
  EXPECT_EQ(parse_int("[\"7\",\"8\"]"), IntRange(7, 8, "[]"));
  EXPECT_THROW((void)parse_int("[\"\"\"7\",8)"), ConversionError) << "a doubled quote is a quote: '\"7' is no integer";
  for (const char* bad : {"", "[1,2", "[1,2) x", "{1,2}", "[1;2)", "empty x", "[\"1,2)"}) {
    EXPECT_THROW((void)parse_int(bad), ConversionError) << bad;
  }
}

TEST_F(TypesRange, WrongKindsAreNamed) {
  EXPECT_THAT(expect_read_fails<IntRange>(conn, "'{[1,2)}'::int4multirange"), HasSubstr("pgkit::Multirange"));
  EXPECT_THAT(expect_read_fails<Multirange<std::int32_t>>(conn, "'[1,2)'::int4range"), HasSubstr("pgkit::Range"));
  expect_read_fails<IntRange>(conn, "'[1,2)'::text");
  expect_read_fails<IntRange>(conn, "'[1.5,2)'::numrange");
  expect_read_fails<Range<pgkit::Decimal>>(conn, "'[2020-01-01,2020-01-02)'::daterange");
}

}  // namespace
