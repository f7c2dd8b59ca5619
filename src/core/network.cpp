// inet, cidr, macaddr, macaddr8. The text output follows the server's (src/port/inet_net_ntop.c), so
// that a binary value renders exactly as the server would print it.
#include <pgkit/network.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

namespace pgkit {
namespace {

// The address families of inet's binary form (PGSQL_AF_INET, PGSQL_AF_INET6 in utils/inet.h).
constexpr std::uint8_t pgsql_af_inet = 2;
constexpr std::uint8_t pgsql_af_inet6 = 3;

void check_prefix_length(int prefix_length, int max) {
  if (prefix_length < 0 || prefix_length > max) {
    throw ConversionError(fmt::format("a network prefix length must be within 0..{}, not {}", max, prefix_length));
  }
}

// Zero, and compares, the first `bits` bits (bitncmp in the server).
int compare_bits(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b, int bits) {
  const auto whole = static_cast<std::size_t>(bits / 8);
  if (const int c = std::memcmp(a.data(), b.data(), whole); c != 0) return c;
  if (bits % 8 == 0) return 0;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits % 8));
  return static_cast<int>(a[whole] & mask) - static_cast<int>(b[whole] & mask);
}

void append_ipv4(std::string& out, const std::uint8_t* bytes) {
  fmt::format_to(std::back_inserter(out), "{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
}

// inet_net_ntop_ipv6: the longest run (first of equal ones) of two or more zero words becomes "::";
// ::a.b.c.d and ::ffff:a.b.c.d print their last 32 bits as IPv4.
void append_ipv6(std::string& out, const std::uint8_t* bytes) {
  std::array<unsigned, 8> words{};
  for (std::size_t i = 0; i < 16; ++i) words[i / 2] |= static_cast<unsigned>(bytes[i]) << ((1 - i % 2) * 8);
  int best_base = -1;
  int best_length = 0;
  for (int i = 0; i < 8;) {
    if (words[static_cast<std::size_t>(i)] != 0) {
      ++i;
      continue;
    }
    int end = i;
    while (end < 8 && words[static_cast<std::size_t>(end)] == 0) ++end;
    if (end - i > best_length) {
      best_base = i;
      best_length = end - i;
    }
    i = end;
  }
  if (best_length < 2) best_base = -1;
  for (int i = 0; i < 8; ++i) {
    if (best_base != -1 && i >= best_base && i < best_base + best_length) {
      if (i == best_base) out.push_back(':');
      continue;
    }
    if (i != 0) out.push_back(':');
    if (i == 6 && best_base == 0 && (best_length == 6 || (best_length == 5 && words[5] == 0xffff))) {
      append_ipv4(out, bytes + 12);
      return;
    }
    fmt::format_to(std::back_inserter(out), "{:x}", words[static_cast<std::size_t>(i)]);
  }
  if (best_base != -1 && best_base + best_length == 8) out.push_back(':');
}

// Parses "address[/length]" into `out`; false when malformed.
bool parse_inet_text(std::string_view text, Inet& out) {
  const auto slash = text.find('/');
  const std::string address(text.substr(0, slash));
  std::array<std::uint8_t, 16> bytes{};
  bool ipv4 = true;
  if (inet_pton(AF_INET, address.c_str(), bytes.data()) != 1) {
    if (inet_pton(AF_INET6, address.c_str(), bytes.data()) != 1) return false;
    ipv4 = false;
  }
  int length = ipv4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) return false;
    if (length < 0 || length > (ipv4 ? 32 : 128)) return false;
  }
  out = ipv4 ? Inet(std::array<std::uint8_t, 4>{bytes[0], bytes[1], bytes[2], bytes[3]}, length) : Inet(bytes, length);
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// N hex byte pairs, all separated by the same ':' or '-', or not separated at all.
template <std::size_t N>
bool parse_mac(std::string_view text, std::array<std::uint8_t, N>& out) {
  const bool separated = text.size() == N * 3 - 1;
  if (!separated && text.size() != N * 2) return false;
  const char separator = separated ? text[2] : '\0';
  if (separated && separator != ':' && separator != '-') return false;
  const std::size_t stride = separated ? 3 : 2;
  for (std::size_t i = 0; i < N; ++i) {
    const std::size_t at = i * stride;
    const int high = hex_digit(text[at]);
    const int low = hex_digit(text[at + 1]);
    if (high < 0 || low < 0 || (separated && i + 1 < N && text[at + 2] != separator)) return false;
    out[i] = static_cast<std::uint8_t>(high * 16 + low);
  }
  return true;
}

template <std::size_t N>
std::array<std::uint8_t, N> decode_mac(const Field& field, Oid type, std::string_view target) {
  std::array<std::uint8_t, N> bytes{};
  if (field.is_binary()) {
    if (field.type() != type || field.size() != N) field.fail(target, fmt::format("it is not a {}", type_name(type)));
    std::memcpy(bytes.data(), field.data(), N);
    return bytes;
  }
  if (field.type() != type && field.type() != oid::unspecified) {
    field.fail(target, fmt::format("it is not a {}", type_name(type)));
  }
  if (!parse_mac<N>(field.bytes(), bytes)) field.fail(target, fmt::format("'{}' is not a MAC address", field.bytes()));
  return bytes;
}

}  // namespace

Inet::Inet(const std::array<std::uint8_t, 4>& ipv4, int prefix_length) {
  check_prefix_length(prefix_length, 32);
  std::copy(ipv4.begin(), ipv4.end(), bytes_.begin());
  prefix_length_ = static_cast<std::uint8_t>(prefix_length);
}

