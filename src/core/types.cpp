// The slow paths of the built-in types: other source types, text format, arrays, and errors.
#include <pgkit/bits.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/detail/type_table.hpp>
#include <pgkit/geometry.hpp>
#include <pgkit/network.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/range.hpp>
#include <pgkit/types.hpp>
#include <pgkit/uuid.hpp>

#include "text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>

namespace pgkit {

namespace {

std::string describe_value(const Field& field) {
  return field.column().empty() ? std::string("a value") : fmt::format("column \"{}\"", field.column());
}

// oid and the reg* types: an object's unsigned 32-bit identifier (the reg* types print it as a name).
bool is_object_identifier(Oid type) {
  switch (type) {
    case oid::oid:
    case oid::regproc:
    case oid::regprocedure:
    case oid::regoper:
    case oid::regoperator:
    case oid::regclass:
    case oid::regtype:
    case oid::regconfig:
    case oid::regdictionary:
    case oid::regnamespace:
    case oid::regrole:
    case oid::regcollation:
      return true;
    default:
      return false;
  }
}

// The element type of a built-in array type, for text-format arrays (which do not say).
Oid element_type_of(Oid array_type) {
  const auto* type = detail::builtin_type(array_type);
  return type != nullptr ? type->element : oid::unspecified;
}

// Built-in types that are not arrays: their bytes are never read as one, whatever they hold. The
// pseudo types anyarray and anycompatiblearray hold arrays of any element type (pg_stats shows them).
bool is_known_scalar(Oid type) {
  const auto* row = detail::builtin_type(type);
  return row != nullptr && !row->is_array() && row->category != 'A' && type != oid::anyarray &&
         type != oid::anycompatiblearray;
}

// A text-format value is parsed only when its type is one whose binary form the C++ type reads too,
// so a value reads the same whichever format its result came in (a statement's second run may get
// text results where the first got binary ones). Elements of text-format arrays of types pgkit does
// not know have no type, and are parsed.
void require_text_source(const Field& field, std::initializer_list<Oid> accepted, std::string_view target,
                         std::string_view reason) {
  if (field.type() == oid::unspecified) return;
  if (std::find(accepted.begin(), accepted.end(), field.type()) == accepted.end()) field.fail(target, reason);
}

// A numeric's canonical text ("-12", "12.000") as an integer, when it has no fraction and fits int64.
std::int64_t integral_numeric(const Field& field, std::string_view text, std::string_view target) {
  const auto point = text.find('.');
  const std::string_view whole = text.substr(0, point);
  if (point != std::string_view::npos && text.find_first_not_of('0', point + 1) != std::string_view::npos) {
    field.fail(target, fmt::format("{} is not a whole number (read it as pgkit::Decimal or double)", text));
  }
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(whole.data(), whole.data() + whole.size(), value);
  if (error == std::errc::result_out_of_range) {
    field.fail(target, fmt::format("{} is out of range ({}..{})", text, std::numeric_limits<std::int64_t>::min(),
                                   std::numeric_limits<std::int64_t>::max()));
  }
  if (error != std::errc() || end != whole.data() + whole.size() || whole.empty()) {
    field.fail(target, fmt::format("{} is not a whole number (read it as pgkit::Decimal or double)", text));
  }
  return value;
}

// PostgreSQL's float output (extra_float_digits = 1, the default): the shortest text that reads back
// exactly, in fixed notation for decimal exponents from -4 to below `max_fixed_exponent` (15 for
// double precision, 6 for real), in scientific notation otherwise, as printf's %g does.
template <class F>
void append_shortest_float(std::string& out, F value, int max_fixed_exponent) {
  if (std::isnan(value)) {
    out += "NaN";
    return;
  }
  if (std::isinf(value)) {
    out += value > 0 ? "Infinity" : "-Infinity";
    return;
  }
  char buffer[64];
  const auto scientific = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  const char* e = std::find(buffer, scientific.ptr, 'e');
  int exponent = 0;
  if (e != scientific.ptr) std::from_chars(e + (e[1] == '+' ? 2 : 1), scientific.ptr, exponent);
  if (value != 0 && (exponent < -4 || exponent >= max_fixed_exponent)) {
    out.append(buffer, scientific.ptr);
    return;
  }
  const auto fixed = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  out.append(buffer, fixed.ptr);
}

std::string hex_bytes(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 0xF]);
  }
  return out;
}

