// The compound and special types the driver sends, through every path of the round-trip kit
// (tests/support/round_trip.hpp): network addresses, money, bit strings, geometry, ranges and
// multiranges, pgkit::Array with lower bounds, described enums. Scalars are in round_trip_test.cpp.
#include "support/round_trip.hpp"
#include "support/test_server.hpp"

#include <pgkit/array.hpp>
#include <pgkit/bits.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/geometry.hpp>
#include <pgkit/money.hpp>
#include <pgkit/network.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/range.hpp>

#include <boost/describe/enum.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace round_trip_enums {
enum class Mood { sad, ok, happy, very_happy };
BOOST_DESCRIBE_ENUM(Mood, sad, ok, happy, very_happy)
}  // namespace round_trip_enums

template <>
struct pgkit::EnumLabels<round_trip_enums::Mood> {
  static constexpr std::pair<round_trip_enums::Mood, std::string_view> renamed[] = {
      {round_trip_enums::Mood::very_happy, "very happy, \"quoted\""}};
};

namespace {

using namespace std::chrono_literals;
using pgkit::round_trip::Exemption;
using pgkit::round_trip::KnownFailure;
using pgkit::round_trip::Options;
using pgkit::round_trip::Path;

class RoundTripCompound : public pgkit::testing::DatabaseTest {
 protected:
  template <class T>
  static void run(const Options& options, const std::vector<T>& values) {
    pgkit::round_trip::run<T>(database_url(), options, values);
  }
};

TEST_F(RoundTripCompound, Inet) {
  using pgkit::Inet;
  run<Inet>({.sql_type = "inet"},
            {Inet{}, Inet::parse("127.0.0.1"), Inet::parse("192.168.1.5/24"), Inet::parse("255.255.255.255/0"),
             Inet::parse("::"), Inet::parse("::1"), Inet::parse("2001:db8::1/64"),
             Inet::parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), Inet::parse("::ffff:1.2.3.4"),
             Inet::parse("fe80::1:2:3:4/10")});
}

TEST_F(RoundTripCompound, Cidr) {
  using pgkit::Cidr;
  run<Cidr>({.sql_type = "cidr"}, {Cidr{}, Cidr::parse("10.0.0.0/8"), Cidr::parse("192.168.1.0/24"),
                                   Cidr::parse("1.2.3.4/32"), Cidr::parse("::/0"), Cidr::parse("2001:db8::/32"),
                                   Cidr::parse("::1/128")});
}

TEST_F(RoundTripCompound, MacAddr) {
  using pgkit::MacAddr;
  run<MacAddr>({.sql_type = "macaddr"}, {MacAddr::parse("00:00:00:00:00:00"), MacAddr::parse("08:00:2b:01:02:03"),
                                         MacAddr::parse("ff:ff:ff:ff:ff:ff")});
}

TEST_F(RoundTripCompound, MacAddr8) {
  using pgkit::MacAddr8;
  run<MacAddr8>({.sql_type = "macaddr8"},
                {MacAddr8::parse("00:00:00:00:00:00:00:00"), MacAddr8::parse("08:00:2b:01:02:03:04:05"),
                 MacAddr8::parse("ff:ff:ff:ff:ff:ff:ff:ff")});
}

TEST_F(RoundTripCompound, Money) {
  using pgkit::Money;
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  run<Money>({.sql_type = "money"}, {Money{0}, Money{1}, Money{-1}, Money{123456789}, Money{min}, Money{max}});
}

TEST_F(RoundTripCompound, VarBit) {
  using pgkit::BitString;
  run<BitString>({.sql_type = "varbit"}, {BitString{}, BitString{"0"}, BitString{"1"}, BitString{"10110011"},
                                          BitString{"101100111"}, BitString(std::string(1000, '1'))});
}

TEST_F(RoundTripCompound, Bit9) {
  using pgkit::BitString;
  run<BitString>({.sql_type = "bit(9)"}, {BitString{"000000000"}, BitString{"101100111"}, BitString{"111111111"}});
}

TEST_F(RoundTripCompound, Point) {
  using pgkit::Point;
  constexpr double inf = std::numeric_limits<double>::infinity();
  run<Point>({.sql_type = "point"}, {Point{0, 0}, Point{1.5, -2.25}, Point{0.1, 1e300}, Point{-0.0, 0.0},
                                     Point{inf, -inf}, Point{std::numeric_limits<double>::denorm_min(), 3}});
}

TEST_F(RoundTripCompound, Line) {
  using pgkit::Line;
  run<Line>({.sql_type = "line"}, {Line{1, -1, 0}, Line{0, 1, 2.5}, Line{1, 0, -0.1}});
}

TEST_F(RoundTripCompound, LineSegment) {
  using pgkit::LineSegment;
  run<LineSegment>({.sql_type = "lseg"}, {LineSegment{{0, 0}, {1, 1}}, LineSegment{{-1.5, 2}, {3, -0.25}}});
}

TEST_F(RoundTripCompound, Box) {
  using pgkit::Box;
  // The server keeps the upper right corner first: only such boxes come back as they were sent.
  run<Box>({.sql_type = "box"}, {Box{{1, 1}, {0, 0}}, Box{{2.5, 3}, {-1, -0.5}}, Box{{0, 0}, {0, 0}}});
}

TEST_F(RoundTripCompound, Path) {
  using pgkit::Path;
  run<Path>({.sql_type = "path"}, {Path{{{0, 0}}, false}, Path{{{0, 0}, {1, 1}}, false},
                                   Path{{{0, 0}, {1, 1}, {1, 0}}, true}, Path{{{-1.5, 2}, {0.1, 0.2}}, true}});
}

