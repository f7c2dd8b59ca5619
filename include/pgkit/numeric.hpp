// pgkit::Decimal: PostgreSQL's numeric, exactly: any precision and scale, NaN and +/-Infinity.
// It stores the canonical decimal text ("-12.50"); arithmetic is not its job: convert to what you
// compute with (to_double() is explicit and lossy), or compute in SQL.
#pragma once

#include <pgkit/types.hpp>

#include <compare>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace pgkit {

class Decimal;
namespace detail {
Decimal decode_numeric(const Field& field);
}  // namespace detail

class Decimal {
 public:
  Decimal() : text_("0") {}
  // Parses "12.50", "-0.001", "1.5e3" (becomes "1500"), "NaN", "Infinity", "-inf". Throws
  // ConversionError naming the text when it is not a number.
  explicit Decimal(std::string_view text);
  template <std::integral I>
    requires(!std::same_as<I, bool>)
  Decimal(I value) : text_(std::to_string(value)) {}  // NOLINT(google-explicit-constructor): exact

  static Decimal nan() { return Decimal(Special::nan); }
  static Decimal infinity(bool negative = false) { return Decimal(negative ? Special::minus_inf : Special::plus_inf); }

  // The canonical text: no exponent, no leading zeros, the scale kept ("1.50" stays "1.50").
  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  [[nodiscard]] bool is_nan() const noexcept { return text_ == "NaN"; }
  [[nodiscard]] bool is_infinite() const noexcept { return text_ == "Infinity" || text_ == "-Infinity"; }
  [[nodiscard]] bool is_negative() const noexcept { return !text_.empty() && text_[0] == '-'; }
  // Digits after the decimal point (0 for NaN and infinities).
  [[nodiscard]] int scale() const noexcept;
  // The nearest double (lossy for most decimals).
  [[nodiscard]] double to_double() const;

  // Numeric comparison with PostgreSQL's semantics: 1.5 == 1.50, NaN equals NaN and sorts above
  // everything, -Infinity < every number < Infinity.
  friend bool operator==(const Decimal& a, const Decimal& b) noexcept { return compare(a, b) == 0; }
  friend std::weak_ordering operator<=>(const Decimal& a, const Decimal& b) noexcept {
    const int c = compare(a, b);
    return c < 0 ? std::weak_ordering::less : c > 0 ? std::weak_ordering::greater : std::weak_ordering::equivalent;
  }

 private:
  enum class Special { nan, plus_inf, minus_inf };
  explicit Decimal(Special special);
  struct Canonical {};
  Decimal(Canonical, std::string text) : text_(std::move(text)) {}
  friend Decimal detail::decode_numeric(const Field& field);
  static int compare(const Decimal& a, const Decimal& b) noexcept;

  std::string text_;
};

namespace detail {
void encode_numeric(const Decimal& value, std::string& out);
}  // namespace detail

template <>
struct Type<Decimal> {
  static constexpr Oid oid = oid::numeric;
  static constexpr Oid array_oid = oid::numeric_array;
  static constexpr Format format = Format::binary;
  static void encode(const Decimal& value, std::string& out) { detail::encode_numeric(value, out); }
  static void to_text(const Decimal& value, std::string& out) { out += value.str(); }
  static Decimal decode(const Field& field) { return detail::decode_numeric(field); }
};

}  // namespace pgkit