// An element of a rendered array needs quotes when it is empty, NULL-like, or has special characters
// (the array's delimiter among them: ',' for most types, ';' for box).
void append_rendered_element(std::string& out, const std::string& text, char delimiter) {
  const bool needs_quotes = text.empty() || detail::iequals(text, "NULL") ||
                            text.find_first_of("{}\"\\ \t\n\r\v\f") != std::string::npos ||
                            text.find(delimiter) != std::string::npos;
  if (!needs_quotes) {
    out += text;
    return;
  }
  detail::append_array_text_element(out, text);
}

// "[2:3][1:2]": the dimensions with their bounds, as the server writes them before such an array.
std::string array_decoration(const detail::ArrayContents& contents) {
  std::string out;
  for (std::size_t i = 0; i < contents.dims.size(); ++i) {
    const std::int64_t lower = contents.lower_bounds[i];
    fmt::format_to(std::back_inserter(out), "[{}:{}]", lower, lower + contents.dims[i] - 1);
  }
  return out;
}

std::string render_array(const Field& field) {
  detail::ArrayContents contents;
  detail::parse_array(field, -1, contents);
  if (contents.dims.empty()) return "{}";
  const char delimiter = detail::array_delimiter(element_type_of(field.type()));
  std::string out;
  if (!contents.default_lower_bounds()) out = array_decoration(contents) + "=";
  std::size_t next = 0;
  const auto render_level = [&](auto& self, std::size_t level) -> void {
    out.push_back('{');
    for (int i = 0; i < contents.dims[level]; ++i) {
      if (i > 0) out.push_back(delimiter);
      if (level + 1 < contents.dims.size()) {
        self(self, level + 1);
      } else {
        const Field& element = contents.elements[next++];
        if (element.is_null()) {
          out += "NULL";
        } else {
          append_rendered_element(out, detail::decode_string(element), delimiter);
        }
      }
    }
    out.push_back('}');
  };
  render_level(render_level, 0);
  return out;
}

// jsonb and jsonpath: a version byte (1), then the text.
std::string_view versioned_text(const Field& field) {
  if (field.size() < 1 || field.data()[0] != 1) {
    field.fail("std::string", fmt::format("unknown {} binary version", type_name(field.type())));
  }
  return field.bytes().substr(1);
}

// "char": one byte; charout() prints a byte with the high bit set as \ooo, and NUL as nothing.
std::string character_text(const Field& field) {
  if (field.size() != 1) field.fail("std::string", "a binary \"char\" is one byte");
  const auto byte = static_cast<unsigned char>(field.data()[0]);
  if (byte == 0) return {};
  if (byte < 0x80) return std::string(1, static_cast<char>(byte));
  return fmt::format("\\{:03o}", byte);
}

std::string date_text(const Field& field) {
  if (field.size() != 4) field.fail("std::string", "a binary date is 4 bytes");
  const auto days = static_cast<std::int32_t>(detail::load_be32(field.data()));
  if (days == std::numeric_limits<std::int32_t>::max()) return "infinity";
  if (days == std::numeric_limits<std::int32_t>::min()) return "-infinity";
  std::string out;
  detail::date_to_text(detail::decode_date(field), out);
  return out;
}

// The text of a value of a type pgkit decodes, by its Type<T>.
template <class T>
std::string text_of(const Field& field) {
  std::string out;
  Type<T>::to_text(Type<T>::decode(field), out);
  return out;
}

// A range's text, each bound rendered by its own type (so a daterange follows what dates print).
std::string render_range(const Field& field) {
  detail::RangeParts parts;
  detail::parse_range(field, "std::string", parts);
  if ((parts.flags & detail::range_empty) != 0) return "empty";
  std::string out((parts.flags & detail::range_lower_inclusive) != 0 ? "[" : "(");
  if (parts.lower) detail::append_range_bound_text(out, detail::decode_string(*parts.lower));
  out.push_back(',');
  if (parts.upper) detail::append_range_bound_text(out, detail::decode_string(*parts.upper));
  out.push_back((parts.flags & detail::range_upper_inclusive) != 0 ? ']' : ')');
  return out;
}

