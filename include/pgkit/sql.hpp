// Safe SQL composition: names become quoted identifiers, values stay parameters (or quoted literals).
// The C++ form of psycopg's sql module:
//
//   using namespace pgkit::sql;
//   auto query = SQL("SELECT {} FROM {} WHERE {} > $1")
//                    .format(SQL(", ").join(identifiers({"name", "price"})),
//                            Identifier("public", "products"), Identifier("price"));
//   conn.exec(query, 100);
//
// Only SQL(...) is trusted text, and it should be a literal in your program; everything that comes from
// outside goes through Identifier, Literal or a parameter. Identifiers are always double-quoted, so
// "Products" and "products" are different names, as they are to PostgreSQL.
#pragma once

#include <pgkit/types.hpp>

#include <concepts>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgkit::sql {

class Composed;

// A name: table, column, schema, channel, ... Validated (1 to 63 bytes, no NUL, valid UTF-8; else
// InterfaceError) and quoted. Several parts make a qualified name: Identifier("public", "products").
class Identifier {
 public:
  explicit Identifier(std::string_view name);
  template <std::convertible_to<std::string_view>... More>
  Identifier(std::string_view first, std::string_view second, const More&... more) : Identifier(first) {
    append_part(second);
    (append_part(more), ...);
  }
  [[nodiscard]] const std::string& str() const noexcept { return text_; }

 private:
  void append_part(std::string_view part);
  std::string text_;
};

// A value written into the SQL text as a quoted literal, for where parameters cannot go (DDL such as
// DEFAULT clauses, or SQL generated for later). Prefer parameters everywhere else.
class Literal {
 public:
  template <class T>
  explicit Literal(const T& value) {
    using U = std::remove_cvref_t<T>;
    if constexpr (std::is_same_v<U, std::nullopt_t>) {
      text_ = "NULL";
    } else if constexpr (detail::is_optional_v<U>) {
      *this = value ? Literal(*value) : Literal(std::nullopt);
    } else if constexpr (std::is_same_v<U, bool>) {
      text_ = value ? "true" : "false";
    } else if constexpr (std::is_floating_point_v<U>) {
      // Quoted and cast: a bare number would be numeric (where -0 is 0 and NaN, Infinity do not parse),
      // and real must stay real.
      std::string text;
      Type<U>::to_text(value, text);
      text_ = quote(text) + (std::is_same_v<U, float> ? "::float4" : "::float8");
    } else if constexpr (std::is_arithmetic_v<U>) {
      std::string text;
      Type<U>::to_text(value, text);
      // A leading space keeps a minus sign from joining the operator before it: "10-{}" with -5 must not
      // become "10--5", a comment.
      text_ = text.starts_with('-') ? " " + text : text;
    } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
      text_ = quote(std::string_view(value));
    } else {
      std::string text;
      if constexpr (detail::has_to_text<U>) {
        Type<U>::to_text(value, text);
      } else {
        Type<U>::encode(value, text);
      }
      text_ = quote(text) + cast_for(Type<U>::oid);
    }
  }
  [[nodiscard]] const std::string& str() const noexcept { return text_; }

 private:
  // '...' with quotes doubled; $q$...$q$ when there is a backslash, so the result depends neither on
  // standard_conforming_strings nor on the client encoding. A NUL byte is an InterfaceError.
  static std::string quote(std::string_view text);
  static std::string cast_for(Oid type);
  std::string text_;
};

// $n, for composing statements that still take parameters.
class Placeholder {
 public:
  explicit Placeholder(int number);
  [[nodiscard]] const std::string& str() const noexcept { return text_; }

 private:
  std::string text_;
};

template <class T>
concept composable = std::same_as<T, Identifier> || std::same_as<T, Literal> || std::same_as<T, Placeholder> ||
                     std::same_as<T, Composed> || std::derived_from<T, Composed>;

// Composed SQL text, ready to run: conn.exec(composed, args...).
class Composed {
 public:
  Composed() = default;
  [[nodiscard]] const std::string& str() const noexcept { return text_; }
  operator std::string_view() const noexcept { return text_; }  // NOLINT(google-explicit-constructor)

  Composed& operator+=(const Composed& other) {
    text_ += other.text_;
    return *this;
  }
  friend Composed operator+(Composed a, const Composed& b) { return a += b; }

 protected:
  explicit Composed(std::string text) : text_(std::move(text)) {}
  friend class SQL;
  std::string text_;
};

// Trusted SQL text with {} slots (or {0}, {1} by position; "{{" and "}}" for braces).
class SQL : public Composed {
 public:
  explicit SQL(std::string_view text) : Composed(std::string(text)) {}

  // Fills the slots; an argument count that does not match the slots is an InterfaceError.
  template <composable... Args>
  [[nodiscard]] Composed format(const Args&... args) const {
    const std::vector<std::string_view> parts{std::string_view(args.str())...};
    return Composed(format_parts(parts));
  }

  // The items separated by this text: SQL(", ").join(identifiers).
  template <class Range>
  [[nodiscard]] Composed join(const Range& items) const {
    std::string out;
    bool first = true;
    for (const auto& item : items) {
      static_assert(composable<std::remove_cvref_t<decltype(item)>>, "join() takes Identifier, Literal, Placeholder or Composed items");
      if (!first) out += text_;
      first = false;
      out += item.str();
    }
    return Composed(std::move(out));
  }

 private:
  [[nodiscard]] std::string format_parts(const std::vector<std::string_view>& parts) const;
};

// Identifiers for each name: SQL(", ").join(identifiers({"name", "price"})).
std::vector<Identifier> identifiers(std::initializer_list<std::string_view> names);
std::vector<Identifier> identifiers(const std::vector<std::string>& names);
// "$first, $first+1, ..." count placeholders.
Composed placeholders(int count, int first = 1);

}  // namespace pgkit::sql
