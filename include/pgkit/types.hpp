// Converting values between C++ and PostgreSQL: Field (one value as the server sent it) and the
// Type<T> extension point, with the built-in scalar, string, bytea, optional and array types.
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

#include <pgkit/errors.hpp>
#include <pgkit/oid.hpp>

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

enum class Format : int { text = 0, binary = 1 };

namespace detail {
struct TextSettings;  // the session's DateStyle, IntervalStyle and TimeZone (src/core/text_settings.hpp)
}  // namespace detail

// One value of a result (or an array element): a view of the bytes the server sent, valid while the
// Result it came from lives.
class Field {
 public:
  Field() = default;
  Field(const char* data, std::size_t size, Oid type, Format format, std::string_view column = {},
        const detail::TextSettings* settings = nullptr) noexcept
      : data_(data), size_(size), type_(type), format_(format), column_(column), settings_(settings) {}
  static Field null(Oid type, Format format, std::string_view column = {},
                    const detail::TextSettings* settings = nullptr) noexcept {
    return Field(nullptr, 0, type, format, column, settings);
  }

  [[nodiscard]] bool is_null() const noexcept { return data_ == nullptr; }
  [[nodiscard]] const char* data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] std::string_view bytes() const noexcept { return {data_ != nullptr ? data_ : "", size_}; }
  [[nodiscard]] Oid type() const noexcept { return type_; }
  [[nodiscard]] Format format() const noexcept { return format_; }
  [[nodiscard]] bool is_binary() const noexcept { return format_ == Format::binary; }
  // The column's name, for messages; empty for values that are not columns.
  [[nodiscard]] std::string_view column() const noexcept { return column_; }
  // How the server wrote text values: the session's settings when the result was made, shared by its
  // fields (and their array elements); null for values read under the server's defaults.
  [[nodiscard]] const detail::TextSettings* text_settings() const noexcept { return settings_; }

  // The value as T. NULL reads as std::nullopt into std::optional<T>, and throws UnexpectedNull otherwise.
  template <class T>
  [[nodiscard]] T as() const;

  // Throws ConversionError: `cannot read column "price" (numeric) as int32: <reason>`.
  [[noreturn]] void fail(std::string_view target, std::string_view reason) const;
  // Throws UnexpectedNull naming the column.
  [[noreturn]] void fail_null() const;

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
  Oid type_ = oid::unspecified;
  Format format_ = Format::text;
  std::string_view column_;
  const detail::TextSettings* settings_ = nullptr;
};

// A readable name for a type OID ("integer", "timestamp with time zone", or "type 16390").
std::string type_name(Oid type);

namespace detail {
template <class>
inline constexpr bool dependent_false = false;
}  // namespace detail

template <class T, class Enable = void>
struct Type {
  static_assert(detail::dependent_false<T>,
                "pgkit::Type<T> is not specialised for this type. Include <pgkit/json.hpp> for nlohmann::json, "
                "<pgkit/describe.hpp> for enums and structs described with Boost.Describe; "
                "for your own types derive Type<T> from pgkit::Via<T, Wire> (docs/driver.md, 'Your own types').");
};

// ---------------------------------------------------------------------------------------------------
// Helpers shared by the built-in types.
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
namespace detail {

template <class T>
struct ArrayShape {
  static constexpr int depth = 0;
  using element = T;
};
template <class T>
  requires(!std::is_same_v<T, std::byte>)
struct ArrayShape<std::vector<T>> {
  static constexpr int depth = 1 + ArrayShape<T>::depth;
  using element = typename ArrayShape<T>::element;
};

// The elements of an array value, flattened, with its dimensions and their lower bounds.
struct ArrayContents {
  std::vector<int> dims;
  std::vector<int> lower_bounds;  // one per dimension; PostgreSQL's default is 1
  std::vector<Field> elements;
  std::string storage;  // unescaped elements of a text-format array

  [[nodiscard]] bool default_lower_bounds() const noexcept {
    return std::all_of(lower_bounds.begin(), lower_bounds.end(), [](int bound) { return bound == 1; });
  }
};

// Parses `field` (binary or text format) expecting `depth` dimensions (or none: an empty array; -1:
// any number).
void parse_array(const Field& field, int depth, ArrayContents& out);
// Throws ConversionError: the array has lower bounds a std::vector cannot keep.
[[noreturn]] void fail_lower_bounds(const Field& field, const ArrayContents& contents);

// Binary array header; the caller then appends each element as int32 length (-1: NULL) + bytes.
void begin_binary_array(std::string& out, std::span<const int> dims, bool has_null, Oid element_type);
void begin_binary_array(std::string& out, std::span<const int> dims, std::span<const int> lower_bounds, bool has_null,
                        Oid element_type);
// The character between the elements of a text array of `element_type` (pg_type.typdelim: ';' for box).
char array_delimiter(Oid element_type) noexcept;
// Appends one element of a text-format array literal, quoted and escaped ("NULL" when null).
void append_array_text_element(std::string& out, std::optional<std::string_view> text);
[[noreturn]] void throw_ragged_array();

template <class V>
void measure_array(const V& value, std::vector<int>& dims, std::size_t level, bool& has_null) {
  if (dims.size() <= level) {
    dims.push_back(static_cast<int>(value.size()));
  } else if (dims[level] != static_cast<int>(value.size())) {
    throw_ragged_array();
  }
  for (const auto& item : value) {
    using Item = std::remove_cvref_t<decltype(item)>;
    if constexpr (ArrayShape<Item>::depth > 0) {
      measure_array(item, dims, level + 1, has_null);
    } else if constexpr (is_optional_v<Item>) {
      has_null = has_null || !item.has_value();
    }
  }
}

template <class V>
void encode_array_elements(const V& value, std::string& out, Format format) {
  if (format == Format::text) out.push_back('{');
  bool first = true;
  for (const auto& item : value) {
    using Item = std::remove_cvref_t<decltype(item)>;
    if (format == Format::text && !std::exchange(first, false)) out.push_back(',');
    if constexpr (ArrayShape<Item>::depth > 0) {
      encode_array_elements(item, out, format);
    } else {
      bool null = false;
      if constexpr (is_optional_v<Item>) null = !item.has_value();
      if (format == Format::binary) {
        if (null) {
          append_be32(out, 0xFFFFFFFFu);
          continue;
        }
        const std::size_t at = out.size();
        append_be32(out, 0);
        Type<Item>::encode(item, out);
        const auto length = __builtin_bswap32(static_cast<std::uint32_t>(out.size() - at - 4));
        std::memcpy(out.data() + at, &length, 4);
      } else if (null) {
        append_array_text_element(out, std::nullopt);
      } else {
        // Elements sent in binary have a text form of their own: their binary bytes are no array text.
        std::string text;
        if constexpr (has_to_text<Item>) {
          Type<Item>::to_text(item, text);
        } else {
          Type<Item>::encode(item, text);
        }
        append_array_text_element(out, text);
      }
    }
  }
  if (format == Format::text) out.push_back('}');
}

template <class V>
V build_array(const ArrayContents& contents, std::size_t level, std::size_t& next) {
  V result;
  if (contents.dims.empty()) return result;
  const auto count = static_cast<std::size_t>(contents.dims[level]);
  result.reserve(count);
  using Item = typename V::value_type;
  for (std::size_t i = 0; i < count; ++i) {
    if constexpr (ArrayShape<Item>::depth > 0) {
      result.push_back(build_array<Item>(contents, level + 1, next));
    } else {
      result.push_back(contents.elements[next++].template as<Item>());
    }
  }
  return result;
}

}  // namespace detail

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