std::string render_multirange(const Field& field) {
  std::vector<Field> ranges;
  detail::parse_multirange(field, "std::string", ranges);
  std::string out = "{";
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += render_range(ranges[i]);
  }
  out.push_back('}');
  return out;
}

// The server's text of a binary value, as the table says pgkit prints it.
std::string render_binary(const Field& field, const detail::BuiltinType& type) {
  using detail::Renderer;
  std::string out;
  switch (type.renderer) {
    case Renderer::none: break;
    case Renderer::text: return std::string(field.bytes());
    case Renderer::versioned_text: return std::string(versioned_text(field));
    case Renderer::boolean: return std::string(Type<bool>::decode(field) ? "t" : "f");
    case Renderer::integer:
      detail::append_integer_text(out, detail::decode_integer(field, std::numeric_limits<std::int64_t>::min(),
                                                              std::numeric_limits<std::int64_t>::max(), "int64"));
      return out;
    case Renderer::float4: detail::append_float4_text(out, Type<float>::decode(field)); return out;
    case Renderer::float8: detail::append_floating_text(out, Type<double>::decode(field)); return out;
    case Renderer::numeric: return detail::decode_numeric(field).str();
    case Renderer::uuid: return detail::decode_uuid(field).str();
    case Renderer::bytea: return hex_bytes(field.bytes());
    case Renderer::character: return character_text(field);
    case Renderer::date: return date_text(field);
    case Renderer::time: detail::time_to_text(detail::decode_time(field), out); return out;
    case Renderer::timestamp: detail::binary_timestamp_to_text(field, out); return out;
    case Renderer::interval: detail::interval_to_text(detail::decode_interval(field), out); return out;
    case Renderer::timetz: detail::timetz_to_text(detail::decode_timetz(field), out); return out;
    case Renderer::inet: return text_of<Inet>(field);
    case Renderer::cidr: return text_of<Cidr>(field);
    case Renderer::macaddr: return text_of<MacAddr>(field);
    case Renderer::macaddr8: return text_of<MacAddr8>(field);
    case Renderer::bits: return text_of<BitString>(field);
    case Renderer::point: return text_of<Point>(field);
    case Renderer::line: return text_of<Line>(field);
    case Renderer::lseg: return text_of<LineSegment>(field);
    case Renderer::box: return text_of<Box>(field);
    case Renderer::circle: return text_of<Circle>(field);
    case Renderer::path: return text_of<Path>(field);
    case Renderer::polygon: return text_of<Polygon>(field);
    case Renderer::range: return render_range(field);
    case Renderer::multirange: return render_multirange(field);
    case Renderer::array: return render_array(field);
  }
  field.fail("std::string",
             "pgkit cannot print this type's binary form (results come in text for such columns, but a binary COPY "
             "or a binary result asked for elsewhere does not); read it from a text result or cast it to text in SQL");
}

// Enums, citext and other text-like types of extensions send their text; anything else of a
// user-defined type (or a catalog's row type) is structured binary, which always holds NUL bytes
// (lengths, counts).
bool user_type_text(const Field& field) {
  return field.type() >= oid::first_normal_object_id && field.bytes().find('\0') == std::string_view::npos &&
         detail::is_valid_utf8(field.bytes());
}

}  // namespace

void Field::fail(std::string_view target, std::string_view reason) const {
  throw ConversionError(
      fmt::format("cannot read {} ({}) as {}: {}", describe_value(*this), type_name(type_), target, reason));
}

void Field::fail_null() const {
  throw UnexpectedNull(fmt::format("{} is NULL; read it as std::optional<T> to accept NULL", describe_value(*this)));
}

std::string type_name(Oid type) {
  if (type == oid::unspecified) return "unspecified type";
  if (const auto* row = detail::builtin_type(type)) return std::string(row->sql_name);
  return fmt::format("type {}", type);
}

