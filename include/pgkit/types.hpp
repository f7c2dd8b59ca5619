// Converting values between C++ and PostgreSQL: the built-in scalar, string, bytea, optional and array
// types for the Type<T> extension point (Field and Type<T> itself: <pgkit/field.hpp>).
//
// A Type<T> specialisation has:
//   static constexpr Oid oid;          the parameter type sent to the server (oid::unspecified: let it infer)
//   static constexpr Oid array_oid;    the type of an array of T (oid::unspecified: no arrays of T)
//   static constexpr Format format;    the format encode() writes
//   static void encode(const T&, std::string& out);   appends the value in `format`
//   static T decode(const Field&);     reads a non-NULL field, in text or binary format
// and, when `format` is binary, `static void to_text(const T&, std::string& out)` (literals, text COPY).
// Most user types need none of that: derive from Via<T, Wire> and convert to and from a type pgkit
// already knows (see docs/driver.md, "Your own types").
#pragma once

#include <pgkit/detail/array_codec.hpp>
#include <pgkit/detail/codec.hpp>
#include <pgkit/field.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace pgkit {

// ---------------------------------------------------------------------------------------------------
// Built-in types

template <detail::pg_integer T>
struct Type<T> {
  using Wire = detail::IntegerWire<T>;
  static constexpr Oid oid = Wire::oid;
  static constexpr Oid array_oid = Wire::array_oid;
  static constexpr Format format = Format::binary;

  static void encode(T value, std::string& out) {
    if constexpr (Wire::bytes == 2) {
      detail::append_be16(out, static_cast<std::uint16_t>(value));
    } else if constexpr (Wire::bytes == 4) {
      detail::append_be32(out, static_cast<std::uint32_t>(value));
    } else {
      if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
        if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) detail::throw_unsigned_out_of_range(value);
      }
      detail::append_be64(out, static_cast<std::uint64_t>(value));
    }
  }
  static void to_text(T value, std::string& out) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
      if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) detail::throw_unsigned_out_of_range(value);
    }
    detail::append_integer_text(out, static_cast<std::int64_t>(value));
  }
  static T decode(const Field& field) {
    if (field.type() == oid) [[likely]] {
      if (field.is_binary()) {
        if constexpr (std::is_signed_v<T>) {
          if constexpr (sizeof(T) == 2) return static_cast<T>(detail::load_be16(field.data()));
          if constexpr (sizeof(T) == 4) return static_cast<T>(detail::load_be32(field.data()));
          if constexpr (sizeof(T) == 8) return static_cast<T>(detail::load_be64(field.data()));
        }
      } else {
        // The server's text for its own integer type always parses and fits that type.
        T value{};
        const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
        if (error == std::errc() && end == field.data() + field.size()) return value;
      }
    }
    constexpr auto min = std::is_signed_v<T> ? static_cast<std::int64_t>(std::numeric_limits<T>::min()) : 0;
    constexpr auto max = sizeof(T) == 8 ? std::numeric_limits<std::int64_t>::max()
                                        : static_cast<std::int64_t>(std::numeric_limits<T>::max());
    return static_cast<T>(detail::decode_integer(field, min, max, Wire::name));
  }
};

template <>
struct Type<bool> {
  static constexpr Oid oid = oid::bool_;
  static constexpr Oid array_oid = oid::bool_array;
  static constexpr Format format = Format::binary;
  static void encode(bool value, std::string& out) { out.push_back(value ? '\1' : '\0'); }
  static void to_text(bool value, std::string& out) { out += value ? "true" : "false"; }
  static bool decode(const Field& field) {
    if (field.is_binary() && field.type() == oid::bool_ && field.size() == 1) [[likely]] return field.data()[0] != 0;
    return detail::decode_bool(field);
  }
};

template <>
struct Type<double> {
  static constexpr Oid oid = oid::float8;
  static constexpr Oid array_oid = oid::float8_array;
  static constexpr Format format = Format::binary;
  static void encode(double value, std::string& out) { detail::append_be64(out, std::bit_cast<std::uint64_t>(value)); }
  static void to_text(double value, std::string& out) { detail::append_floating_text(out, value); }
  static double decode(const Field& field) {
    if (field.is_binary() && field.type() == oid::float8) [[likely]] {
      return std::bit_cast<double>(detail::load_be64(field.data()));
    }
    return detail::decode_floating(field, "double");
  }
};

template <>
struct Type<float> {
  static constexpr Oid oid = oid::float4;
  static constexpr Oid array_oid = oid::float4_array;
  static constexpr Format format = Format::binary;
  static void encode(float value, std::string& out) { detail::append_be32(out, std::bit_cast<std::uint32_t>(value)); }
  static void to_text(float value, std::string& out) { detail::append_float4_text(out, value); }
  static float decode(const Field& field) {
    if (field.is_binary() && field.type() == oid::float4) [[likely]] {
      return std::bit_cast<float>(detail::load_be32(field.data()));
    }
    return static_cast<float>(detail::decode_floating(field, "float"));
  }
};

// Strings go as text with an unspecified type, so the server reads them as whatever the context needs
// (text, varchar, an enum, a uuid, a date, ...), just as it reads a quoted literal.
template <>
struct Type<std::string> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::text_array;
  static constexpr Format format = Format::text;
  static void encode(const std::string& value, std::string& out) {
    detail::append_text_checked(out, value, "string");
  }
  static std::string decode(const Field& field) { return detail::decode_string(field); }
};

