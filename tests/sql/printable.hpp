// Test messages that show any bytes readably, whatever a name or value holds.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace pgkit::testing {

// Printable ASCII as is, every other byte (and the backslash) as \xNN.
inline std::string printable(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7F && byte != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

}  // namespace pgkit::testing