namespace detail {

std::int64_t decode_integer(const Field& field, std::int64_t min, std::int64_t max, std::string_view target) {
  std::int64_t value = 0;
  if (field.is_binary()) {
    switch (field.type()) {
      case oid::int2: value = static_cast<std::int16_t>(load_be16(field.data())); break;
      case oid::int4: value = static_cast<std::int32_t>(load_be32(field.data())); break;
      case oid::int8: value = static_cast<std::int64_t>(load_be64(field.data())); break;
      case oid::numeric: value = integral_numeric(field, decode_numeric(field).str(), target); break;
      default:
        if (!is_object_identifier(field.type())) field.fail(target, "it is not an integer type");
        value = load_be32(field.data());
    }
  } else if (field.type() == oid::numeric) {
    value = integral_numeric(field, field.bytes(), target);
  } else {
    if (field.type() != oid::unspecified && !is_object_identifier(field.type())) {
      require_text_source(field, {oid::int2, oid::int4, oid::int8}, target, "it is not an integer type");
    }
    if (is_object_identifier(field.type()) && field.bytes() == "-") return 0;  // how reg* types print oid 0
    if (field.type() != oid::oid && is_object_identifier(field.type()) && !field.bytes().empty() &&
        (field.bytes()[0] < '0' || field.bytes()[0] > '9')) {
      field.fail(target, fmt::format("{} prints a name ('{}'), not its number; cast it to oid in SQL "
                                     "(value::oid) to read the number",
                                     type_name(field.type()), field.bytes()));
    }
    const char* begin = field.data();
    const char* end = begin + field.size();
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc::result_out_of_range) field.fail(target, fmt::format("{} is out of range", field.bytes()));
    if (ec != std::errc() || ptr != end) field.fail(target, fmt::format("'{}' is not an integer", field.bytes()));
  }
  if (value < min || value > max) {
    field.fail(target, fmt::format("{} is out of range ({}..{})", value, min, max));
  }
  return value;
}

double decode_floating(const Field& field, std::string_view target) {
  if (field.is_binary()) {
    switch (field.type()) {
      case oid::float4: return std::bit_cast<float>(load_be32(field.data()));
      case oid::float8: return std::bit_cast<double>(load_be64(field.data()));
      case oid::int2:
      case oid::int4:
      case oid::int8:
        return static_cast<double>(decode_integer(field, std::numeric_limits<std::int64_t>::min(),
                                                  std::numeric_limits<std::int64_t>::max(), target));
      case oid::numeric: return decode_numeric(field).to_double();
      default: field.fail(target, "it is not a number type");
    }
  }
  require_text_source(field, {oid::float4, oid::float8, oid::int2, oid::int4, oid::int8, oid::numeric}, target,
                      "it is not a number type");
  const std::string_view text = field.bytes();
  if (text == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (text == "Infinity") return std::numeric_limits<double>::infinity();
  if (text == "-Infinity") return -std::numeric_limits<double>::infinity();
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) field.fail(target, fmt::format("'{}' is not a number", text));
  return value;
}

bool decode_bool(const Field& field) {
  if (field.is_binary()) {
    if (field.type() != oid::bool_ || field.size() != 1) field.fail("bool", "it is not a boolean");
    return field.data()[0] != 0;
  }
  require_text_source(field, {oid::bool_}, "bool", "it is not a boolean");
  const std::string_view text = field.bytes();
  if (text == "t" || text == "true") return true;
  if (text == "f" || text == "false") return false;
  field.fail("bool", fmt::format("'{}' is not a boolean", text));
}

std::string_view decode_string_view(const Field& field) {
  if (!field.is_binary()) return field.bytes();
  if (const auto* type = builtin_type(field.type())) {
    if (type->binary_is_text()) return field.bytes();
    if (type->renderer == Renderer::versioned_text) return versioned_text(field);
  } else if (user_type_text(field)) {
    return field.bytes();
  }
  field.fail("std::string_view", "it has no text form to view; read it as std::string, or cast it to text in SQL");
}

std::string decode_string(const Field& field) {
  if (!field.is_binary()) return std::string(field.bytes());
  if (const auto* type = builtin_type(field.type())) return render_binary(field, *type);
  if (!user_type_text(field)) field.fail("std::string", "its binary form is not text; cast it to text in SQL");
  return std::string(field.bytes());
}

