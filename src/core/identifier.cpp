#include "identifier.hpp"

#include <pgkit/errors.hpp>

#include "text.hpp"

#include <fmt/format.h>

namespace pgkit::detail {
namespace {

// PostgreSQL truncates longer names silently (NAMEDATALEN - 1), which would make two names one.
constexpr std::size_t max_identifier_bytes = 63;

// The name for a message: at most about 40 bytes of it, cut between characters, with control characters
// and bytes that are not UTF-8 written as \xNN, so the message itself is always valid UTF-8.
std::string shown(std::string_view name) {
  constexpr std::size_t budget = 40;
  std::string out;
  std::size_t i = 0;
  while (i < name.size() && i < budget) {
    const auto c = static_cast<unsigned char>(name[i]);
    const std::size_t length = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    if (c >= 0x80 && i + length <= name.size() && is_valid_utf8(name.substr(i, length))) {
      out.append(name.substr(i, length));
      i += length;
      continue;
    }
    if (c < 0x20 || c >= 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  return i < name.size() ? out + "..." : out;
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