// Decoding gives a view into the Result: it is valid only while the Result lives.
template <>
struct Type<std::string_view> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::text_array;
  static constexpr Format format = Format::text;
  static void encode(std::string_view value, std::string& out) { detail::append_text_checked(out, value, "string"); }
  static std::string_view decode(const Field& field) { return detail::decode_string_view(field); }
};

template <>
struct Type<const char*> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::text_array;
  static constexpr Format format = Format::text;
  static void encode(const char* value, std::string& out) { detail::append_text_checked(out, value, "string"); }
};

// bytea.
using Bytes = std::vector<std::byte>;

template <>
struct Type<Bytes> {
  static constexpr Oid oid = oid::bytea;
  static constexpr Oid array_oid = oid::bytea_array;
  static constexpr Format format = Format::binary;
  static void encode(const Bytes& value, std::string& out) {
    out.append(reinterpret_cast<const char*>(value.data()), value.size());
  }
  static void to_text(const Bytes& value, std::string& out);
  static Bytes decode(const Field& field) { return detail::decode_bytea(field); }
};

template <>
struct Type<std::span<const std::byte>> {
  static constexpr Oid oid = oid::bytea;
  static constexpr Oid array_oid = oid::bytea_array;
  static constexpr Format format = Format::binary;
  static void encode(std::span<const std::byte> value, std::string& out) {
    out.append(reinterpret_cast<const char*>(value.data()), value.size());
  }
};

template <class T>
struct Type<std::optional<T>> {
  static constexpr Oid oid = Type<T>::oid;
  static constexpr Oid array_oid = Type<T>::array_oid;
  static constexpr Format format = Type<T>::format;
  // Called only with a value: parameters and array elements handle NULL themselves.
  static void encode(const std::optional<T>& value, std::string& out) { Type<T>::encode(*value, out); }
  static void to_text(const std::optional<T>& value, std::string& out)
    requires detail::has_to_text<T>
  {
    Type<T>::to_text(*value, out);
  }
  static std::optional<T> decode(const Field& field) {
    if (field.is_null()) return std::nullopt;
    return Type<T>::decode(field);
  }
};

// A user type stored as a type pgkit already knows. Specialise Type<T> deriving from Via<T, Wire> and
// give it `static Wire to_wire(const T&)` and `static T from_wire(Wire)`.
template <class T, class Wire>
struct Via {
  static constexpr Oid oid = Type<Wire>::oid;
  static constexpr Oid array_oid = Type<Wire>::array_oid;
  static constexpr Format format = Type<Wire>::format;
  static void encode(const T& value, std::string& out) { Type<Wire>::encode(Type<T>::to_wire(value), out); }
  static void to_text(const T& value, std::string& out) {
    if constexpr (detail::has_to_text<Wire>) {
      Type<Wire>::to_text(Type<T>::to_wire(value), out);
    } else {
      Type<Wire>::encode(Type<T>::to_wire(value), out);
    }
  }
  static T decode(const Field& field) { return Type<T>::from_wire(Type<Wire>::decode(field)); }
};

// ---------------------------------------------------------------------------------------------------
// Arrays: std::vector<T> (T not std::byte), elements optional for NULLs, nested vectors for more
// dimensions (rectangular, as PostgreSQL requires).

template <class T>
  requires(!std::is_same_v<T, std::byte>)
struct Type<std::vector<T>> {
  using Element = typename detail::ArrayShape<std::vector<T>>::element;
  using Scalar = detail::strip_optional_t<Element>;
  // Text-format elements may leave the array type to the server (enums do); binary ones must name it.
  static_assert(Type<Scalar>::format == Format::text || Type<Scalar>::array_oid != oid::unspecified,
                "this element type has no PostgreSQL array type");
  static constexpr int depth = detail::ArrayShape<std::vector<T>>::depth;
  static constexpr Oid oid = Type<Scalar>::array_oid;
  static constexpr Oid array_oid = oid::unspecified;  // nest vectors for more dimensions
  static constexpr Format format = Type<Scalar>::format;

  static void encode(const std::vector<T>& value, std::string& out) {
    std::vector<int> dims;
    bool has_null = false;
    detail::measure_array(value, dims, 0, has_null);
    if (format == Format::binary) {
      // An empty array has no dimensions at all.
      const bool empty = std::find(dims.begin(), dims.end(), 0) != dims.end();
      detail::begin_binary_array(out, empty ? std::span<const int>{} : std::span<const int>(dims), has_null,
                                 Type<Scalar>::oid);
      if (empty) return;
    }
    detail::encode_array_elements(value, out, format);
  }
  // The array's text form ({1,2}, {{"a b",NULL}}), whatever format its elements travel in.
  static void to_text(const std::vector<T>& value, std::string& out) {
    std::vector<int> dims;
    bool has_null = false;
    detail::measure_array(value, dims, 0, has_null);
    detail::encode_array_elements(value, out, Format::text);
  }
  static std::vector<T> decode(const Field& field) {
    detail::ArrayContents contents;
    detail::parse_array(field, depth, contents);
    if (!contents.default_lower_bounds()) [[unlikely]] detail::fail_lower_bounds(field, contents);
    std::size_t next = 0;
    return detail::build_array<std::vector<T>>(contents, 0, next);
  }
};

// ---------------------------------------------------------------------------------------------------

template <class T>
T Field::as() const {
  if constexpr (detail::is_optional_v<T>) {
    if (is_null()) return std::nullopt;
    return Type<typename T::value_type>::decode(*this);
  } else {
    if (is_null()) [[unlikely]] fail_null();
    return Type<T>::decode(*this);
  }
}

}  // namespace pgkit
