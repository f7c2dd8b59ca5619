// Internals of the built-in types that their templates need: byte order, the out-of-line slow paths,
// integer traits. Not part of pgkit's API.
#pragma once

#include <pgkit/field.hpp>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgkit {
namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
template <class T>
inline constexpr bool is_optional_v = is_optional<T>::value;

template <class T>
struct strip_optional {
  using type = T;
};
template <class T>
struct strip_optional<std::optional<T>> {
  using type = T;
};
template <class T>
using strip_optional_t = typename strip_optional<T>::type;

template <class T>
concept has_to_text = requires(const T& value, std::string& out) { Type<T>::to_text(value, out); };

inline std::uint16_t load_be16(const char* p) noexcept {
  std::uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap16(v);
}
inline std::uint32_t load_be32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap32(v);
}
inline std::uint64_t load_be64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return __builtin_bswap64(v);
}
inline void append_be16(std::string& out, std::uint16_t v) {
  v = __builtin_bswap16(v);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
inline void append_be32(std::string& out, std::uint32_t v) {
  v = __builtin_bswap32(v);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
inline void append_be64(std::string& out, std::uint64_t v) {
  v = __builtin_bswap64(v);
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Out-of-line slow paths: other source types, text format, errors.
std::int64_t decode_integer(const Field& field, std::int64_t min, std::int64_t max, std::string_view target);
double decode_floating(const Field& field, std::string_view target);
bool decode_bool(const Field& field);
std::string decode_string(const Field& field);
std::string_view decode_string_view(const Field& field);
std::vector<std::byte> decode_bytea(const Field& field);
void append_integer_text(std::string& out, std::int64_t value);
void append_floating_text(std::string& out, double value);
void append_float4_text(std::string& out, float value);
// Appends `text` for a text-format value, which cannot carry a NUL byte.
void append_text_checked(std::string& out, std::string_view text, std::string_view what);

template <class T>
concept pg_integer = std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char> &&
                     !std::is_same_v<T, signed char> && !std::is_same_v<T, unsigned char> &&
                     !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char8_t> && !std::is_same_v<T, char16_t> &&
                     !std::is_same_v<T, char32_t>;

// The PostgreSQL integer that holds every value of T (int64 for uint64, checked when encoding).
template <class T>
struct IntegerWire {
  static constexpr std::size_t bytes = std::is_signed_v<T> ? sizeof(T) : (sizeof(T) >= 4 ? 8 : 4);
  static constexpr Oid oid = bytes == 2 ? oid::int2 : bytes == 4 ? oid::int4 : oid::int8;
  static constexpr Oid array_oid = bytes == 2 ? oid::int2_array : bytes == 4 ? oid::int4_array : oid::int8_array;
  static constexpr std::string_view name = std::is_signed_v<T>
                                               ? (sizeof(T) == 2 ? "int16" : sizeof(T) == 4 ? "int32" : "int64")
                                               : (sizeof(T) == 2 ? "uint16" : sizeof(T) == 4 ? "uint32" : "uint64");
};

[[noreturn]] void throw_unsigned_out_of_range(std::uint64_t value);

}  // namespace detail

}  // namespace pgkit
