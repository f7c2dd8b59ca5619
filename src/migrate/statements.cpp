#include "statements.hpp"

#include <algorithm>
#include <array>

namespace pgkit::migrate::detail {
namespace {

bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c) || c == '$';
}
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  std::vector<Token> run() {
    std::vector<Token> tokens;
    while (skip_blanks()) tokens.push_back(next());
    return tokens;
  }

 private:
  // Skips blanks, counting lines; false at the end of the text.
  bool skip_blanks() {
    while (i_ < sql_.size() && is_space(sql_[i_])) advance(1);
    return i_ < sql_.size();
  }
  void advance(std::size_t count) {
    const std::size_t end = std::min(sql_.size(), i_ + count);
    line_ += static_cast<int>(std::count(sql_.begin() + static_cast<std::ptrdiff_t>(i_),
                                         sql_.begin() + static_cast<std::ptrdiff_t>(end), '\n'));
    i_ = end;
  }
  [[nodiscard]] char at(std::size_t k) const { return k < sql_.size() ? sql_[k] : '\0'; }

  Token next() {
    Token token{.kind = TokenKind::punctuation, .text = {}, .offset = i_, .line = line_, .unterminated = false};
    const char c = sql_[i_];
    if (c == '-' && at(i_ + 1) == '-') {
      token.kind = TokenKind::line_comment;
      const auto end = sql_.find('\n', i_);
      advance((end == std::string_view::npos ? sql_.size() : end) - i_);
    } else if (c == '/' && at(i_ + 1) == '*') {
      token.kind = TokenKind::block_comment;
      token.unterminated = !skip_block_comment();
    } else if (c == '\'') {
      token.kind = TokenKind::string;
      token.unterminated = !skip_quoted('\'', false);
    } else if (c == '"') {
      token.kind = TokenKind::quoted_identifier;
      token.unterminated = !skip_quoted('"', false);
    } else if (c == '$') {
      token.kind = lex_dollar(token.unterminated);
    } else if (is_digit(c) || (c == '.' && is_digit(at(i_ + 1)))) {
      token.kind = TokenKind::number;
      lex_number();
    } else if (is_ident_start(c)) {
      token.kind = lex_word(token.unterminated);
    } else {
      advance(1);
    }
    token.text = sql_.substr(token.offset, i_ - token.offset);
    return token;
  }

  // From an opening `quote` past its closing one (a doubled quote stands for itself; with `escapes`, a
  // backslash escapes the next byte). False when the text ends first.
  bool skip_quoted(char quote, bool escapes) {
    advance(1);
    while (i_ < sql_.size()) {
      const char c = sql_[i_];
      if ((escapes && c == '\\') || (c == quote && at(i_ + 1) == quote)) {
        advance(2);
      } else {
        advance(1);
        if (c == quote) return true;
      }
    }
    return false;
  }

  // From "/*" past the matching "*/": PostgreSQL's block comments nest.
  bool skip_block_comment() {
    int depth = 0;
    while (i_ < sql_.size()) {
      if (sql_[i_] == '/' && at(i_ + 1) == '*') {
        ++depth;
        advance(2);
      } else if (sql_[i_] == '*' && at(i_ + 1) == '/') {
        advance(2);
        if (--depth == 0) return true;
      } else {
        advance(1);
      }
    }
    return false;
  }

  // At '$': a parameter $1, a dollar quote $tag$ ... $tag$ (the tag may be empty), or a lone '$'.
  TokenKind lex_dollar(bool& unterminated) {
    if (is_digit(at(i_ + 1))) {
      advance(1);
      while (is_digit(at(i_))) advance(1);
      return TokenKind::parameter;
    }
    std::size_t j = i_ + 1;
    if (is_ident_start(at(j))) {
      while (j < sql_.size() && is_ident_char(sql_[j]) && sql_[j] != '$') ++j;
    }
    if (at(j) != '$') {
      advance(1);
      return TokenKind::punctuation;
    }
    const std::string_view tag = sql_.substr(i_, j - i_ + 1);
    const auto close = sql_.find(tag, j + 1);
    unterminated = close == std::string_view::npos;
    advance((unterminated ? sql_.size() : close + tag.size()) - i_);
    return TokenKind::dollar_string;
  }

  void lex_number() {
    while (i_ < sql_.size()) {
      const char c = sql_[i_];
      const bool exponent_sign = (c == '+' || c == '-') && (lower(sql_[i_ - 1]) == 'e');
      if (!is_digit(c) && c != '.' && c != '_' && !is_ident_start(c) && !exponent_sign) break;
      if (c == '.' && at(i_ + 1) == '.') break;  // a range 1..2 in PL/pgSQL text is not a number
      advance(1);
    }
  }

  // A word, or a prefixed string: E'...' (backslash escapes), B'...', X'...', N'...', U&'...' is left
  // to the word U, '&' and a plain string (it takes no backslash escapes).
  TokenKind lex_word(bool& unterminated) {
    const std::size_t start = i_;
    while (i_ < sql_.size() && is_ident_char(sql_[i_])) advance(1);
    if (i_ - start == 1 && at(i_) == '\'') {
      const char prefix = lower(sql_[start]);
      if (prefix == 'e' || prefix == 'b' || prefix == 'x' || prefix == 'n') {
        unterminated = !skip_quoted('\'', prefix == 'e');
        return TokenKind::string;
      }
    }
    return TokenKind::word;
  }

  std::string_view sql_;
  std::size_t i_ = 0;
  int line_ = 1;
};

