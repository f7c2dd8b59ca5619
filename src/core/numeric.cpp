#include <pgkit/numeric.hpp>

#include "text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace pgkit {
namespace {

// numeric's limits (PostgreSQL's NUMERIC_MAX_* and its input's exponent bound, INT_MAX / 2).
constexpr std::size_t max_integer_digits = 131072;
constexpr std::size_t max_fraction_digits = 16383;
constexpr long max_exponent = std::numeric_limits<int>::max() / 2;

constexpr std::uint16_t sign_positive = 0x0000;
constexpr std::uint16_t sign_negative = 0x4000;
constexpr std::uint16_t sign_nan = 0xC000;
constexpr std::uint16_t sign_plus_infinity = 0xD000;
constexpr std::uint16_t sign_minus_infinity = 0xF000;

[[noreturn]] void invalid(std::string_view text, std::string_view why) {
  const std::string shown = text.size() > 60 ? std::string(text.substr(0, 60)) + "..." : std::string(text);
  throw ConversionError(fmt::format("'{}' is not a valid numeric: {}", shown, why));
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) text.remove_suffix(1);
  return text;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses a finite decimal into canonical form; returns false when `text` is not one.
std::string canonical(std::string_view original) {
  std::string_view text = trim(original);
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  std::size_t i = 0;
  std::string digits;
  std::size_t integer_digits = 0;
  while (i < text.size() && is_digit(text[i])) digits.push_back(text[i++]);
  integer_digits = digits.size();
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && is_digit(text[i])) digits.push_back(text[i++]);
  }
  if (digits.empty()) invalid(original, "no digits");
  long fraction_digits = static_cast<long>(digits.size() - integer_digits);
  long exponent = 0;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    const char* begin = text.data() + i;
    if (i < text.size() && text[i] == '+') ++begin;
    // One sign at most: from_chars would take the '-' of "1e+-5".
    if (begin != text.data() + i && begin != text.data() + text.size() && *begin == '-') {
      invalid(original, "bad exponent");
    }
    const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), exponent);
    if (ec != std::errc() || ptr == begin) invalid(original, "bad exponent");
    if (exponent >= max_exponent || exponent <= -max_exponent) invalid(original, "exponent out of range");
    i = static_cast<std::size_t>(ptr - text.data());
  }
  if (i != text.size()) invalid(original, "unexpected characters");
  // Beyond this the value cannot fit numeric's digit limits, except zero, whose value a large positive
  // exponent does not change; the bound also keeps the strings built below small.
  const auto exponent_bound = static_cast<long>(max_integer_digits + max_fraction_digits + digits.size());
  if (exponent > exponent_bound && digits.find_first_not_of('0') == std::string::npos) exponent = exponent_bound;
  if (exponent > exponent_bound || exponent < -exponent_bound) invalid(original, "the value overflows numeric");

  // Move the decimal point by the exponent.
  const long point = static_cast<long>(integer_digits) + exponent;
  std::string integer;
  std::string fraction;
  if (point <= 0) {
    integer = "0";
    fraction = std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (point >= static_cast<long>(digits.size())) {
    integer = digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    integer = digits.substr(0, static_cast<std::size_t>(point));
    fraction = digits.substr(static_cast<std::size_t>(point));
  }
  // The scale is the fraction digits written, less the exponent (PostgreSQL's rule): "1.50e1" is "15.0".
  const long scale = std::max(0L, fraction_digits - exponent);
  fraction.resize(static_cast<std::size_t>(scale), '0');
  const auto first = integer.find_first_not_of('0');
  integer = first == std::string::npos ? "0" : integer.substr(first);
  if (integer.size() > max_integer_digits) invalid(original, "too many digits before the decimal point");
  if (fraction.size() > max_fraction_digits) invalid(original, "too many digits after the decimal point");

  const bool zero = integer == "0" && fraction.find_first_not_of('0') == std::string::npos;
  std::string out = (negative && !zero) ? "-" : "";
  out += integer;
  if (!fraction.empty()) out += "." + fraction;
  return out;
}

struct Parts {
  bool negative;
  std::string_view integer;
  std::string_view fraction;
};

Parts split(const std::string& text) {
  std::string_view rest = text;
  const bool negative = !rest.empty() && rest[0] == '-';
  if (negative) rest.remove_prefix(1);
  const auto dot = rest.find('.');
  if (dot == std::string_view::npos) return {negative, rest, {}};
  return {negative, rest.substr(0, dot), rest.substr(dot + 1)};
}

int special_rank(const Decimal& d) {
  if (d.is_nan()) return 2;
  if (d.str() == "Infinity") return 1;
  if (d.str() == "-Infinity") return -1;
  return 0;
}

