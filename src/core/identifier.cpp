#include "identifier.hpp"

#include <pgkit/errors.hpp>

#include "text.hpp"

#include <fmt/format.h>

namespace pgkit::detail {
namespace {

// PostgreSQL truncates longer names silently (NAMEDATALEN - 1), which would make two names one.
constexpr std::size_t max_identifier_bytes = 63;

std::string shown(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 40)) {
    if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return name.size() > 40 ? out + "..." : out;
}

}  // namespace

void append_quoted_identifier(std::string& out, std::string_view name) {
  if (name.empty()) throw InterfaceError("an identifier cannot be empty");
  if (name.size() > max_identifier_bytes) {
    throw InterfaceError(fmt::format("identifier \"{}\" is {} bytes long; PostgreSQL identifiers have at most {}",
                                     shown(name), name.size(), max_identifier_bytes));
  }
  if (name.find('\0') != std::string_view::npos) {
    throw InterfaceError(fmt::format("identifier \"{}\" contains a NUL byte", shown(name)));
  }
  if (!is_valid_utf8(name)) throw InterfaceError(fmt::format("identifier \"{}\" is not valid UTF-8", shown(name)));
  out.reserve(out.size() + name.size() + 2);
  out.push_back('"');
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string quote_identifier(std::string_view name) {
  std::string out;
  append_quoted_identifier(out, name);
  return out;
}

}  // namespace pgkit::detail
