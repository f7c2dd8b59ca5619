// PostgreSQL's bit(n) and bit varying(n): pgkit::BitString, a length in bits and the bits packed
// into bytes, first bit in the high bit of the first byte (the server's layout).
//
//   pgkit::BitString flags("10110");
//   conn.exec("UPDATE t SET flags = $1", flags);   // sent as bit varying; a bit(5) column takes it too
#pragma once

#include <pgkit/types.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit {

class BitString {
 public:
  BitString() = default;  // no bits
  // From '0' and '1' characters; anything else is a ConversionError.
  explicit BitString(std::string_view bits);
  // `size` bits taken from `bytes` (ceil(size / 8) of them, or ConversionError); the bits past `size`
  // in the last byte are ignored.
  BitString(std::size_t size, std::vector<std::uint8_t> bytes);

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] const std::vector<std::uint8_t>& bytes() const noexcept { return bytes_; }
  // Bit `index`, counted from the left as the server prints it; ConversionError past the end.
  [[nodiscard]] bool test(std::size_t index) const;
  // '0's and '1's, as the server prints it.
  [[nodiscard]] std::string str() const;

  friend bool operator==(const BitString&, const BitString&) = default;

 private:
  std::size_t size_ = 0;
  std::vector<std::uint8_t> bytes_;  // the bits past size_ are zero
};

namespace detail {
BitString decode_bit_string(const Field& field);
void encode_bit_string(const BitString& value, std::string& out);
}  // namespace detail

// Sent as bit varying, which the server also assigns to bit(n) columns of the same length.
template <>
struct Type<BitString> {
  static constexpr Oid oid = oid::varbit;
  static constexpr Oid array_oid = oid::varbit_array;
  static constexpr Format format = Format::binary;
  static void encode(const BitString& value, std::string& out) { detail::encode_bit_string(value, out); }
  static void to_text(const BitString& value, std::string& out) { out += value.str(); }
  static BitString decode(const Field& field) { return detail::decode_bit_string(field); }
};

}  // namespace pgkit