Inet::Inet(const std::array<std::uint8_t, 16>& ipv6, int prefix_length) : family_(Family::ipv6), bytes_(ipv6) {
  check_prefix_length(prefix_length, 128);
  prefix_length_ = static_cast<std::uint8_t>(prefix_length);
}

Inet Inet::parse(std::string_view text) {
  Inet value;
  if (!parse_inet_text(text, value)) {
    throw ConversionError(
        fmt::format("'{}' is not an IPv4 or IPv6 address with an optional /length", text.substr(0, 80)));
  }
  return value;
}

bool Inet::host_bits_zero() const noexcept {
  for (int bit = prefix_length_; bit < max_prefix_length(); ++bit) {
    if ((bytes_[static_cast<std::size_t>(bit / 8)] & (0x80 >> (bit % 8))) != 0) return false;
  }
  return true;
}

std::string Inet::str() const {
  std::string out;
  if (family_ == Family::ipv4) {
    append_ipv4(out, bytes_.data());
  } else {
    append_ipv6(out, bytes_.data());
  }
  if (prefix_length_ != max_prefix_length()) fmt::format_to(std::back_inserter(out), "/{}", prefix_length_);
  return out;
}

std::strong_ordering operator<=>(const Inet& a, const Inet& b) noexcept {
  if (a.family_ != b.family_) return a.family_ <=> b.family_;
  const int common = std::min(a.prefix_length_, b.prefix_length_);
  if (const int c = compare_bits(a.bytes(), b.bytes(), common); c != 0) return c <=> 0;
  if (a.prefix_length_ != b.prefix_length_) return a.prefix_length_ <=> b.prefix_length_;
  return compare_bits(a.bytes(), b.bytes(), a.max_prefix_length()) <=> 0;
}

Cidr::Cidr(const Inet& network) : address_(network) {
  if (!network.host_bits_zero()) {
    throw ConversionError(
        fmt::format("{} is not a network: a cidr has no bits set after its prefix length", network.str()));
  }
}

Cidr Cidr::parse(std::string_view text) {
  return Cidr(Inet::parse(text));
}

std::string Cidr::str() const {
  std::string out = address_.str();
  if (address_.prefix_length() == address_.max_prefix_length()) {
    fmt::format_to(std::back_inserter(out), "/{}", address_.prefix_length());
  }
  return out;
}

template <std::size_t N>
BasicMacAddr<N> BasicMacAddr<N>::parse(std::string_view text) {
  std::array<std::uint8_t, N> bytes{};
  if (!parse_mac<N>(text, bytes)) {
    throw ConversionError(
        fmt::format("'{}' is not a MAC address of {} bytes (08:00:2b:01:02:03)", text.substr(0, 80), N));
  }
  return BasicMacAddr(bytes);
}

template <std::size_t N>
std::string BasicMacAddr<N>::str() const {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    if (i > 0) out.push_back(':');
    fmt::format_to(std::back_inserter(out), "{:02x}", bytes_[i]);
  }
  return out;
}

template class BasicMacAddr<6>;
template class BasicMacAddr<8>;

namespace detail {

Inet decode_inet(const Field& field, bool cidr) {
  const std::string_view target = cidr ? "pgkit::Cidr" : "pgkit::Inet";
  if (field.type() != oid::inet && field.type() != oid::cidr &&
      (field.is_binary() || field.type() != oid::unspecified)) {
    field.fail(target, "it is not an inet or cidr");
  }
  Inet value;
  if (field.is_binary()) {
    const std::string_view bytes = field.bytes();
    const auto* raw = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const bool ipv4 = bytes.size() == 8 && raw[0] == pgsql_af_inet && raw[3] == 4;
    const bool ipv6 = bytes.size() == 20 && raw[0] == pgsql_af_inet6 && raw[3] == 16;
    if ((!ipv4 && !ipv6) || raw[1] > (ipv4 ? 32 : 128)) field.fail(target, "malformed binary inet");
    std::array<std::uint8_t, 16> address{};
    std::copy(raw + 4, raw + bytes.size(), address.begin());
    value = ipv4 ? Inet(std::array<std::uint8_t, 4>{address[0], address[1], address[2], address[3]}, raw[1])
                 : Inet(address, raw[1]);
  } else if (!parse_inet_text(field.bytes(), value)) {
    field.fail(target, fmt::format("'{}' is not an IPv4 or IPv6 address", field.bytes()));
  }
  if (cidr && !value.host_bits_zero()) {
    field.fail(target, fmt::format("{} has bits set after its prefix length: it is a host, not a network (read it as "
                                   "pgkit::Inet)",
                                   value.str()));
  }
  return value;
}

void encode_inet(const Inet& value, bool cidr, std::string& out) {
  out.push_back(static_cast<char>(value.family() == Inet::Family::ipv4 ? pgsql_af_inet : pgsql_af_inet6));
  out.push_back(static_cast<char>(value.prefix_length()));
  out.push_back(cidr ? '\1' : '\0');
  out.push_back(static_cast<char>(value.bytes().size()));
  out.append(reinterpret_cast<const char*>(value.bytes().data()), value.bytes().size());
}

std::array<std::uint8_t, 6> decode_macaddr(const Field& field) {
  return decode_mac<6>(field, oid::macaddr, "pgkit::MacAddr");
}

std::array<std::uint8_t, 8> decode_macaddr8(const Field& field) {
  return decode_mac<8>(field, oid::macaddr8, "pgkit::MacAddr8");
}

}  // namespace detail
}  // namespace pgkit
