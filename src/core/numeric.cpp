#include <pgkit/numeric.hpp>

#include "text.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace pgkit {
namespace {

// numeric's limits (PostgreSQL's NUMERIC_MAX_* and its input's exponent bound).
constexpr std::size_t max_integer_digits = 131072;
constexpr std::size_t max_fraction_digits = 16383;
constexpr int max_exponent = 1000;

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
    const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), exponent);
    if (ec != std::errc() || ptr == begin) invalid(original, "bad exponent");
    if (exponent > max_exponent || exponent < -max_exponent) invalid(original, "exponent out of range");
    i = static_cast<std::size_t>(ptr - text.data());
  }
  if (i != text.size()) invalid(original, "unexpected characters");

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
  if (ec == std::errc::result_out_of_range) return is_negative() ? -HUGE_VAL : HUGE_VAL;
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

Decimal decode_numeric(const Field& field) {
  if (!field.is_binary()) {
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
  const char* p = field.data();
  if (field.size() < 8) field.fail("pgkit::Decimal", "truncated binary numeric");
  const auto ndigits = static_cast<std::int16_t>(load_be16(p));
  const auto weight = static_cast<std::int16_t>(load_be16(p + 2));
  const std::uint16_t sign = load_be16(p + 4);
  const std::uint16_t dscale = load_be16(p + 6);
  if (ndigits < 0 || field.size() != 8 + 2 * static_cast<std::size_t>(ndigits)) {
    field.fail("pgkit::Decimal", "malformed binary numeric");
  }
  if (sign == sign_nan) return Decimal::nan();
  if (sign == sign_plus_infinity) return Decimal::infinity();
  if (sign == sign_minus_infinity) return Decimal::infinity(true);
  if ((sign != sign_positive && sign != sign_negative) || dscale > 0x3FFF) {
    field.fail("pgkit::Decimal", "malformed binary numeric");
  }
  const auto digit = [&](long index) -> unsigned {
    if (index < 0 || index >= ndigits) return 0;
    const unsigned d = load_be16(p + 8 + 2 * index);
    if (d > 9999) field.fail("pgkit::Decimal", "malformed binary numeric digit");
    return d;
  };
  std::string text;
  text.reserve(static_cast<std::size_t>(std::max<long>(weight + 1, 1)) * 4 + dscale + 2);
  bool nonzero = false;
  for (long i = 0; i < ndigits; ++i) nonzero = nonzero || digit(i) != 0;
  if (sign == sign_negative && nonzero) text.push_back('-');
  if (weight < 0) {
    text.push_back('0');
  } else {
    char buffer[8];
    for (long i = 0; i <= weight; ++i) {
      const unsigned d = digit(i);
      if (i == 0) {
        text.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, d).ptr);
      } else {
        text.push_back(static_cast<char>('0' + d / 1000));
        text.push_back(static_cast<char>('0' + d / 100 % 10));
        text.push_back(static_cast<char>('0' + d / 10 % 10));
        text.push_back(static_cast<char>('0' + d % 10));
      }
    }
  }
  if (dscale > 0) {
    text.push_back('.');
    const std::size_t start = text.size();
    for (long index = weight + 1; text.size() - start < dscale; ++index) {
      const unsigned d = digit(index);
      text.push_back(static_cast<char>('0' + d / 1000));
      text.push_back(static_cast<char>('0' + d / 100 % 10));
      text.push_back(static_cast<char>('0' + d / 10 % 10));
      text.push_back(static_cast<char>('0' + d % 10));
    }
    text.resize(start + dscale);
  }
  return Decimal(Decimal::Canonical{}, std::move(text));
}

}  // namespace detail
}  // namespace pgkit
