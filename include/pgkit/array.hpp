// pgkit::Array<T>: a PostgreSQL array that keeps its shape, lower bounds included.
//
// PostgreSQL subscripts start at 1 unless told otherwise ('[0:2]={a,b,c}', or after
// `arr[0] := ...` on an empty array); std::vector cannot say where they start, so reading such an
// array into a std::vector is a ConversionError, and Array<T> is the type that reads it:
//
//   auto a = conn.query_value<pgkit::Array<int>>("SELECT '[0:2]={1,2,3}'::int[]");
//   a.dimensions()[0].lower_bound;   // 0
//   a.at({0});                       // 1, by PostgreSQL subscript
//   conn.exec("INSERT INTO t (v) VALUES ($1)", a);   // sent with its bounds
//
// T is the element type, std::optional<U> when elements may be NULL. Elements are kept flat, in
// row-major order (the last subscript varies fastest), as PostgreSQL stores them.
#pragma once

#include <pgkit/types.hpp>

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgkit {

struct ArrayDimension {
  int lower_bound = 1;
  int size = 0;
  [[nodiscard]] int upper_bound() const noexcept { return lower_bound + size - 1; }
  friend bool operator==(const ArrayDimension&, const ArrayDimension&) = default;
};

namespace detail {
// Throws ConversionError unless the dimensions suit PostgreSQL (at most 6, sizes >= 0, upper bound + 1
// within int32, as array_in requires) and hold exactly `element_count` elements.
void check_array_shape(const std::vector<ArrayDimension>& dimensions, std::size_t element_count);
// The flat index of `subscripts` (PostgreSQL's, one per dimension); ConversionError when outside.
std::size_t array_offset(const std::vector<ArrayDimension>& dimensions, std::initializer_list<int> subscripts);
// "[0:1][1:2]=" when a lower bound is not 1, else nothing: what the server writes before an array.
void append_array_decoration(std::string& out, const std::vector<ArrayDimension>& dimensions);
}  // namespace detail

template <class T>
class Array {
 public:
  // The empty array (no dimensions, as PostgreSQL has it).
  Array() = default;
  // One dimension whose first subscript is `lower_bound`.
  explicit Array(std::vector<T> elements, int lower_bound = 1)
      : dimensions_{ArrayDimension{lower_bound, static_cast<int>(elements.size())}}, elements_(std::move(elements)) {
    check_shape();
  }
  // Any number of dimensions (up to 6), whose sizes multiply to elements.size() (or ConversionError):
  // Array<int>::with_shape({{0, 2}, {1, 3}}, {1, 2, 3, 4, 5, 6}) is '[0:1][1:3]={{1,2,3},{4,5,6}}'.
  // (A named function, not a constructor: braces would make {{0, 2}} mean elements too.)
  static Array with_shape(std::vector<ArrayDimension> dimensions, std::vector<T> elements) {
    Array array;
    array.dimensions_ = std::move(dimensions);
    array.elements_ = std::move(elements);
    array.check_shape();
    return array;
  }

  [[nodiscard]] const std::vector<ArrayDimension>& dimensions() const noexcept { return dimensions_; }
  [[nodiscard]] const std::vector<T>& elements() const noexcept { return elements_; }
  [[nodiscard]] std::size_t size() const noexcept { return elements_.size(); }
  [[nodiscard]] bool empty() const noexcept { return elements_.empty(); }
  // The element at PostgreSQL subscripts, one per dimension: a.at({0}), a.at({1, -3}).
  [[nodiscard]] const T& at(std::initializer_list<int> subscripts) const {
    return elements_[detail::array_offset(dimensions_, subscripts)];
  }

  friend bool operator==(const Array&, const Array&) = default;

 private:
  void check_shape() {
    detail::check_array_shape(dimensions_, elements_.size());
    if (elements_.empty()) dimensions_.clear();  // PostgreSQL's empty arrays have no dimensions
  }

  std::vector<ArrayDimension> dimensions_;
  std::vector<T> elements_;
};

template <class T>
struct Type<Array<T>> {
  using Scalar = detail::strip_optional_t<T>;
  static_assert(detail::ArrayShape<Scalar>::depth == 0, "the elements of a pgkit::Array are not vectors");
  static_assert(Type<Scalar>::format == Format::text || Type<Scalar>::array_oid != oid::unspecified,
                "this element type has no PostgreSQL array type");
  static constexpr Oid oid = Type<Scalar>::array_oid;
  static constexpr Oid array_oid = oid::unspecified;
  static constexpr Format format = Type<Scalar>::format;

  static void encode(const Array<T>& value, std::string& out) {
    if constexpr (format == Format::text) {
      write_text(value, out);
    } else {
      encode_binary(value, out, Type<Scalar>::oid);
    }
  }

  // The binary array form, elements of type `element` (named by the caller when the elements travel as
  // text of no declared type: a binary COPY into text[] gives it from the column).
  static void encode_binary(const Array<T>& value, std::string& out, Oid element_type) {
    std::vector<int> sizes;
    std::vector<int> lower_bounds;
    for (const ArrayDimension& dimension : value.dimensions()) {
      sizes.push_back(dimension.size);
      lower_bounds.push_back(dimension.lower_bound);
    }
    bool has_null = false;
    if constexpr (detail::is_optional_v<T>) {
      for (const T& element : value.elements()) has_null = has_null || !element.has_value();
    }
    detail::begin_binary_array(out, sizes, lower_bounds, has_null, element_type);
    for (const T& element : value.elements()) {
      if constexpr (detail::is_optional_v<T>) {
        if (!element) {
          detail::append_be32(out, 0xFFFFFFFFu);
          continue;
        }
      }
      const std::size_t at = out.size();
      detail::append_be32(out, 0);
      Type<T>::encode(element, out);
      const auto length = __builtin_bswap32(static_cast<std::uint32_t>(out.size() - at - 4));
      std::memcpy(out.data() + at, &length, 4);
    }
  }

  // The array literal, with its bounds: '[0:1]={"1","2"}'.
  static void to_text(const Array<T>& value,
                      std::string& out) requires(format == Format::text || detail::has_to_text<Scalar>) {
    write_text(value, out);
  }

  static Array<T> decode(const Field& field) {
    detail::ArrayContents contents;
    detail::parse_array(field, -1, contents);
    std::vector<ArrayDimension> dimensions;
    for (std::size_t i = 0; i < contents.dims.size(); ++i) {
      dimensions.push_back({contents.lower_bounds[i], contents.dims[i]});
    }
    std::vector<T> elements;
    elements.reserve(contents.elements.size());
    for (const Field& element : contents.elements) elements.push_back(element.as<T>());
    return Array<T>::with_shape(std::move(dimensions), std::move(elements));
  }

 private:
  // Elements of text-format types are their encoding; the others have to_text.
  static void write_text(const Array<T>& value, std::string& out) {
    if (value.empty()) {
      out += "{}";
      return;
    }
    detail::append_array_decoration(out, value.dimensions());
    const char delimiter = detail::array_delimiter(Type<Scalar>::oid);
    std::size_t next = 0;
    std::string text;
    const auto level = [&](const auto& self, std::size_t depth) -> void {
      out.push_back('{');
      for (int i = 0; i < value.dimensions()[depth].size; ++i) {
        if (i > 0) out.push_back(delimiter);
        if (depth + 1 < value.dimensions().size()) {
          self(self, depth + 1);
          continue;
        }
        const T& element = value.elements()[next++];
        const Scalar* scalar = nullptr;
        if constexpr (detail::is_optional_v<T>) {
          scalar = element ? &*element : nullptr;
        } else {
          scalar = &element;
        }
        if (scalar == nullptr) {
          detail::append_array_text_element(out, std::nullopt);
          continue;
        }
        text.clear();
        if constexpr (Type<Scalar>::format == Format::text) {
          Type<Scalar>::encode(*scalar, text);
        } else {
          Type<Scalar>::to_text(*scalar, text);
        }
        detail::append_array_text_element(out, text);
      }
      out.push_back('}');
    };
    level(level, 0);
  }
};

}  // namespace pgkit
