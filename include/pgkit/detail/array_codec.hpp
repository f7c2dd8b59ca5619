// Internals of arrays (std::vector<T>, pgkit::Array<T>): parsing both formats, measuring and writing.
// Not part of pgkit's API.
#pragma once

#include <pgkit/detail/codec.hpp>
#include <pgkit/field.hpp>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgkit {

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

}  // namespace pgkit
