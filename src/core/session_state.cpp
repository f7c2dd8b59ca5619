#include "session_state.hpp"

#include <array>
#include <cctype>

namespace pgkit::detail {
namespace {

char lower(char c) noexcept { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
bool word_char(char c) noexcept { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

bool starts_with_word(std::string_view text, std::string_view word) noexcept {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower(text[i]) != word[i]) return false;
  }
  return text.size() == word.size() || !word_char(text[word.size()]);
}

std::string_view skip_blanks_and_comments(std::string_view text) noexcept {
  for (;;) {
    while (!text.empty() && (std::isspace(static_cast<unsigned char>(text.front())) != 0 || text.front() == '(')) {
      text.remove_prefix(1);
    }
    if (text.starts_with("--")) {
      const auto end = text.find('\n');
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    } else if (text.starts_with("/*")) {
      const auto end = text.find("*/");
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 2);
    } else {
      return text;
    }
  }
}

// Statement-leading keywords with a session-wide effect.
constexpr std::array leading = {std::string_view("reset"),   std::string_view("listen"), std::string_view("declare"),
                                std::string_view("prepare"), std::string_view("discard"), std::string_view("load"),
                                std::string_view("do"),      std::string_view("call")};
// Function names anywhere in a statement.
constexpr std::array anywhere = {std::string_view("set_config"), std::string_view("pg_advisory_lock"),
                                 std::string_view("pg_try_advisory_lock")};

bool statement_changes_session(std::string_view statement) noexcept {
  statement = skip_blanks_and_comments(statement);
  if (starts_with_word(statement, "set")) {
    auto rest = skip_blanks_and_comments(statement.substr(3));
    return !starts_with_word(rest, "local");  // SET LOCAL ends with its transaction
  }
  for (auto word : leading) {
    if (starts_with_word(statement, word)) return true;
  }
  if (starts_with_word(statement, "create")) {
    auto rest = skip_blanks_and_comments(statement.substr(6));
    if (starts_with_word(rest, "or")) {  // CREATE OR REPLACE TEMP VIEW
      rest = skip_blanks_and_comments(rest.substr(2));
      if (!starts_with_word(rest, "replace")) return false;
      rest = skip_blanks_and_comments(rest.substr(7));
    }
    if (starts_with_word(rest, "temp") || starts_with_word(rest, "temporary")) return true;
    if (starts_with_word(rest, "local") || starts_with_word(rest, "global")) return true;  // ... TEMP TABLE
  }
  return false;
}

}  // namespace

bool may_change_session(std::string_view sql) noexcept {
  // Every statement of a script counts: split at semicolons (a semicolon inside a literal only makes
  // the answer more conservative).
  std::size_t start = 0;
  for (;;) {
    const auto end = sql.find(';', start);
    if (statement_changes_session(sql.substr(start, end == std::string_view::npos ? end : end - start))) return true;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  // Function calls anywhere, case-insensitively.
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = lower(sql[i]);
    if (c != 's' && c != 'p') continue;
    if (i > 0 && word_char(sql[i - 1])) continue;
    for (auto name : anywhere) {
      if (starts_with_word(sql.substr(i), name)) return true;
    }
  }
  return false;
}

}  // namespace pgkit::detail
