// The geometric types (pgkit/geometry.hpp): point with -0, NaN and infinities, and line, lseg, box,
// circle, path (open and closed) and polygon, in both result formats, as parameters and in arrays.
#include "core/decoders_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/geometry.hpp>

#include <gmock/gmock.h>

#include <cmath>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pgkit {
template <class T>
requires requires(const T& v, std::string& s) {
  Type<T>::to_text(v, s);
}
std::string geometry_text(const T& value) {
  std::string text;
  Type<T>::to_text(value, text);
  return text;
}
inline void PrintTo(const Point& v, std::ostream* os) {
  *os << "Point" << geometry_text(v);
}
inline void PrintTo(const Line& v, std::ostream* os) {
  *os << "Line" << geometry_text(v);
}
inline void PrintTo(const LineSegment& v, std::ostream* os) {
  *os << "LineSegment" << geometry_text(v);
}
inline void PrintTo(const Box& v, std::ostream* os) {
  *os << "Box" << geometry_text(v);
}
inline void PrintTo(const Circle& v, std::ostream* os) {
  *os << "Circle" << geometry_text(v);
}
inline void PrintTo(const Path& v, std::ostream* os) {
  *os << "Path" << geometry_text(v);
}
inline void PrintTo(const Polygon& v, std::ostream* os) {
  *os << "Polygon" << geometry_text(v);
}
}  // namespace pgkit