std::vector<std::byte> decode_bytea(const Field& field) {
  const std::string_view bytes = field.bytes();
  const auto* begin = reinterpret_cast<const std::byte*>(bytes.data());
  if (field.is_binary()) {
    if (field.type() != oid::bytea) field.fail("pgkit::Bytes", "it is not bytea");
    return {begin, begin + bytes.size()};
  }
  require_text_source(field, {oid::bytea}, "pgkit::Bytes", "it is not bytea");
  std::vector<std::byte> out;
  const auto hex = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    field.fail("pgkit::Bytes", "invalid hex digit in bytea");
  };
  if (bytes.starts_with("\\x")) {
    if (bytes.size() % 2 != 0) field.fail("pgkit::Bytes", "odd number of hex digits in bytea");
    out.reserve((bytes.size() - 2) / 2);
    for (std::size_t i = 2; i < bytes.size(); i += 2) {
      out.push_back(static_cast<std::byte>(hex(bytes[i]) * 16 + hex(bytes[i + 1])));
    }
    return out;
  }
  // The "escape" output format: backslash-octal escapes and doubled backslashes.
  const auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\\') {
      out.push_back(static_cast<std::byte>(bytes[i]));
    } else if (i + 1 < bytes.size() && bytes[i + 1] == '\\') {
      out.push_back(std::byte{'\\'});
      ++i;
    } else if (i + 3 < bytes.size() && is_octal(bytes[i + 1]) && is_octal(bytes[i + 2]) && is_octal(bytes[i + 3])) {
      const int value = (bytes[i + 1] - '0') * 64 + (bytes[i + 2] - '0') * 8 + (bytes[i + 3] - '0');
      out.push_back(static_cast<std::byte>(value));
      i += 3;
    } else {
      field.fail("pgkit::Bytes", "invalid escape in bytea");
    }
  }
  return out;
}