bool is_comment(const Token& token) {
  return token.kind == TokenKind::line_comment || token.kind == TokenKind::block_comment;
}

// psql's rule for a body BEGIN ... END (psqlscan.l): only in a statement that starts CREATE [OR
// REPLACE] {FUNCTION | PROCEDURE}, outside parentheses, BEGIN opens a block, CASE inside a block opens
// another (it ends with END too), and END closes one. Semicolons inside a block do not end the statement.
class BodyTracker {
 public:
  void reset() {
    words_ = 0;
    routine_ = false;
    depth_ = 0;
  }
  void see(const Token& token, int paren_depth) {
    if (token.kind != TokenKind::word) return;
    if (words_ < lead_.size()) lead_[words_] = token;
    ++words_;
    if (words_ == 2 || words_ == 4) routine_ = starts_routine();
    if (!routine_ || paren_depth != 0) return;
    if (is_keyword(token, "begin") || (is_keyword(token, "case") && depth_ > 0)) {
      ++depth_;
    } else if (is_keyword(token, "end") && depth_ > 0) {
      --depth_;
    }
  }
  [[nodiscard]] bool inside_body() const { return depth_ > 0; }

 private:
  [[nodiscard]] bool starts_routine() const {
    const auto routine = [](const Token& t) { return is_keyword(t, "function") || is_keyword(t, "procedure"); };
    if (!is_keyword(lead_[0], "create")) return false;
    if (routine(lead_[1])) return true;
    return words_ >= 4 && is_keyword(lead_[1], "or") && is_keyword(lead_[2], "replace") && routine(lead_[3]);
  }

  std::array<Token, 4> lead_{};
  std::size_t words_ = 0;
  bool routine_ = false;
  int depth_ = 0;
};

}  // namespace

std::vector<Token> tokenize(std::string_view sql) {
  return Lexer(sql).run();
}

bool is_keyword(const Token& token, std::string_view keyword) noexcept {
  if (token.kind != TokenKind::word || token.text.size() != keyword.size()) return false;
  for (std::size_t k = 0; k < keyword.size(); ++k) {
    if (lower(token.text[k]) != keyword[k]) return false;
  }
  return true;
}

std::vector<StatementTokens> statement_ranges(const std::vector<Token>& tokens) {
  std::vector<StatementTokens> statements;
  BodyTracker body;
  StatementTokens current;
  bool started = false;
  int paren_depth = 0;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    const Token& token = tokens[k];
    if (is_comment(token)) continue;
    const bool semicolon = token.kind == TokenKind::punctuation && token.text == ";";
    if (semicolon && paren_depth == 0 && !body.inside_body()) {
      if (started) statements.push_back(current);
      current = StatementTokens{.comments_from = k + 1, .first = 0, .last = 0};
      started = false;
      body.reset();
      continue;
    }
    if (!started) {
      current.first = k;
      started = true;
    }
    current.last = k;
    if (token.kind == TokenKind::punctuation && token.text == "(") ++paren_depth;
    if (token.kind == TokenKind::punctuation && token.text == ")" && paren_depth > 0) --paren_depth;
    body.see(token, paren_depth);
  }
  if (started) statements.push_back(current);
  return statements;
}

std::vector<Statement> split_statements(std::string_view sql) {
  const std::vector<Token> tokens = tokenize(sql);
  std::vector<Statement> statements;
  for (const StatementTokens& range : statement_ranges(tokens)) {
    const Token& first = tokens[range.first];
    const Token& last = tokens[range.last];
    const std::size_t end = last.offset + last.text.size();
    statements.push_back(
        Statement{.text = std::string(sql.substr(first.offset, end - first.offset)), .line = first.line});
  }
  return statements;
}

}  // namespace pgkit::migrate::detail