int compare_magnitude(const Parts& a, const Parts& b) {
  if (a.integer.size() != b.integer.size()) return a.integer.size() < b.integer.size() ? -1 : 1;
  if (const int c = a.integer.compare(b.integer); c != 0) return c < 0 ? -1 : 1;
  const std::size_t n = std::max(a.fraction.size(), b.fraction.size());
  for (std::size_t i = 0; i < n; ++i) {
    const char x = i < a.fraction.size() ? a.fraction[i] : '0';
    const char y = i < b.fraction.size() ? b.fraction[i] : '0';
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

}  // namespace

Decimal::Decimal(std::string_view text) {
  const std::string_view trimmed = trim(text);
  if (detail::iequals(trimmed, "nan")) {
    text_ = "NaN";
  } else if (detail::iequals(trimmed, "infinity") || detail::iequals(trimmed, "+infinity") ||
             detail::iequals(trimmed, "inf") || detail::iequals(trimmed, "+inf")) {
    text_ = "Infinity";
  } else if (detail::iequals(trimmed, "-infinity") || detail::iequals(trimmed, "-inf")) {
    text_ = "-Infinity";
  } else {
    text_ = canonical(text);
  }
}

Decimal::Decimal(Special special)
    : text_(special == Special::nan ? "NaN" : special == Special::plus_inf ? "Infinity" : "-Infinity") {}

int Decimal::scale() const noexcept {
  const auto dot = text_.find('.');
  return dot == std::string::npos ? 0 : static_cast<int>(text_.size() - dot - 1);
}

double Decimal::to_double() const {
  if (is_nan()) return std::numeric_limits<double>::quiet_NaN();
  if (is_infinite()) return is_negative() ? -HUGE_VAL : HUGE_VAL;
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text_.data(), text_.data() + text_.size(), value);
  if (ec == std::errc::result_out_of_range) {
    // The nearest double: infinity for a huge value, zero for a tiny one (its integer part is 0).
    const bool tiny = text_.starts_with("0") || text_.starts_with("-0");
    if (tiny) return is_negative() ? -0.0 : 0.0;
    return is_negative() ? -HUGE_VAL : HUGE_VAL;
  }
  return value;
}

int Decimal::compare(const Decimal& a, const Decimal& b) noexcept {
  const int ra = special_rank(a);
  const int rb = special_rank(b);
  if (ra != 0 || rb != 0) return ra == rb ? 0 : (ra < rb ? -1 : 1);
  const Parts pa = split(a.text_);
  const Parts pb = split(b.text_);
  if (pa.negative != pb.negative) return pa.negative ? -1 : 1;
  const int magnitude = compare_magnitude(pa, pb);
  return pa.negative ? -magnitude : magnitude;
}