void append_integer_text(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_floating_text(std::string& out, double value) { append_shortest_float(out, value, 15); }

void append_float4_text(std::string& out, float value) { append_shortest_float(out, value, 6); }

void append_text_checked(std::string& out, std::string_view text, std::string_view what) {
  if (const auto at = text.find('\0'); at != std::string_view::npos) {
    throw ConversionError(fmt::format("a {} value contains a NUL byte (at offset {}); PostgreSQL text cannot hold "
                                      "NUL, send binary data as bytea (pgkit::Bytes)",
                                      what, at));
  }
  out.append(text);
}

void throw_unsigned_out_of_range(std::uint64_t value) {
  throw ConversionError(fmt::format("{} does not fit in PostgreSQL's bigint (at most 9223372036854775807)", value));
}

void throw_unknown_enum_value(std::string_view type, std::string_view label) {
  throw ConversionError(fmt::format("{} has no enumerator for the value {}", type, label));
}

void throw_out_of_range(std::string_view what) { throw ConversionError(std::string(what)); }

// ---------------------------------------------------------------------------------------------------
// Arrays

namespace {

void parse_binary_array(const Field& field, int depth, ArrayContents& out) {
  const std::string_view bytes = field.bytes();
  const auto need = [&](std::size_t at, std::size_t count) {
    if (at + count > bytes.size()) field.fail("std::vector", "truncated binary array");
  };
  need(0, 12);
  const auto ndim = static_cast<std::int32_t>(load_be32(bytes.data()));
  const Oid element_type = load_be32(bytes.data() + 8);
  if (ndim < 0 || ndim > 6) field.fail("std::vector", "invalid array header");
  if (ndim == 0) return;
  if (depth >= 0 && ndim != depth) {
    field.fail("std::vector", fmt::format("the array has {} dimension{} but the C++ type has {}", ndim,
                                          ndim == 1 ? "" : "s", depth));
  }
  std::size_t at = 12;
  std::size_t total = 1;
  for (int i = 0; i < ndim; ++i) {
    need(at, 8);
    const auto size = static_cast<std::int32_t>(load_be32(bytes.data() + at));
    if (size < 0) field.fail("std::vector", "invalid array dimension");
    out.dims.push_back(size);
    out.lower_bounds.push_back(static_cast<std::int32_t>(load_be32(bytes.data() + at + 4)));
    total *= static_cast<std::size_t>(size);
    at += 8;
  }
  out.elements.reserve(total);
  for (std::size_t i = 0; i < total; ++i) {
    need(at, 4);
    const auto length = static_cast<std::int32_t>(load_be32(bytes.data() + at));
    at += 4;
    if (length < 0) {
      out.elements.push_back(Field::null(element_type, Format::binary, field.column(), field.text_settings()));
      continue;
    }
    need(at, static_cast<std::size_t>(length));
    out.elements.emplace_back(bytes.data() + at, static_cast<std::size_t>(length), element_type, Format::binary,
                              field.column(), field.text_settings());
    at += static_cast<std::size_t>(length);
  }
}

// Text arrays: {1,2,NULL}, {"a b","c\"d"}, {{1,2},{3,4}}, optionally "[0:1]={...}".
class TextArrayParser {
 public:
  TextArrayParser(const Field& field, ArrayContents& out)
      : field_(field),
        text_(field.bytes()),
        out_(out),
        element_type_(element_type_of(field.type())),
        delimiter_(array_delimiter(element_type_)) {}

  void parse(int depth) {
    const std::vector<std::pair<int, int>> decoration = parse_decoration();
    skip_space();
    if (text_.substr(pos_) == "{}") return;  // empty array: no dimensions
    parse_level(0);
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the array");
    if (depth >= 0 && static_cast<int>(out_.dims.size()) != depth) {
      fail(fmt::format("the array has {} dimension{} but the C++ type has {}", out_.dims.size(),
                       out_.dims.size() == 1 ? "" : "s", depth));
    }
    out_.lower_bounds.assign(out_.dims.size(), 1);
    if (!decoration.empty()) {
      if (decoration.size() != out_.dims.size()) fail("the dimension decoration does not match the array");
      for (std::size_t i = 0; i < decoration.size(); ++i) {
        const auto [lower, upper] = decoration[i];
        if (static_cast<std::int64_t>(upper) - lower + 1 != out_.dims[i]) {
          fail("the dimension decoration does not match the array");
        }
        out_.lower_bounds[i] = lower;
      }
    }
    const Oid element_type = element_type_;
    out_.elements.reserve(spans_.size());
    for (const auto& [offset, length] : spans_) {
      if (offset == std::string::npos) {
        out_.elements.push_back(Field::null(element_type, Format::text, field_.column(), field_.text_settings()));
      } else {
        out_.elements.emplace_back(out_.storage.data() + offset, length, element_type, Format::text, field_.column(),
                                   field_.text_settings());
      }
    }
  }

 private:
  [[noreturn]] void fail(std::string_view reason) const { field_.fail("std::vector", reason); }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) ++pos_;
  }

  // "[lower:upper]" (or "[upper]", lower 1) per dimension, then '=': what the server prints before
  // an array whose lower bounds are not all 1.
  std::vector<std::pair<int, int>> parse_decoration() {
    std::vector<std::pair<int, int>> bounds;
    const auto number = [&]() {
      int value = 0;
      const auto [ptr, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), value);
      if (ec != std::errc()) fail("invalid dimension decoration");
      pos_ = static_cast<std::size_t>(ptr - text_.data());
      return value;
    };
    skip_space();
    while (pos_ < text_.size() && text_[pos_] == '[') {
      ++pos_;
      int lower = 1;
      int upper = number();
      if (pos_ < text_.size() && text_[pos_] == ':') {
        ++pos_;
        lower = upper;
        upper = number();
      }
      if (pos_ >= text_.size() || text_[pos_] != ']') fail("invalid dimension decoration");
      ++pos_;
      bounds.emplace_back(lower, upper);
    }
    if (!bounds.empty()) {
      skip_space();
      if (pos_ >= text_.size() || text_[pos_] != '=') fail("invalid dimension decoration");
      ++pos_;
    }
    return bounds;
  }

  void parse_level(std::size_t level) {
    if (pos_ >= text_.size() || text_[pos_] != '{') fail("expected '{'");
    ++pos_;
    int count = 0;
    for (;;) {
      skip_space();
      if (pos_ >= text_.size()) fail("unterminated array");
      if (text_[pos_] == '{') {
        parse_level(level + 1);
      } else {
        if (out_.dims.size() > level + 1) fail("mixed nesting levels");
        parse_element();
      }
      ++count;
      skip_space();
      if (pos_ >= text_.size()) fail("unterminated array");
      if (text_[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      if (text_[pos_] == '}') {
        ++pos_;
        break;
      }
      fail(fmt::format("expected '{}' or '}}'", delimiter_));
    }
    if (out_.dims.size() <= level) {
      out_.dims.resize(level + 1, -1);
    }
    if (out_.dims[level] == -1) {
      out_.dims[level] = count;
    } else if (out_.dims[level] != count) {
      fail("sub-arrays of different lengths");
    }
  }

  void parse_element() {
    const std::size_t offset = out_.storage.size();
    if (text_[pos_] == '"') {
      ++pos_;
      for (;;) {
        if (pos_ >= text_.size()) fail("unterminated quoted element");
        char c = text_[pos_++];
        if (c == '"') break;
        if (c == '\\') {
          if (pos_ >= text_.size()) fail("unterminated escape");
          c = text_[pos_++];
        }
        out_.storage.push_back(c);
      }
      spans_.emplace_back(offset, out_.storage.size() - offset);
      return;
    }
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != delimiter_ && text_[pos_] != '}') {
      if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) ++pos_;
      ++pos_;
    }
    std::string_view raw = text_.substr(start, pos_ - start);
    while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back())) != 0) raw.remove_suffix(1);
    if (iequals(raw, "NULL")) {
      spans_.emplace_back(std::string::npos, 0);
      return;
    }
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '\\' && i + 1 < raw.size()) ++i;
      out_.storage.push_back(raw[i]);
    }
    spans_.emplace_back(offset, out_.storage.size() - offset);
  }

  const Field& field_;
  std::string_view text_;
  ArrayContents& out_;
  Oid element_type_;
  char delimiter_;
  std::size_t pos_ = 0;
  std::vector<std::pair<std::size_t, std::size_t>> spans_;  // element offset/length in storage (npos: NULL)
};

}  // namespace

