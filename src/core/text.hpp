// Small text utilities shared by the core's sources.
#pragma once

#include <string_view>

namespace pgkit::detail {

// Well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view text) noexcept;

// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace pgkit::detail
