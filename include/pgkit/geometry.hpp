// PostgreSQL's geometric types, as plain values of doubles:
//   point -> pgkit::Point     line -> pgkit::Line     lseg -> pgkit::LineSegment     box -> pgkit::Box
//   circle -> pgkit::Circle   path -> pgkit::Path     polygon -> pgkit::Polygon
// Coordinates keep every double, -0, NaN and infinities included (== compares as doubles do: NaN is
// unequal to itself). Text forms are the server's: "(1,2)", "{1,-1,0}", "[(0,0),(1,1)]",
// "(1,1),(0,0)", "<(0,0),1>", "((0,0),(1,1),(1,0))".
#pragma once

#include <pgkit/types.hpp>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit {

struct Point {
  double x = 0;
  double y = 0;
  friend bool operator==(const Point&, const Point&) = default;
};

// The infinite line a*x + b*y + c = 0.
struct Line {
  double a = 0;
  double b = 0;
  double c = 0;
  friend bool operator==(const Line&, const Line&) = default;
};

struct LineSegment {
  Point start;
  Point end;
  friend bool operator==(const LineSegment&, const LineSegment&) = default;
};

// The server keeps a box as its upper right and lower left corners, whichever two opposite corners it
// was given: a box read back has high.x >= low.x and high.y >= low.y.
struct Box {
  Point high;
  Point low;
  friend bool operator==(const Box&, const Box&) = default;
};

struct Circle {
  Point center;
  double radius = 0;
  friend bool operator==(const Circle&, const Circle&) = default;
};

// An open path ("[(0,0),(1,1)]") or a closed one ("((0,0),(1,1),(1,0))"), of one point or more.
struct Path {
  std::vector<Point> points;
  bool closed = false;
  friend bool operator==(const Path&, const Path&) = default;
};

// One point or more.
struct Polygon {
  std::vector<Point> points;
  friend bool operator==(const Polygon&, const Polygon&) = default;
};

namespace detail {

// The fixed-size types as their doubles, in the order of their binary form.
template <class T>
struct GeometryTraits;
template <>
struct GeometryTraits<Point> {
  static constexpr Oid oid = oid::point;
  static constexpr Oid array_oid = oid::point_array;
  static constexpr std::string_view name = "pgkit::Point";
  static std::array<double, 2> numbers(const Point& v) { return {v.x, v.y}; }
  static Point from(const std::array<double, 2>& n) { return {n[0], n[1]}; }
};
template <>
struct GeometryTraits<Line> {
  static constexpr Oid oid = oid::line;
  static constexpr Oid array_oid = oid::line_array;
  static constexpr std::string_view name = "pgkit::Line";
  static std::array<double, 3> numbers(const Line& v) { return {v.a, v.b, v.c}; }
  static Line from(const std::array<double, 3>& n) { return {n[0], n[1], n[2]}; }
};
template <>
struct GeometryTraits<LineSegment> {
  static constexpr Oid oid = oid::lseg;
  static constexpr Oid array_oid = oid::lseg_array;
  static constexpr std::string_view name = "pgkit::LineSegment";
  static std::array<double, 4> numbers(const LineSegment& v) { return {v.start.x, v.start.y, v.end.x, v.end.y}; }
  static LineSegment from(const std::array<double, 4>& n) { return {{n[0], n[1]}, {n[2], n[3]}}; }
};
template <>
struct GeometryTraits<Box> {
  static constexpr Oid oid = oid::box;
  static constexpr Oid array_oid = oid::box_array;
  static constexpr std::string_view name = "pgkit::Box";
  static std::array<double, 4> numbers(const Box& v) { return {v.high.x, v.high.y, v.low.x, v.low.y}; }
  static Box from(const std::array<double, 4>& n) { return {{n[0], n[1]}, {n[2], n[3]}}; }
};
template <>
struct GeometryTraits<Circle> {
  static constexpr Oid oid = oid::circle;
  static constexpr Oid array_oid = oid::circle_array;
  static constexpr std::string_view name = "pgkit::Circle";
  static std::array<double, 3> numbers(const Circle& v) { return {v.center.x, v.center.y, v.radius}; }
  static Circle from(const std::array<double, 3>& n) { return {{n[0], n[1]}, n[2]}; }
};

template <class T>
concept fixed_geometry = requires {
  GeometryTraits<T>::oid;
};

// Reads the doubles of a fixed-size geometric value of `type` (out.size() of them), in either format.
void decode_geometry(const Field& field, Oid type, std::string_view target, std::span<double> out);
// The server's text for a fixed-size geometric value of `type`.
void geometry_to_text(Oid type, std::span<const double> numbers, std::string& out);
// path and polygon: the points, and for a path whether it is closed.
void decode_point_list(const Field& field, Oid type, std::string_view target, std::vector<Point>& points, bool& closed);
void encode_point_list(Oid type, const std::vector<Point>& points, bool closed, std::string& out);
void point_list_to_text(Oid type, const std::vector<Point>& points, bool closed, std::string& out);

}  // namespace detail

template <detail::fixed_geometry T>
struct Type<T> {
  using Traits = detail::GeometryTraits<T>;
  static constexpr Oid oid = Traits::oid;
  static constexpr Oid array_oid = Traits::array_oid;
  static constexpr Format format = Format::binary;
  static void encode(const T& value, std::string& out) {
    for (const double number : Traits::numbers(value)) detail::append_be64(out, std::bit_cast<std::uint64_t>(number));
  }
  static void to_text(const T& value, std::string& out) { detail::geometry_to_text(oid, Traits::numbers(value), out); }
  static T decode(const Field& field) {
    decltype(Traits::numbers(T{})) numbers{};
    detail::decode_geometry(field, oid, Traits::name, numbers);
    return Traits::from(numbers);
  }
};

template <>
struct Type<Path> {
  static constexpr Oid oid = oid::path;
  static constexpr Oid array_oid = oid::path_array;
  static constexpr Format format = Format::binary;
  static void encode(const Path& value, std::string& out) {
    detail::encode_point_list(oid, value.points, value.closed, out);
  }
  static void to_text(const Path& value, std::string& out) {
    detail::point_list_to_text(oid, value.points, value.closed, out);
  }
  static Path decode(const Field& field) {
    Path path;
    detail::decode_point_list(field, oid, "pgkit::Path", path.points, path.closed);
    return path;
  }
};

template <>
struct Type<Polygon> {
  static constexpr Oid oid = oid::polygon;
  static constexpr Oid array_oid = oid::polygon_array;
  static constexpr Format format = Format::binary;
  static void encode(const Polygon& value, std::string& out) {
    detail::encode_point_list(oid, value.points, true, out);
  }
  static void to_text(const Polygon& value, std::string& out) {
    detail::point_list_to_text(oid, value.points, true, out);
  }
  static Polygon decode(const Field& field) {
    Polygon polygon;
    bool closed = true;
    detail::decode_point_list(field, oid, "pgkit::Polygon", polygon.points, closed);
    return polygon;
  }
};

}  // namespace pgkit
