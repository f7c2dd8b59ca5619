#include <pgkit/money.hpp>

#include <fmt/format.h>

#include <limits>

namespace pgkit {

std::string Money::str() const {
  // The magnitude as unsigned, so that the most negative value has one too.
  const std::uint64_t magnitude = cents < 0 ? 0 - static_cast<std::uint64_t>(cents) : static_cast<std::uint64_t>(cents);
  return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", magnitude / 100, magnitude % 100);
}

namespace detail {

std::int64_t decode_money(const Field& field) {
  if (field.is_binary()) {
    if (field.type() != oid::money || field.size() != 8) field.fail("pgkit::Money", "it is not money");
    return static_cast<std::int64_t>(load_be64(field.data()));
  }
  if (field.type() != oid::money && field.type() != oid::unspecified) field.fail("pgkit::Money", "it is not money");
  // cash_out prints every fraction digit the currency has, so the digits alone are the stored integer;
  // the sign is a '-' or parentheses, whatever lc_monetary puts around them.
  const std::string_view text = field.bytes();
  std::uint64_t magnitude = 0;
  bool negative = false;
  bool any_digit = false;
  for (const char c : text) {
    if (c >= '0' && c <= '9') {
      if (__builtin_mul_overflow(magnitude, std::uint64_t{10}, &magnitude) ||
          __builtin_add_overflow(magnitude, static_cast<std::uint64_t>(c - '0'), &magnitude)) {
        field.fail("pgkit::Money", fmt::format("'{}' is out of money's range", text));
      }
      any_digit = true;
    } else if (c == '-' || c == '(') {
      negative = true;
    }
  }
  if (!any_digit) field.fail("pgkit::Money", fmt::format("'{}' is not an amount of money", text));
  constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (magnitude > max + (negative ? 1 : 0))
    field.fail("pgkit::Money", fmt::format("'{}' is out of money's range", text));
  return negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
}

}  // namespace detail
}  // namespace pgkit
