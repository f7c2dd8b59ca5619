#include <pgkit/uuid.hpp>

#include <fmt/format.h>

namespace pgkit {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Uuid Uuid::parse(std::string_view text) {
  const auto invalid = [&]() -> Uuid {
    throw ConversionError(fmt::format("'{}' is not a valid UUID", text.substr(0, 60)));
  };
  std::string_view body = text;
  if (body.size() >= 2 && body.front() == '{' && body.back() == '}') body = body.substr(1, body.size() - 2);
  std::array<std::uint8_t, 16> bytes{};
  std::size_t digits = 0;
  bool previous_hyphen = false;
  for (char c : body) {
    if (c == '-') {
      // PostgreSQL allows a hyphen after any group of four digits, never two in a row or at the ends.
      if (digits == 0 || digits % 4 != 0 || digits == 32 || previous_hyphen) return invalid();
      previous_hyphen = true;
      continue;
    }
    const int value = hex_value(c);
    if (value < 0 || digits == 32) return invalid();
    bytes[digits / 2] = static_cast<std::uint8_t>(digits % 2 == 0 ? value << 4 : bytes[digits / 2] | value);
    ++digits;
    previous_hyphen = false;
  }
  if (digits != 32 || previous_hyphen) return invalid();
  return Uuid(bytes);
}

std::string Uuid::str() const {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[bytes_[i] >> 4]);
    out.push_back(hex[bytes_[i] & 0xF]);
  }
  return out;
}

namespace detail {

Uuid decode_uuid(const Field& field) {
  if (field.is_binary()) {
    if (field.type() != oid::uuid || field.size() != 16) field.fail("pgkit::Uuid", "it is not a uuid");
    std::array<std::uint8_t, 16> bytes{};
    std::memcpy(bytes.data(), field.data(), 16);
    return Uuid(bytes);
  }
  if (field.type() != oid::uuid && field.type() != oid::unspecified) field.fail("pgkit::Uuid", "it is not a uuid");
  try {
    return Uuid::parse(field.bytes());
  } catch (const ConversionError& e) {
    field.fail("pgkit::Uuid", e.what());
  }
}

}  // namespace detail
}  // namespace pgkit
