#include <pgkit/bits.hpp>

#include <fmt/format.h>

#include <limits>

namespace pgkit {
namespace {

constexpr std::size_t bytes_for(std::size_t bits) {
  return (bits + 7) / 8;
}

}  // namespace

BitString::BitString(std::string_view bits) : size_(bits.size()), bytes_(bytes_for(bits.size())) {
  for (std::size_t i = 0; i < bits.size(); ++i) {
    if (bits[i] != '0' && bits[i] != '1') {
      throw ConversionError(fmt::format("'{}' is not a bit string: '{}' at offset {} is neither 0 nor 1",
                                        bits.substr(0, 80), bits[i], i));
    }
    if (bits[i] == '1') bytes_[i / 8] = static_cast<std::uint8_t>(bytes_[i / 8] | (0x80 >> (i % 8)));
  }
}

BitString::BitString(std::size_t size, std::vector<std::uint8_t> bytes) : size_(size), bytes_(std::move(bytes)) {
  if (bytes_.size() != bytes_for(size)) {
    throw ConversionError(
        fmt::format("a bit string of {} bits takes {} bytes, not {}", size, bytes_for(size), bytes_.size()));
  }
  // The server refuses padding bits that are set; keeping them zero makes == compare bits only.
  if (size % 8 != 0) bytes_.back() = static_cast<std::uint8_t>(bytes_.back() & (0xFF << (8 - size % 8)));
}

bool BitString::test(std::size_t index) const {
  if (index >= size_) throw ConversionError(fmt::format("bit {} is past the end of a {}-bit string", index, size_));
  return (bytes_[index / 8] & (0x80 >> (index % 8))) != 0;
}

std::string BitString::str() const {
  std::string out(size_, '0');
  for (std::size_t i = 0; i < size_; ++i) {
    if ((bytes_[i / 8] & (0x80 >> (i % 8))) != 0) out[i] = '1';
  }
  return out;
}

namespace detail {

BitString decode_bit_string(const Field& field) {
  if (field.type() != oid::bit && field.type() != oid::varbit &&
      (field.is_binary() || field.type() != oid::unspecified)) {
    field.fail("pgkit::BitString", "it is not a bit string");
  }
  if (!field.is_binary()) {
    try {
      return BitString(field.bytes());
    } catch (const ConversionError& e) {
      field.fail("pgkit::BitString", e.what());
    }
  }
  if (field.size() < 4) field.fail("pgkit::BitString", "truncated binary bit string");
  const auto bits = static_cast<std::int32_t>(load_be32(field.data()));
  if (bits < 0 || field.size() - 4 != bytes_for(static_cast<std::size_t>(bits))) {
    field.fail("pgkit::BitString", "malformed binary bit string");
  }
  const auto* begin = reinterpret_cast<const std::uint8_t*>(field.data() + 4);
  return {static_cast<std::size_t>(bits), std::vector<std::uint8_t>(begin, begin + (field.size() - 4))};
}

void encode_bit_string(const BitString& value, std::string& out) {
  if (value.size() > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
    throw ConversionError(fmt::format("a bit string of {} bits is longer than PostgreSQL's limit", value.size()));
  }
  append_be32(out, static_cast<std::uint32_t>(value.size()));
  out.append(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size());
}

}  // namespace detail
}  // namespace pgkit
