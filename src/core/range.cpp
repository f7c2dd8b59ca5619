// Ranges and multiranges taken apart, in both formats (the server's range_recv/range_parse and
// multirange_recv/multirange_in); the bounds are decoded by their element type's Type<T>.
#include "text.hpp"

#include <pgkit/range.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace pgkit::detail {
namespace {

const RangeTypes* range_types_of_range(Oid type) noexcept {
  for (const RangeTypes& types : builtin_range_types) {
    if (types.range == type) return &types;
  }
  return nullptr;
}

const RangeTypes* range_types_of_multirange(Oid type) noexcept {
  for (const RangeTypes& types : builtin_range_types) {
    if (types.multirange == type) return &types;
  }
  return nullptr;
}

bool is_space(char c) {
  return std::isspace(static_cast<unsigned char>(c)) != 0;
}

// A field for a part of `parent`'s value: same format and column, its own type.
Field part_of(const Field& parent, const char* data, std::size_t size, Oid type) {
  return {data, size, type, parent.format(), parent.column()};
}

void parse_binary_range(const Field& field, std::string_view target, Oid element, RangeParts& out) {
  const std::string_view bytes = field.bytes();
  if (bytes.empty()) field.fail(target, "truncated binary range");
  out.flags = static_cast<std::uint8_t>(bytes[0]);
  std::size_t at = 1;
  const auto read_bound = [&](std::uint8_t infinite) -> std::optional<Field> {
    if ((out.flags & (range_empty | infinite)) != 0) return std::nullopt;
    if (at + 4 > bytes.size()) field.fail(target, "truncated binary range");
    const std::uint32_t length = load_be32(bytes.data() + at);
    at += 4;
    if (length > bytes.size() - at) field.fail(target, "truncated binary range");
    at += length;
    return part_of(field, bytes.data() + at - length, length, element);
  };
  out.lower = read_bound(range_lower_infinite);
  out.upper = read_bound(range_upper_infinite);
  if (at != bytes.size()) field.fail(target, "malformed binary range");
}

// range_parse_bound: up to an unquoted ',', ')' or ']'; quotes group, "" inside quotes is a quote,
// a backslash takes the next character as it is. Returns false for an empty (unbounded) side.
bool parse_text_bound(const Field& field, std::string_view target, std::size_t& pos, std::string& storage) {
  const std::string_view text = field.bytes();
  const auto fail = [&] { field.fail(target, fmt::format("'{}' is not a range", text)); };
  if (pos >= text.size()) fail();
  if (text[pos] == ',' || text[pos] == ')' || text[pos] == ']') return false;
  bool quoted = false;
  while (quoted || (text[pos] != ',' && text[pos] != ')' && text[pos] != ']')) {
    const char c = text[pos++];
    if (c == '\\') {
      if (pos >= text.size()) fail();
      storage.push_back(text[pos++]);
    } else if (c == '"') {
      if (quoted && pos < text.size() && text[pos] == '"') {
        storage.push_back(text[pos++]);
      } else {
        quoted = !quoted;
      }
    } else {
      storage.push_back(c);
    }
    if (pos >= text.size()) fail();
  }
  return true;
}

void parse_text_range(const Field& field, std::string_view target, Oid element, RangeParts& out) {
  const std::string_view text = field.bytes();
  const auto fail = [&] { field.fail(target, fmt::format("'{}' is not a range", text)); };
  std::size_t pos = 0;
  while (pos < text.size() && is_space(text[pos])) ++pos;
  if (text.size() - pos >= 5 && iequals(text.substr(pos, 5), "empty")) {
    pos += 5;
    while (pos < text.size() && is_space(text[pos])) ++pos;
    if (pos != text.size()) fail();
    out.flags = range_empty;
    return;
  }
  if (pos >= text.size() || (text[pos] != '[' && text[pos] != '(')) fail();
  if (text[pos++] == '[') out.flags |= range_lower_inclusive;
  // Offsets into storage: the Fields are made once storage no longer grows.
  const bool has_lower = parse_text_bound(field, target, pos, out.storage);
  const std::size_t lower_size = out.storage.size();
  if (text[pos++] != ',') fail();
  const bool has_upper = parse_text_bound(field, target, pos, out.storage);
  if (text[pos] != ']' && text[pos] != ')') fail();
  if (text[pos++] == ']') out.flags |= range_upper_inclusive;
  while (pos < text.size() && is_space(text[pos])) ++pos;
  if (pos != text.size()) fail();
  if (has_lower) {
    out.lower = part_of(field, out.storage.data(), lower_size, element);
  } else {
    out.flags = static_cast<std::uint8_t>((out.flags & ~range_lower_inclusive) | range_lower_infinite);
  }
  if (has_upper) {
    out.upper = part_of(field, out.storage.data() + lower_size, out.storage.size() - lower_size, element);
  } else {
    out.flags = static_cast<std::uint8_t>((out.flags & ~range_upper_inclusive) | range_upper_infinite);
  }
}

// The end of the range literal starting at `pos` in a multirange's text (quotes and escapes skipped).
std::size_t end_of_text_range(const Field& field, std::string_view target, std::size_t pos) {
  const std::string_view text = field.bytes();
  if (text.size() - pos >= 5 && iequals(text.substr(pos, 5), "empty")) return pos + 5;
  if (text[pos] != '[' && text[pos] != '(') field.fail(target, fmt::format("'{}' is not a multirange", text));
  bool quoted = false;
  for (++pos; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '\\') {
      ++pos;
    } else if (c == '"') {
      quoted = !quoted;  // a doubled quote toggles twice
    } else if (!quoted && (c == ']' || c == ')')) {
      return pos + 1;
    }
  }
  field.fail(target, fmt::format("'{}' is not a multirange", text));
}

