// What the text scanners of dates, times and intervals share: a cursor over the text, and messages
// that quote the text they got.
#pragma once

#include <pgkit/types.hpp>

#include "text_settings.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace pgkit::detail::scan {

__extension__ typedef __int128 wide;

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr bool is_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

inline const TextSettings& settings_of(const Field& field) noexcept {
  const TextSettings* settings = field.text_settings();
  return settings != nullptr ? *settings : default_text_settings();
}

// The text for a message, clipped so that a huge value does not make a huge message.
inline std::string quoted(std::string_view text) {
  constexpr std::size_t limit = 100;
  return text.size() > limit ? fmt::format("'{}...'", text.substr(0, limit)) : fmt::format("'{}'", text);
}

inline std::string_view reported_or(std::string_view reported, std::string_view fallback) {
  return reported.empty() ? fallback : reported;
}

// `what` with its article: "a date", "an interval".
[[noreturn]] inline void fail_form(const Field& field, std::string_view target, std::string_view what,
                            std::string_view setting = {}, std::string_view value = {}) {
  if (setting.empty()) field.fail(target, fmt::format("{} is not {} as the server writes it", quoted(field.bytes()), what));
  field.fail(target, fmt::format("{} is not {} as the server writes it ({} '{}')", quoted(field.bytes()), what,
                                 setting, value));
}

[[noreturn]] inline void fail_range(const Field& field, std::string_view target) {
  field.fail(target, fmt::format("{} is out of range", quoted(field.bytes())));
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) noexcept : text_(text) {}

  [[nodiscard]] bool done() const noexcept { return at_ == text_.size(); }
  [[nodiscard]] char peek() const noexcept { return at_ < text_.size() ? text_[at_] : '\0'; }
  [[nodiscard]] std::size_t position() const noexcept { return at_; }
  [[nodiscard]] std::string_view rest() const noexcept { return text_.substr(at_); }
  void skip() noexcept { ++at_; }
  bool accept(char c) noexcept {
    if (at_ == text_.size() || text_[at_] != c) return false;
    ++at_;
    return true;
  }
  // Between `min` and `max` decimal digits, and no more.
  bool digits(std::size_t min, std::size_t max, std::int64_t& out) noexcept {
    std::int64_t value = 0;
    std::size_t count = 0;
    for (; count < max && at_ < text_.size() && is_digit(text_[at_]); ++count, ++at_) value = value * 10 + (text_[at_] - '0');
    if (count < min || (at_ < text_.size() && is_digit(text_[at_]))) return false;
    out = value;
    return true;
  }
  // An optional '+' or '-', then 1 to 18 digits.
  bool signed_integer(wide& out) noexcept {
    const bool negative = peek() == '-';
    if (peek() == '-' || peek() == '+') skip();
    std::int64_t magnitude = 0;
    if (!digits(1, 18, magnitude)) return false;
    out = negative ? -wide{magnitude} : wide{magnitude};
    return true;
  }
  // ".123" -> 123000 microseconds: 1 to 6 digits, as the server sends; 0 when there is no '.'.
  bool fraction(std::int64_t& microseconds) noexcept {
    microseconds = 0;
    if (!accept('.')) return true;
    std::size_t count = 0;
    for (; at_ < text_.size() && is_digit(text_[at_]); ++count, ++at_) {
      if (count == 6) return false;
      microseconds = microseconds * 10 + (text_[at_] - '0');
    }
    for (std::size_t i = count; i < 6; ++i) microseconds *= 10;
    return count > 0;
  }
  bool letters(std::size_t count, std::string_view& out) noexcept {
    if (text_.size() - at_ < count) return false;
    for (std::size_t i = 0; i < count; ++i) {
      if (!is_letter(text_[at_ + i])) return false;
    }
    out = text_.substr(at_, count);
    at_ += count;
    return true;
  }
  // A run of letters (a unit name).
  std::string_view word() noexcept {
    const std::size_t start = at_;
    while (at_ < text_.size() && is_letter(text_[at_])) ++at_;
    return text_.substr(start, at_ - start);
  }

 private:
  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace pgkit::detail::scan
