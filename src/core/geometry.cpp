// The geometric types in both formats. Text is read by taking the numbers in order and checking
// their count; the punctuation around them is fixed by the type (the server prints it).
#include <pgkit/geometry.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

namespace pgkit::detail {
namespace {

bool is_punctuation(char c) {
  return c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == '<' || c == '>' || c == ',' ||
         c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// float8in's spellings of the special values, as float8out prints them or as typed.
bool parse_double(std::string_view text, double& out) {
  if (text == "NaN") {
    out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (text == "Infinity" || text == "-Infinity") {
    out = text[0] == '-' ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  const char* begin = text.data();
  if (!text.empty() && text[0] == '+') ++begin;
  const auto [end, error] = std::from_chars(begin, text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

// The numbers of a geometric value's text, in order.
std::vector<double> text_numbers(const Field& field, std::string_view target) {
  const std::string_view text = field.bytes();
  std::vector<double> numbers;
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (is_punctuation(text[pos])) {
      ++pos;
      continue;
    }
    const std::size_t start = pos;
    while (pos < text.size() && !is_punctuation(text[pos])) ++pos;
    double number = 0;
    if (!parse_double(text.substr(start, pos - start), number)) {
      field.fail(target, fmt::format("'{}' is not a {}", text, type_name(field.type())));
    }
    numbers.push_back(number);
  }
  return numbers;
}

void check_type(const Field& field, Oid type, std::string_view target) {
  if (field.type() != type && (field.is_binary() || field.type() != oid::unspecified)) {
    field.fail(target, fmt::format("it is not a {}", type_name(type)));
  }
}

void append_number(std::string& out, double value) {
  append_floating_text(out, value);
}

void append_point(std::string& out, double x, double y) {
  out.push_back('(');
  append_number(out, x);
  out.push_back(',');
  append_number(out, y);
  out.push_back(')');
}

}  // namespace

void decode_geometry(const Field& field, Oid type, std::string_view target, std::span<double> out) {
  check_type(field, type, target);
  if (field.is_binary()) {
    if (field.size() != out.size() * 8) field.fail(target, fmt::format("malformed binary {}", type_name(type)));
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = std::bit_cast<double>(load_be64(field.data() + i * 8));
    return;
  }
  const std::vector<double> numbers = text_numbers(field, target);
  if (numbers.size() != out.size()) field.fail(target, fmt::format("'{}' is not a {}", field.bytes(), type_name(type)));
  std::copy(numbers.begin(), numbers.end(), out.begin());
}

void geometry_to_text(Oid type, std::span<const double> n, std::string& out) {
  switch (type) {
    case oid::point:
      append_point(out, n[0], n[1]);
      return;
    case oid::line:
      out.push_back('{');
      append_number(out, n[0]);
      out.push_back(',');
      append_number(out, n[1]);
      out.push_back(',');
      append_number(out, n[2]);
      out.push_back('}');
      return;
    case oid::lseg:
      out.push_back('[');
      append_point(out, n[0], n[1]);
      out.push_back(',');
      append_point(out, n[2], n[3]);
      out.push_back(']');
      return;
    case oid::box:
      append_point(out, n[0], n[1]);
      out.push_back(',');
      append_point(out, n[2], n[3]);
      return;
    case oid::circle:
      out.push_back('<');
      append_point(out, n[0], n[1]);
      out.push_back(',');
      append_number(out, n[2]);
      out.push_back('>');
      return;
    default:
      throw ConversionError(fmt::format("{} is not a fixed-size geometric type", type_name(type)));
  }
}

void decode_point_list(const Field& field, Oid type, std::string_view target, std::vector<Point>& points,
                       bool& closed) {
  check_type(field, type, target);
  const bool path = type == oid::path;
  if (field.is_binary()) {
    const std::string_view bytes = field.bytes();
    const std::size_t header = path ? 5 : 4;
    if (bytes.size() < header) field.fail(target, fmt::format("truncated binary {}", type_name(type)));
    if (path) closed = bytes[0] != 0;
    const std::uint32_t count = load_be32(bytes.data() + header - 4);
    if ((bytes.size() - header) / 16 != count || (bytes.size() - header) % 16 != 0) {
      field.fail(target, fmt::format("malformed binary {}", type_name(type)));
    }
    points.reserve(count);
    for (std::size_t at = header; at < bytes.size(); at += 16) {
      points.push_back({std::bit_cast<double>(load_be64(bytes.data() + at)),
                        std::bit_cast<double>(load_be64(bytes.data() + at + 8))});
    }
    return;
  }
  // A closed path and a polygon print as "((x,y),...)", an open path as "[(x,y),...]".
  const std::string_view text = field.bytes();
  const auto first = text.find_first_not_of(" \t\n\r");
  if (path) closed = first != std::string_view::npos && text[first] == '(';
  const std::vector<double> numbers = text_numbers(field, target);
  if (numbers.empty() || numbers.size() % 2 != 0) {
    field.fail(target, fmt::format("'{}' is not a {}", text, type_name(type)));
  }
  points.reserve(numbers.size() / 2);
  for (std::size_t i = 0; i < numbers.size(); i += 2) points.push_back({numbers[i], numbers[i + 1]});
}

void encode_point_list(Oid type, const std::vector<Point>& points, bool closed, std::string& out) {
  if (points.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max() / 16)) {
    throw ConversionError(
        fmt::format("a {} of {} points is larger than PostgreSQL's limit", type_name(type), points.size()));
  }
  if (type == oid::path) out.push_back(closed ? '\1' : '\0');
  append_be32(out, static_cast<std::uint32_t>(points.size()));
  for (const Point& point : points) {
    append_be64(out, std::bit_cast<std::uint64_t>(point.x));
    append_be64(out, std::bit_cast<std::uint64_t>(point.y));
  }
}

void point_list_to_text(Oid type, const std::vector<Point>& points, bool closed, std::string& out) {
  const bool round = type == oid::polygon || closed;
  out.push_back(round ? '(' : '[');
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i > 0) out.push_back(',');
    append_point(out, points[i].x, points[i].y);
  }
  out.push_back(round ? ')' : ']');
}

}  // namespace pgkit::detail