void parse_text_multirange(const Field& field, std::string_view target, Oid range_type, std::vector<Field>& out) {
  const std::string_view text = field.bytes();
  const auto fail = [&] { field.fail(target, fmt::format("'{}' is not a multirange", text)); };
  std::size_t pos = 0;
  const auto skip_space = [&] {
    while (pos < text.size() && is_space(text[pos])) ++pos;
  };
  skip_space();
  if (pos >= text.size() || text[pos++] != '{') fail();
  skip_space();
  if (pos < text.size() && text[pos] == '}') {
    ++pos;
  } else {
    for (;;) {
      skip_space();
      if (pos >= text.size()) fail();
      const std::size_t end = end_of_text_range(field, target, pos);
      out.push_back(part_of(field, text.data() + pos, end - pos, range_type));
      pos = end;
      skip_space();
      if (pos >= text.size()) fail();
      if (text[pos] == '}') {
        ++pos;
        break;
      }
      if (text[pos++] != ',') fail();
    }
  }
  skip_space();
  if (pos != text.size()) fail();
}

void parse_binary_multirange(const Field& field, std::string_view target, Oid range_type, std::vector<Field>& out) {
  const std::string_view bytes = field.bytes();
  if (bytes.size() < 4) field.fail(target, "truncated binary multirange");
  const std::uint32_t count = load_be32(bytes.data());
  std::size_t at = 4;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (bytes.size() - at < 4) field.fail(target, "truncated binary multirange");
    const std::uint32_t length = load_be32(bytes.data() + at);
    at += 4;
    if (length > bytes.size() - at) field.fail(target, "truncated binary multirange");
    out.push_back(part_of(field, bytes.data() + at, length, range_type));
    at += length;
  }
  if (at != bytes.size()) field.fail(target, "malformed binary multirange");
}

}  // namespace

void throw_bad_range_bounds(std::string_view bounds) {
  throw ConversionError(fmt::format("range bounds must be \"[)\", \"[]\", \"()\" or \"(]\", not \"{}\"", bounds));
}

void parse_range(const Field& field, std::string_view target, RangeParts& out) {
  const RangeTypes* types = range_types_of_range(field.type());
  if (types == nullptr && (field.is_binary() || field.type() != oid::unspecified)) {
    field.fail(target, range_types_of_multirange(field.type()) != nullptr
                           ? "it is a multirange (read it as pgkit::Multirange)"
                           : "it is not a built-in range type");
  }
  const Oid element = types != nullptr ? types->element : oid::unspecified;
  if (field.is_binary()) {
    parse_binary_range(field, target, element, out);
  } else {
    parse_text_range(field, target, element, out);
  }
}

void parse_multirange(const Field& field, std::string_view target, std::vector<Field>& out) {
  const RangeTypes* types = range_types_of_multirange(field.type());
  if (types == nullptr && (field.is_binary() || field.type() != oid::unspecified)) {
    field.fail(target, range_types_of_range(field.type()) != nullptr ? "it is a range (read it as pgkit::Range)"
                                                                     : "it is not a built-in multirange type");
  }
  const Oid range_type = types != nullptr ? types->range : oid::unspecified;
  if (field.is_binary()) {
    parse_binary_multirange(field, target, range_type, out);
  } else {
    parse_text_multirange(field, target, range_type, out);
  }
}

void append_range_bound_text(std::string& out, std::string_view text) {
  const bool quote = text.empty() || text.find_first_of("\"\\()[],") != std::string_view::npos ||
                     std::any_of(text.begin(), text.end(), is_space);
  if (quote) out.push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') out.push_back(c);
    out.push_back(c);
  }
  if (quote) out.push_back('"');
}

}  // namespace pgkit::detail
