// One value as the server sent it (Field), and the extension point that converts it (Type<T>); the
// built-in conversions are in <pgkit/types.hpp>.
#pragma once

#include <pgkit/errors.hpp>
#include <pgkit/oid.hpp>

#include <cstddef>
#include <string>
#include <string_view>

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

}  // namespace pgkit