TEST_F(RoundTripCompound, Polygon) {
  using pgkit::Polygon;
  run<Polygon>({.sql_type = "polygon"},
               {Polygon{{{0, 0}}}, Polygon{{{0, 0}, {1, 1}, {1, 0}}}, Polygon{{{-1.5, 2}, {0.1, 0.2}, {3, 4}, {5, -6}}}});
}

TEST_F(RoundTripCompound, Circle) {
  using pgkit::Circle;
  run<Circle>({.sql_type = "circle"}, {Circle{{0, 0}, 0}, Circle{{1.5, -2}, 3.25}, Circle{{0.1, 0.2}, 1e10}});
}

// Discrete ranges (int4, int8, date) come back in the server's canonical [) form: only those are sent.
TEST_F(RoundTripCompound, Int4Range) {
  using R = pgkit::Range<std::int32_t>;
  constexpr auto min = std::numeric_limits<std::int32_t>::min();
  constexpr auto max = std::numeric_limits<std::int32_t>::max();
  run<R>({.sql_type = "int4range"}, {R::empty(), R(1, 5), R(std::nullopt, 5), R(1, std::nullopt),
                                     R(std::nullopt, std::nullopt), R(-10, -9), R(min, max)});
}

TEST_F(RoundTripCompound, Int8Range) {
  using R = pgkit::Range<std::int64_t>;
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  run<R>({.sql_type = "int8range"}, {R::empty(), R(min, max), R(std::nullopt, -1), R(0, std::nullopt)});
}

TEST_F(RoundTripCompound, NumRange) {
  using pgkit::Decimal;
  using R = pgkit::Range<Decimal>;
  run<R>({.sql_type = "numrange"},
         {R::empty(), R(Decimal("1.5"), Decimal("2.5"), "[]"), R(Decimal("-1"), Decimal("1"), "()"),
          R(Decimal("0"), Decimal("0"), "[]"), R(std::nullopt, Decimal("1e-20"), "(]"),
          R(Decimal("123456789.000000001"), std::nullopt, "[)"), R(std::nullopt, std::nullopt, "()")});
}

TEST_F(RoundTripCompound, DateRange) {
  using namespace std::chrono;
  using R = pgkit::Range<sys_days>;
  run<R>({.sql_type = "daterange"}, {R::empty(), R(sys_days{2000y / 1 / 1}, sys_days{2000y / 2 / 1}),
                                     R(std::nullopt, sys_days{0y / 1 / 1}), R(sys_days{9999y / 12 / 31}, std::nullopt)});
}

TEST_F(RoundTripCompound, TsRange) {
  using namespace std::chrono;
  using T = local_time<microseconds>;
  using R = pgkit::Range<T>;
  const T a{local_days{2000y / 1 / 1}};
  run<R>({.sql_type = "tsrange"}, {R::empty(), R(a, a + 1us, "[]"), R(a - 1us, a, "()"), R(std::nullopt, a),
                                   R(a, std::nullopt, "(]")});
}

TEST_F(RoundTripCompound, TstzRange) {
  using namespace std::chrono;
  using T = sys_time<microseconds>;
  using R = pgkit::Range<T>;
  const T a{sys_days{2024y / 2 / 29}};
  run<R>({.sql_type = "tstzrange"}, {R::empty(), R(a, a + 1h), R(T{}, T{} + 1us, "[]"), R(std::nullopt, std::nullopt)});
}

TEST_F(RoundTripCompound, Int4Multirange) {
  using R = pgkit::Range<std::int32_t>;
  using M = pgkit::Multirange<std::int32_t>;
  run<M>({.sql_type = "int4multirange"},
         {M{}, M{R(1, 3)}, M{R(std::nullopt, -5), R(0, 2), R(10, std::nullopt)}});
}

TEST_F(RoundTripCompound, NumMultirange) {
  using pgkit::Decimal;
  using R = pgkit::Range<Decimal>;
  using M = pgkit::Multirange<Decimal>;
  run<M>({.sql_type = "nummultirange"},
         {M{}, M{R(Decimal("0.5"), Decimal("1.5"), "[]"), R(Decimal("2"), std::nullopt, "()")}});
}

TEST_F(RoundTripCompound, ArrayWithLowerBounds) {
  using A = pgkit::Array<std::int32_t>;
  run<A>({.sql_type = "int4[]",
          .exempt = {{Path::array, "an array of pgkit::Array is a deeper array: Array::with_shape is the way"}}},
         {A{}, A({1, 2, 3}), A({1, 2}, 0), A({7}, -3), A::with_shape({{0, 2}, {1, 3}}, {1, 2, 3, 4, 5, 6})});
}

TEST_F(RoundTripCompound, TextArrayWithLowerBounds) {
  using A = pgkit::Array<std::string>;
  run<A>({.sql_type = "text[]",
          .exempt = {{Path::array, "an array of pgkit::Array is a deeper array: Array::with_shape is the way"}}},
         {A({"a", "", "NULL", "with \"quotes\" and \\", "{,}"}, 5), A({"x"}, -1)});
}

TEST_F(RoundTripCompound, DescribedEnum) {
  using round_trip_enums::Mood;
  connect().execute_script(R"(DROP TYPE IF EXISTS mood; CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'very happy, "quoted"'))");
  run<Mood>({.sql_type = "mood"}, {Mood::sad, Mood::ok, Mood::happy, Mood::very_happy});
}

}  // namespace