namespace {

using pgkit::Box;
using pgkit::Circle;
using pgkit::ConversionError;
using pgkit::Line;
using pgkit::LineSegment;
using pgkit::Path;
using pgkit::Point;
using pgkit::Polygon;
using pgkit::types_test::echo_binary;
using pgkit::types_test::echo_literal;
using pgkit::types_test::echo_text;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::expect_text_matches_server;
using pgkit::types_test::expect_value;
using pgkit::types_test::read_binary;
using pgkit::types_test::read_text;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

class TypesGeometry : public pgkit::types_test::TypesTest {};

// -0 and NaN defeat ==: compare the bits that matter.
void expect_minus_zero_nan(const Point& p, std::string_view how) {
  EXPECT_EQ(p.x, 0.0) << how;
  EXPECT_TRUE(std::signbit(p.x)) << how << ": -0 lost its sign";
  EXPECT_TRUE(std::isnan(p.y)) << how;
}

TEST_F(TypesGeometry, PointWithMinusZeroAndNaN) {
  const std::string expression = "point '(-0,NaN)'";
  expect_minus_zero_nan(read_binary<Point>(conn, expression), "binary result");
  expect_minus_zero_nan(read_text<Point>(conn, expression), "text result");
  expect_minus_zero_nan(echo_binary(conn, Point{-0.0, kNaN}, "point"), "binary parameter");
  expect_minus_zero_nan(echo_text(conn, Point{-0.0, kNaN}, "point"), "text column");
  expect_minus_zero_nan(echo_literal(conn, Point{-0.0, kNaN}), "literal");
  expect_text_matches_server(conn, expression);
  EXPECT_EQ(server_text(conn, Point{-0.0, kNaN}), "(-0,NaN)");
}

TEST_F(TypesGeometry, Points) {
  expect_value(conn, "point '(1.5,-2.25)'", Point{1.5, -2.25}, "point");
  expect_value(conn, "point '(Infinity,-Infinity)'", Point{kInf, -kInf}, "point");
  expect_value(conn, "point '(1e300,-1e-300)'", Point{1e300, -1e-300}, "point");
  expect_value(conn, "point '(0.1,123456789012345680)'", Point{0.1, 123456789012345680.0}, "point");
  expect_value(conn, "point '(5e-324,1.7976931348623157e308)'", Point{5e-324, 1.7976931348623157e308}, "point");
  EXPECT_EQ(server_type(conn, Point{}), "point");
}

TEST_F(TypesGeometry, FixedSizeShapes) {
  expect_value(conn, "line '{1,-1,0}'", Line{1, -1, 0}, "line");
  expect_value(conn, "lseg '[(0,0),(1.5,-2)]'", LineSegment{{0, 0}, {1.5, -2}}, "lseg");
  // The server keeps a box as its upper right and lower left corners.
  expect_value(conn, "box '(1,2),(3,4)'", Box{{3, 4}, {1, 2}}, "box");
  EXPECT_EQ(echo_binary(conn, Box{{1, 2}, {3, 4}}, "box"), (Box{{3, 4}, {1, 2}}));
  expect_value(conn, "circle '<(1,-1),2.5>'", Circle{{1, -1}, 2.5}, "circle");
}

TEST_F(TypesGeometry, PathsAndPolygons) {
  expect_value(conn, "path '[(0,0),(1,1),(2,0)]'", Path{{{0, 0}, {1, 1}, {2, 0}}, false}, "path");
  expect_value(conn, "path '((0,0),(1,1),(2,0))'", Path{{{0, 0}, {1, 1}, {2, 0}}, true}, "path");
  expect_value(conn, "path '[(-0.5,1e-5)]'", Path{{{-0.5, 1e-5}}, false}, "path");
  expect_value(conn, "polygon '((0,0),(1,1),(2,0))'", Polygon{{{0, 0}, {1, 1}, {2, 0}}}, "polygon");
  expect_value(conn, "polygon '((7,8))'", Polygon{{{7, 8}}}, "polygon");
  // The server has no empty path or polygon, and says so.
  EXPECT_THROW((void)echo_binary(conn, Polygon{}, "polygon"), pgkit::DatabaseError);
}

// box[] separates its elements with ';' (pg_type.typdelim), every other type with ','.
TEST_F(TypesGeometry, Arrays) {
  const std::vector<std::optional<Box>> boxes = {Box{{3, 4}, {1, 2}}, std::nullopt, Box{{0, 0}, {-1, -1}}};
  expect_round_trip(conn, boxes, "box[]");
  expect_reads(conn, "ARRAY[box '(1,2),(3,4)', NULL, box '(0,0),(-1,-1)']", boxes);
  expect_text_matches_server(conn, "ARRAY[box '(1,2),(3,4)', NULL, box '(0,0),(-1,-1)']");
  expect_text_matches_server(conn, "'{{(1,2),(3,4);(5,6),(7,8)};{(0,0),(0,0);(1,1),(1,1)}}'::box[]");
  const std::vector<Point> points = {{1, 2}, {-0.5, kInf}};
  expect_round_trip(conn, points, "point[]");
  expect_text_matches_server(conn, "ARRAY[point '(1,2)', point '(-0.5,Infinity)']");
  expect_round_trip(conn, std::vector<Path>{Path{{{0, 0}, {1, 1}}, true}, Path{{{2, 2}}, false}}, "path[]");
  expect_text_matches_server(conn, "ARRAY[path '((0,0),(1,1))', path '[(2,2)]']");
  expect_round_trip(conn, std::vector<Circle>{Circle{{0, 0}, 1}}, "circle[]");
}

TEST_F(TypesGeometry, WrongTypesAreNamed) {
  expect_read_fails<Point>(conn, "box '(1,2),(3,4)'");
  expect_read_fails<Box>(conn, "point '(1,2)'");
  expect_read_fails<Point>(conn, "'(1,2)'::text");
  expect_read_fails<Polygon>(conn, "path '((0,0),(1,1))'");
  const auto read_point = [](std::string_view text) {
    return pgkit::Field(text.data(), text.size(), pgkit::oid::point, pgkit::Format::text).as<Point>();
  };
  EXPECT_THROW((void)read_point("(1,2,3)"), ConversionError);
  EXPECT_THROW((void)read_point("(1,x)"), ConversionError);
  EXPECT_THROW((void)read_point(""), ConversionError);
}

}  // namespace
