#include <pgkit/detail/type_table.hpp>
#include <pgkit/sql.hpp>

#include "core/identifier.hpp"

#include <fmt/format.h>

#include <charconv>

namespace pgkit::sql {

Identifier::Identifier(std::string_view name) : text_(detail::quote_identifier(name)) {}

void Identifier::append_part(std::string_view part) {
  text_ += '.';
  detail::append_quoted_identifier(text_, part);
}

std::string Literal::quote(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) throw InterfaceError("a literal cannot contain a NUL byte");
  if (text.find('\\') == std::string_view::npos) {
    std::string out = "'";
    for (char c : text) {
      if (c == '\'') out += '\'';
      out += c;
    }
    return out + "'";
  }
  // A backslash: dollar quoting reads it as itself whatever standard_conforming_strings says. E'...' with
  // doubled backslashes would not do: in client encodings such as SJIS, BIG5 or GBK the byte 0x5C can
  // end a two-byte character, and the server would see one backslash escaping what follows.
  std::string tag = "$q$";
  for (int n = 1; (std::string(text) + tag).find(tag) != text.size(); ++n) tag = fmt::format("$q{}$", n);
  std::string out;
  out.reserve(text.size() + 2 * tag.size());
  return out.append(tag).append(text).append(tag);
}

// The type's SQL spelling ('...'::timestamp with time zone); nothing for a type left to the server, and
// for user-defined types, whose names pgkit does not know.
std::string Literal::cast_for(Oid type) {
  const auto* row = detail::builtin_type(type);
  return row != nullptr ? fmt::format("::{}", row->sql_name) : std::string();
}

Placeholder::Placeholder(int number) {
  if (number < 1 || number > 65535) throw InterfaceError(fmt::format("placeholder ${} is out of 1..65535", number));
  text_ = fmt::format("${}", number);
}

std::string SQL::format_parts(const std::vector<std::string_view>& parts) const {
  std::string out;
  out.reserve(text_.size() + 16 * parts.size());
  std::size_t next_auto = 0;
  bool used_auto = false;
  bool used_numbered = false;
  std::vector<bool> used(parts.size(), false);
  for (std::size_t i = 0; i < text_.size(); ++i) {
    const char c = text_[i];
    if (c == '}') {
      if (i + 1 < text_.size() && text_[i + 1] == '}') {
        out += '}';
        ++i;
        continue;
      }
      throw InterfaceError(fmt::format("unmatched '}}' at offset {} of the SQL template", i));
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < text_.size() && text_[i + 1] == '{') {
      out += '{';
      ++i;
      continue;
    }
    const auto close = text_.find('}', i);
    if (close == std::string::npos) throw InterfaceError(fmt::format("unclosed '{{' at offset {} of the SQL template", i));
    const std::string_view inside = std::string_view(text_).substr(i + 1, close - i - 1);
    std::size_t index = 0;
    if (inside.empty()) {
      used_auto = true;
      index = next_auto++;
    } else {
      used_numbered = true;
      const auto [ptr, ec] = std::from_chars(inside.data(), inside.data() + inside.size(), index);
      if (ec != std::errc() || ptr != inside.data() + inside.size()) {
        throw InterfaceError(fmt::format("'{{{}}}' is not a slot: use {{}} or {{number}}", inside));
      }
    }
    if (used_auto && used_numbered) throw InterfaceError("a SQL template cannot mix {} and {number} slots");
    if (index >= parts.size()) {
      throw InterfaceError(fmt::format("the SQL template needs argument {} but {} were given", index, parts.size()));
    }
    used[index] = true;
    out += parts[index];
    i = close;
  }
  for (std::size_t k = 0; k < used.size(); ++k) {
    if (!used[k]) throw InterfaceError(fmt::format("argument {} of format() is not used by the SQL template", k));
  }
  return out;
}

std::vector<Identifier> identifiers(std::initializer_list<std::string_view> names) {
  std::vector<Identifier> out;
  out.reserve(names.size());
  for (auto name : names) out.emplace_back(name);
  return out;
}

std::vector<Identifier> identifiers(const std::vector<std::string>& names) {
  std::vector<Identifier> out;
  out.reserve(names.size());
  for (const auto& name : names) out.emplace_back(name);
  return out;
}

Composed placeholders(int count, int first) {
  if (count < 0) throw InterfaceError("a negative number of placeholders");
  std::vector<Placeholder> items;
  items.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) items.emplace_back(first + i);
  return SQL(", ").join(items);
}

}  // namespace pgkit::sql
