// Network addresses: PostgreSQL's inet and cidr (pgkit::Inet, pgkit::Cidr), macaddr and macaddr8
// (pgkit::MacAddr, pgkit::MacAddr8).
//
//   auto [host] = conn.query_one<pgkit::Inet>("SELECT inet_client_addr()");
//   conn.exec("INSERT INTO allowed (net) VALUES ($1)", pgkit::Cidr::parse("10.0.0.0/8"));
//
// Text forms are the server's: IPv6 compressed ("::ffff:1.2.3.4"), an inet host without "/32" or
// "/128", a cidr always with its prefix length.
#pragma once

#include <pgkit/types.hpp>

#include <array>
#include <compare>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace pgkit {

// An IPv4 or IPv6 address with a prefix length (inet: a host, optionally with the length of its
// network's prefix, as in 192.168.0.5/24). Ordered as the server orders inet values.
class Inet {
 public:
  enum class Family : std::uint8_t { ipv4 = 4, ipv6 = 6 };

  Inet() = default;  // 0.0.0.0
  // Throws ConversionError when `prefix_length` exceeds 32 (128 for IPv6).
  explicit Inet(const std::array<std::uint8_t, 4>& ipv4, int prefix_length = 32);
  explicit Inet(const std::array<std::uint8_t, 16>& ipv6, int prefix_length = 128);
  // "192.168.0.5", "10.1.2.3/8", "::1", "2001:db8::/32", "::ffff:1.2.3.4". Throws ConversionError.
  static Inet parse(std::string_view text);

  [[nodiscard]] Family family() const noexcept { return family_; }
  [[nodiscard]] int max_prefix_length() const noexcept { return family_ == Family::ipv4 ? 32 : 128; }
  [[nodiscard]] int prefix_length() const noexcept { return prefix_length_; }
  // 4 bytes for IPv4, 16 for IPv6, in network order.
  [[nodiscard]] std::span<const std::uint8_t> bytes() const noexcept {
    return {bytes_.data(), family_ == Family::ipv4 ? std::size_t{4} : std::size_t{16}};
  }
  // Whether the bits after the prefix are zero (what a cidr requires).
  [[nodiscard]] bool host_bits_zero() const noexcept;
  // The server's inet text: the prefix length is left out when it covers the whole address.
  [[nodiscard]] std::string str() const;

  friend bool operator==(const Inet&, const Inet&) = default;
  // The server's order: IPv4 before IPv6, then by network part, prefix length, whole address.
  friend std::strong_ordering operator<=>(const Inet& a, const Inet& b) noexcept;

 private:
  Family family_ = Family::ipv4;
  std::uint8_t prefix_length_ = 32;
  std::array<std::uint8_t, 16> bytes_{};  // IPv4 uses the first 4
};

// A network (cidr): an Inet whose host bits are zero, checked on construction.
class Cidr {
 public:
  Cidr() : address_(std::array<std::uint8_t, 4>{}, 0) {}  // 0.0.0.0/0
  // Throws ConversionError naming the value when its host bits are not zero ("10.1.0.0/8").
  explicit Cidr(const Inet& network);
  // "10.0.0.0/8", "2001:db8::/32"; without a length, the whole address ("1.2.3.4" is 1.2.3.4/32).
  static Cidr parse(std::string_view text);

  [[nodiscard]] const Inet& address() const noexcept { return address_; }
  [[nodiscard]] int prefix_length() const noexcept { return address_.prefix_length(); }
  // Always with the prefix length, as the server prints cidr.
  [[nodiscard]] std::string str() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;
  friend std::strong_ordering operator<=>(const Cidr& a, const Cidr& b) noexcept { return a.address_ <=> b.address_; }

 private:
  Inet address_;
};

// A MAC address: macaddr (6 bytes) or macaddr8 (8 bytes, EUI-64).
template <std::size_t N>
class BasicMacAddr {
 public:
  static_assert(N == 6 || N == 8);
  BasicMacAddr() = default;
  explicit BasicMacAddr(const std::array<std::uint8_t, N>& bytes) : bytes_(bytes) {}
  // Hex byte pairs separated by ':' or '-' ("08:00:2b:01:02:03"), or none. Throws ConversionError.
  static BasicMacAddr parse(std::string_view text);

  [[nodiscard]] const std::array<std::uint8_t, N>& bytes() const noexcept { return bytes_; }
  // Lower case, colon separated, as the server prints it.
  [[nodiscard]] std::string str() const;

  friend auto operator<=>(const BasicMacAddr&, const BasicMacAddr&) = default;

 private:
  std::array<std::uint8_t, N> bytes_{};
};

using MacAddr = BasicMacAddr<6>;
using MacAddr8 = BasicMacAddr<8>;

namespace detail {
Inet decode_inet(const Field& field, bool cidr);
void encode_inet(const Inet& value, bool cidr, std::string& out);
std::array<std::uint8_t, 6> decode_macaddr(const Field& field);
std::array<std::uint8_t, 8> decode_macaddr8(const Field& field);
}  // namespace detail

// inet reads inet and cidr values; it is sent as inet.
template <>
struct Type<Inet> {
  static constexpr Oid oid = oid::inet;
  static constexpr Oid array_oid = oid::inet_array;
  static constexpr Format format = Format::binary;
  static void encode(const Inet& value, std::string& out) { detail::encode_inet(value, false, out); }
  static void to_text(const Inet& value, std::string& out) { out += value.str(); }
  static Inet decode(const Field& field) { return detail::decode_inet(field, false); }
};

// cidr reads cidr values and inet values whose host bits are zero.
template <>
struct Type<Cidr> {
  static constexpr Oid oid = oid::cidr;
  static constexpr Oid array_oid = oid::cidr_array;
  static constexpr Format format = Format::binary;
  static void encode(const Cidr& value, std::string& out) { detail::encode_inet(value.address(), true, out); }
  static void to_text(const Cidr& value, std::string& out) { out += value.str(); }
  static Cidr decode(const Field& field) { return Cidr(detail::decode_inet(field, true)); }
};

template <>
struct Type<MacAddr> {
  static constexpr Oid oid = oid::macaddr;
  static constexpr Oid array_oid = oid::macaddr_array;
  static constexpr Format format = Format::binary;
  static void encode(const MacAddr& value, std::string& out) {
    out.append(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size());
  }
  static void to_text(const MacAddr& value, std::string& out) { out += value.str(); }
  static MacAddr decode(const Field& field) { return MacAddr(detail::decode_macaddr(field)); }
};

template <>
struct Type<MacAddr8> {
  static constexpr Oid oid = oid::macaddr8;
  static constexpr Oid array_oid = oid::macaddr8_array;
  static constexpr Format format = Format::binary;
  static void encode(const MacAddr8& value, std::string& out) {
    out.append(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size());
  }
  static void to_text(const MacAddr8& value, std::string& out) { out += value.str(); }
  static MacAddr8 decode(const Field& field) { return MacAddr8(detail::decode_macaddr8(field)); }
};

}  // namespace pgkit
