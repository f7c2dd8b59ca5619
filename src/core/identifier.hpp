// Quoting identifiers by PostgreSQL's rules; the one place pgkit turns a name into SQL text.
#pragma once

#include <string>
#include <string_view>

namespace pgkit::detail {

// Validates `name` (non-empty, at most 63 bytes, no NUL, valid UTF-8) and returns it double-quoted
// with embedded quotes doubled. Throws InterfaceError naming the problem.
std::string quote_identifier(std::string_view name);
void append_quoted_identifier(std::string& out, std::string_view name);

}  // namespace pgkit::detail
