// PostgreSQL's money, exactly: pgkit::Money holds the integer the server stores, a count of the
// currency's smallest unit (cents for lc_monetary's usual two fraction digits).
//
// The binary form (what pgkit asks for and sends) is that integer, whatever lc_monetary says. The
// text form depends on lc_monetary ("$1,234.56" in C and en_US, "1.234,56 €" in de_DE): reading it
// keeps the digits and the sign and drops the currency symbol and separators, which gives the stored
// integer under any locale, because the server always prints exactly the currency's fraction digits.
// Writing text (literals, text COPY) gives "-1234.56", two fraction digits and a '.', which the
// server reads as intended only under an lc_monetary with two fraction digits and a '.' decimal point
// (C, en_US, ...). Prefer parameters, which go in binary.
#pragma once

#include <pgkit/types.hpp>

#include <compare>
#include <cstdint>
#include <string>

namespace pgkit {

struct Money {
  std::int64_t cents = 0;

  // "-1234.56": the value with two fraction digits, no currency symbol, no separators.
  [[nodiscard]] std::string str() const;

  friend auto operator<=>(const Money&, const Money&) = default;
};

namespace detail {
std::int64_t decode_money(const Field& field);
}  // namespace detail

template <>
struct Type<Money> {
  static constexpr Oid oid = oid::money;
  static constexpr Oid array_oid = oid::money_array;
  static constexpr Format format = Format::binary;
  static void encode(const Money& value, std::string& out) {
    detail::append_be64(out, static_cast<std::uint64_t>(value.cents));
  }
  static void to_text(const Money& value, std::string& out) { out += value.str(); }
  static Money decode(const Field& field) { return Money{detail::decode_money(field)}; }
};

}  // namespace pgkit