namespace detail {

void encode_numeric(const Decimal& value, std::string& out) {
  std::uint16_t sign = sign_positive;
  if (value.is_nan()) sign = sign_nan;
  if (value.str() == "Infinity") sign = sign_plus_infinity;
  if (value.str() == "-Infinity") sign = sign_minus_infinity;
  if (sign != sign_positive) {
    append_be16(out, 0);
    append_be16(out, 0);
    append_be16(out, sign);
    append_be16(out, 0);
    return;
  }
  const Parts parts = split(value.str());
  // Base-10000 digits aligned on the decimal point.
  std::string integer(static_cast<std::size_t>((4 - parts.integer.size() % 4) % 4), '0');
  integer += parts.integer;
  std::string fraction(parts.fraction);
  fraction.resize((fraction.size() + 3) / 4 * 4, '0');
  std::vector<std::uint16_t> groups;
  groups.reserve((integer.size() + fraction.size()) / 4);
  const auto push_groups = [&](const std::string& text) {
    for (std::size_t i = 0; i < text.size(); i += 4) {
      groups.push_back(static_cast<std::uint16_t>((text[i] - '0') * 1000 + (text[i + 1] - '0') * 100 +
                                                  (text[i + 2] - '0') * 10 + (text[i + 3] - '0')));
    }
  };
  push_groups(integer);
  push_groups(fraction);
  long weight = static_cast<long>(integer.size() / 4) - 1;
  std::size_t begin = 0;
  while (begin < groups.size() && groups[begin] == 0) {
    ++begin;
    --weight;
  }
  std::size_t end = groups.size();
  while (end > begin && groups[end - 1] == 0) --end;
  if (begin == end) weight = 0;
  if (weight > std::numeric_limits<std::int16_t>::max() || weight < std::numeric_limits<std::int16_t>::min()) {
    throw ConversionError(fmt::format("numeric {} is out of the binary format's range", value.str()));
  }
  append_be16(out, static_cast<std::uint16_t>(end - begin));
  append_be16(out, static_cast<std::uint16_t>(static_cast<std::int16_t>(weight)));
  append_be16(out, (parts.negative && begin != end) ? sign_negative : sign_positive);
  append_be16(out, static_cast<std::uint16_t>(parts.fraction.size()));
  for (std::size_t i = begin; i < end; ++i) append_be16(out, groups[i]);
}

namespace {

// The fixed part of a binary numeric, as numeric_send writes it.
struct NumericHeader {
  std::uint16_t ndigits;  // unsigned: the largest numerics have more than 32767 base-10000 digits
  std::int16_t weight;
  std::uint16_t sign;
  std::uint16_t dscale;
};

NumericHeader numeric_header(const Field& field) {
  const char* p = field.data();
  if (field.size() < 8) field.fail("pgkit::Decimal", "truncated binary numeric");
  const NumericHeader header{load_be16(p), static_cast<std::int16_t>(load_be16(p + 2)), load_be16(p + 4),
                             load_be16(p + 6)};
  if (field.size() != 8 + 2 * static_cast<std::size_t>(header.ndigits)) {
    field.fail("pgkit::Decimal", "malformed binary numeric");
  }
  return header;
}

}  // namespace

Decimal decode_numeric(const Field& field) {
  if (!field.is_binary()) {
    // The server's own numeric output is canonical already: no need to parse it again.
    if (field.type() == oid::numeric) return Decimal(Decimal::Canonical{}, std::string(field.bytes()));
    // Only the types read in binary format too, so a value reads the same in both formats.
    if (field.type() != oid::int2 && field.type() != oid::int4 && field.type() != oid::int8 &&
        field.type() != oid::unspecified) {
      field.fail("pgkit::Decimal", "it is not numeric or an integer type");
    }
    try {
      return Decimal(field.bytes());
    } catch (const ConversionError& e) {
      field.fail("pgkit::Decimal", e.what());
    }
  }
  switch (field.type()) {
    case oid::numeric: break;
    case oid::int2:
    case oid::int4:
    case oid::int8:
      return Decimal(decode_integer(field, std::numeric_limits<std::int64_t>::min(),
                                    std::numeric_limits<std::int64_t>::max(), "pgkit::Decimal"));
    default: field.fail("pgkit::Decimal", "it is not numeric or an integer type");
  }
  const auto [ndigits, weight, sign, dscale] = numeric_header(field);
  if (sign == sign_nan) return Decimal::nan();
  if (sign == sign_plus_infinity) return Decimal::infinity();
  if (sign == sign_minus_infinity) return Decimal::infinity(true);
  if ((sign != sign_positive && sign != sign_negative) || dscale > 0x3FFF) {
    field.fail("pgkit::Decimal", "malformed binary numeric");
  }
  // One pass into a buffer: this runs for every numeric of every row read, so no per-character appends.
  const auto* digits = reinterpret_cast<const unsigned char*>(field.data() + 8);
  const auto digit = [&](long index) -> unsigned {
    if (index < 0 || index >= ndigits) return 0;
    return (static_cast<unsigned>(digits[2 * index]) << 8) | digits[2 * index + 1];
  };
  const std::size_t integer_groups = weight >= 0 ? static_cast<std::size_t>(weight) + 1 : 1;
  const std::size_t capacity = 1 + integer_groups * 4 + 1 + dscale + 4;
  char stack_buffer[128];
  std::string heap_buffer;
  char* buffer = stack_buffer;
  if (capacity > sizeof stack_buffer) {
    heap_buffer.resize(capacity);
    buffer = heap_buffer.data();
  }
  char* out = buffer;
  bool nonzero = false;
  const auto put4 = [&](unsigned d) {
    if (d > 9999) field.fail("pgkit::Decimal", "malformed binary numeric digit");
    nonzero = nonzero || d != 0;
    out[0] = static_cast<char>('0' + d / 1000);
    out[1] = static_cast<char>('0' + d / 100 % 10);
    out[2] = static_cast<char>('0' + d / 10 % 10);
    out[3] = static_cast<char>('0' + d % 10);
    out += 4;
  };
  *out++ = '-';  // dropped below unless negative and nonzero
  if (weight < 0) {
    *out++ = '0';
  } else {
    const unsigned first = digit(0);
    if (first > 9999) field.fail("pgkit::Decimal", "malformed binary numeric digit");
    nonzero = first != 0;
    out = std::to_chars(out, out + 4, first).ptr;
    for (long i = 1; i <= weight; ++i) put4(digit(i));
  }
  if (dscale > 0) {
    *out++ = '.';
    char* const fraction = out;
    const long groups = (dscale + 3) / 4;  // of four digits each; the last one is cut to dscale below
    for (long group = 0; group < groups; ++group) put4(digit(weight + 1 + group));
    out = fraction + dscale;
  }
  const bool negative = sign == sign_negative && nonzero;
  std::string text(buffer + (negative ? 0 : 1), out);
  return Decimal(Decimal::Canonical{}, std::move(text));
}

}  // namespace detail
}  // namespace pgkit