void parse_array(const Field& field, int depth, ArrayContents& out) {
  if (is_known_scalar(field.type())) field.fail("std::vector", "it is not an array");
  if (field.is_binary()) {
    parse_binary_array(field, depth, out);
  } else {
    TextArrayParser(field, out).parse(depth);
  }
}

void begin_binary_array(std::string& out, std::span<const int> dims, bool has_null, Oid element_type) {
  append_be32(out, static_cast<std::uint32_t>(dims.size()));
  append_be32(out, has_null ? 1u : 0u);
  append_be32(out, element_type);
  for (int size : dims) {
    append_be32(out, static_cast<std::uint32_t>(size));
    append_be32(out, 1);  // lower bound
  }
}

void begin_binary_array(std::string& out, std::span<const int> dims, std::span<const int> lower_bounds, bool has_null,
                        Oid element_type) {
  append_be32(out, static_cast<std::uint32_t>(dims.size()));
  append_be32(out, has_null ? 1u : 0u);
  append_be32(out, element_type);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    append_be32(out, static_cast<std::uint32_t>(dims[i]));
    append_be32(out, static_cast<std::uint32_t>(lower_bounds[i]));
  }
}

char array_delimiter(Oid element_type) noexcept {
  const auto* type = builtin_type(element_type);
  return type != nullptr ? type->delimiter : ',';
}

void fail_lower_bounds(const Field& field, const ArrayContents& contents) {
  field.fail("std::vector", fmt::format("the array's subscripts start at {} (not 1), which a std::vector would lose; "
                                        "read it as pgkit::Array<T> (<pgkit/array.hpp>), which keeps them",
                                        array_decoration(contents)));
}

void append_array_text_element(std::string& out, std::optional<std::string_view> text) {
  if (!text) {
    out += "NULL";
    return;
  }
  out.push_back('"');
  for (char c : *text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void throw_ragged_array() {
  throw ConversionError(
      "nested vectors must be rectangular: a PostgreSQL array has the same length along each dimension");
}

}  // namespace detail

void Type<Bytes>::to_text(const Bytes& value, std::string& out) {
  out += hex_bytes(std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
}

}  // namespace pgkit
