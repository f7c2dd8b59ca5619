// pgkit::Uuid: PostgreSQL's uuid, 16 bytes.
#pragma once

#include <pgkit/types.hpp>

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace pgkit {

class Uuid {
 public:
  Uuid() = default;  // the nil UUID
  explicit Uuid(const std::array<std::uint8_t, 16>& bytes) : bytes_(bytes) {}
  // Accepts what PostgreSQL accepts: hex digits in groups separated by hyphens after any group of
  // four, optionally in braces, either case. Throws ConversionError otherwise.
  static Uuid parse(std::string_view text);

  [[nodiscard]] const std::array<std::uint8_t, 16>& bytes() const noexcept { return bytes_; }
  // Lower case, 8-4-4-4-12.
  [[nodiscard]] std::string str() const;

  friend auto operator<=>(const Uuid&, const Uuid&) = default;  // NOLINT(modernize-use-nullptr): a false positive

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

namespace detail {
Uuid decode_uuid(const Field& field);
}  // namespace detail

template <>
struct Type<Uuid> {
  static constexpr Oid oid = oid::uuid;
  static constexpr Oid array_oid = oid::uuid_array;
  static constexpr Format format = Format::binary;
  static void encode(const Uuid& value, std::string& out) {
    out.append(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size());
  }
  static void to_text(const Uuid& value, std::string& out) { out += value.str(); }
  static Uuid decode(const Field& field) { return detail::decode_uuid(field); }
};

}  // namespace pgkit
