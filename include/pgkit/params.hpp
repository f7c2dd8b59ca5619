// Statement parameters: a list of typed values for $1..$n, encoded once for libpq.
//
//   conn.exec("SELECT * FROM products WHERE price > $1 AND stock > $2", 100, 10);   // usual form
//   pgkit::Params params;                      // when the list is built at run time
//   for (const auto& [column, value] : conditions) params.add(value);
//   conn.exec(query, params);
#pragma once

#include <pgkit/types.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgkit {

class Params {
 public:
  Params() = default;
  template <class... Args>
  explicit Params(const Args&... args) {
    reserve(sizeof...(Args));
    (add(args), ...);
  }

  // Appends a value (copied). std::optional without a value and std::nullopt are NULL.
  template <class T>
  Params& add(const T& value) {
    append(value, false);
    return *this;
  }
  Params& add_null(Oid type = oid::unspecified);

  // Appends without copying strings and byte buffers: `value` must outlive every use of these Params.
  template <class T>
  Params& add_borrowed(const T& value) {
    append(value, true);
    return *this;
  }

  [[nodiscard]] std::size_t size() const noexcept { return types_.size(); }
  [[nodiscard]] bool empty() const noexcept { return types_.empty(); }
  void clear() noexcept;
  void reserve(std::size_t count);

  // What libpq takes. Pointers stay valid until the Params change.
  [[nodiscard]] const std::vector<Oid>& types() const noexcept { return types_; }
  [[nodiscard]] const std::vector<int>& lengths() const noexcept { return lengths_; }
  [[nodiscard]] const std::vector<int>& formats() const noexcept { return formats_; }
  [[nodiscard]] const std::vector<const char*>& values() const;

  // Re-encodes parameter `index` as text (used when a prepared statement's parameter type differs from
  // the C++ value's). Returns false when the value has no text form known here.
  bool convert_to_text(std::size_t index, Oid required_type);

 private:
  template <class T>
  void append(const T& value, bool borrow);
  void push_external(Oid type, Format format, const char* data, std::size_t size);
  void push_stored(Oid type, Format format, std::size_t offset);
  void check_no_nul(std::string_view text) const;

  std::vector<Oid> types_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  // Per parameter: the external pointer (borrowed), or nullptr with the value stored at offsets_[i]
  // of storage_; NULL has both nullptr and offset npos.
  std::vector<const char*> external_;
  std::vector<std::size_t> offsets_;
  std::vector<std::string> text_forms_;  // a text rendering per parameter, for convert_to_text
  std::string storage_;
  mutable std::vector<const char*> values_;
};

template <class T>
void Params::append(const T& value, bool borrow) {
  using U = std::remove_cvref_t<T>;
  if constexpr (std::is_same_v<U, std::nullopt_t>) {
    add_null();
  } else if constexpr (detail::is_optional_v<U>) {
    if (value) {
      append(*value, borrow);
    } else {
      add_null(Type<typename U::value_type>::oid);
    }
  } else if constexpr (std::is_array_v<U> || std::is_same_v<std::decay_t<U>, const char*> ||
                       std::is_same_v<std::decay_t<U>, char*>) {
    const std::string_view text(value);
    check_no_nul(text);
    if (borrow) {
      push_external(oid::unspecified, Format::text, text.data(), text.size());  // NUL-terminated already
    } else {
      append(std::string(text), false);
    }
  } else if constexpr (std::is_same_v<U, std::string>) {
    check_no_nul(value);
    if (borrow) {
      push_external(oid::unspecified, Format::text, value.c_str(), value.size());
    } else {
      const std::size_t offset = storage_.size();
      storage_.append(value).push_back('\0');
      push_stored(oid::unspecified, Format::text, offset);
    }
  } else if constexpr ((std::is_same_v<U, Bytes> || std::is_same_v<U, std::span<const std::byte>>)) {
    if (borrow) {
      push_external(oid::bytea, Format::binary, reinterpret_cast<const char*>(value.data()), value.size());
    } else {
      const std::size_t offset = storage_.size();
      Type<U>::encode(value, storage_);
      push_stored(oid::bytea, Format::binary, offset);
    }
  } else {
    const std::size_t offset = storage_.size();
    Type<U>::encode(value, storage_);
    if constexpr (Type<U>::format == Format::text) {
      storage_.push_back('\0');  // libpq reads text parameters up to their NUL
    } else if constexpr (detail::has_to_text<U>) {
      text_forms_.resize(types_.size() + 1);
      Type<U>::to_text(value, text_forms_.back());
    }
    push_stored(Type<U>::oid, Type<U>::format, offset);
  }
}

}  // namespace pgkit
