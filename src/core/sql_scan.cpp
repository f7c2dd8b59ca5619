#include "sql_scan.hpp"

#include <pgkit/errors.hpp>

#include <fmt/format.h>

#include <limits>

namespace pgkit::detail {
namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_ident_char(char c) { return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Moves `i` from an opening `quote` past its closing one (a doubled quote stands for itself; with
// `escapes`, a backslash escapes the next byte). False when the text ends first.
bool skip_quoted(std::string_view sql, std::size_t& i, char quote, bool escapes) {
  ++i;
  while (i < sql.size()) {
    const bool escaped = escapes && sql[i] == '\\';
    const bool doubled = sql[i] == quote && i + 1 < sql.size() && sql[i + 1] == quote;
    if (escaped || doubled) {
      i += 2;  // the byte escaped, or the quote doubled, stands for itself
    } else if (sql[i] != quote) {
      ++i;
    } else {
      ++i;
      return true;
    }
  }
  i = sql.size();
  return false;
}

// Moves `i` from "/*" past the matching "*/"; PostgreSQL's block comments nest. False when the text
// ends first.
bool skip_block_comment(std::string_view sql, std::size_t& i) {
  const std::size_t n = sql.size();
  int depth = 1;
  i += 2;
  while (i < n && depth > 0) {
    if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
      ++depth;
      i += 2;
    } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
      --depth;
      i += 2;
    } else {
      ++i;
    }
  }
  return depth == 0;
}

// At a '$': a placeholder $n (noted in `scan`), a dollar-quoted string $tag$ ... $tag$ (skipped; the
// tag may be empty), or a lone '$'. Moves `i` past it.
void scan_dollar(std::string_view sql, std::size_t& i, SqlScan& scan) {
  const std::size_t n = sql.size();
  if (i + 1 < n && is_digit(sql[i + 1])) {
    std::size_t j = i + 1;
    long value = 0;
    while (j < n && is_digit(sql[j])) {
      if (value < std::numeric_limits<int>::max() / 10) value = value * 10 + (sql[j] - '0');
      ++j;
    }
    if (value > scan.highest_placeholder) scan.highest_placeholder = static_cast<int>(value);
    i = j;
    return;
  }
  std::size_t j = i + 1;
  if (j < n && is_ident_start(sql[j])) {
    ++j;
    while (j < n && is_ident_char(sql[j]) && sql[j] != '$') ++j;
  }
  if (j >= n || sql[j] != '$') {
    ++i;
    return;
  }
  const std::string_view tag = sql.substr(i, j - i + 1);
  const auto close = sql.find(tag, j + 1);
  if (close == std::string_view::npos) {
    scan.unterminated = true;
    i = n;
  } else {
    i = close + tag.size();
  }
}

}  // namespace

SqlScan scan_sql(std::string_view sql) noexcept {
  SqlScan scan;
  const std::size_t n = sql.size();
  bool after_semicolon = false;
  std::size_t i = 0;
  while (i < n) {
    const char c = sql[i];
    if (is_space(c)) {
      ++i;
      continue;
    }
    if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      scan.unterminated = !skip_block_comment(sql, i) || scan.unterminated;
      continue;
    }
    if (after_semicolon && c != ';') scan.several_statements = true;
    if (c == ';') {
      after_semicolon = true;
      ++i;
      continue;
    }
    if (c == '\'') {
      // E'...' strings take backslash escapes; others only double the quote.
      const bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') && (i < 2 || !is_ident_char(sql[i - 2]));
      scan.unterminated = !skip_quoted(sql, i, '\'', escapes) || scan.unterminated;
      continue;
    }
    if (c == '"') {
      scan.unterminated = !skip_quoted(sql, i, '"', false) || scan.unterminated;
      continue;
    }
    if (c == '$') {
      scan_dollar(sql, i, scan);
      continue;
    }
    if (is_ident_start(c)) {
      // Identifiers and keywords may contain '$' and digits ("a$1" is not a placeholder).
      while (i < n && is_ident_char(sql[i])) ++i;
      continue;
    }
    ++i;
  }
  return scan;
}

void require_no_nul(std::string_view sql) {
  if (const auto at = sql.find('\0'); at != std::string_view::npos) {
    throw InterfaceError(fmt::format("the SQL text holds a NUL byte at offset {} (of {}); libpq would send only "
                                     "what comes before it. Pass binary data as a parameter (pgkit::Bytes)",
                                     at, sql.size()));
  }
}

}  // namespace pgkit::detail
