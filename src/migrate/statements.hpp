// The one lexer of migration SQL: tokens, and statements split at top-level semicolons. Used to run a
// non-transactional section statement by statement, to name the line of a failing statement, and by
// lint. It knows what PostgreSQL's own lexer (and psql's splitter) know about where a statement ends:
// '...' (with '' doubled), E'...' (backslash escapes), "quoted identifiers", $tag$ dollar quotes,
// -- and nested /* */ comments, parentheses, and the BEGIN ATOMIC ... END body of a SQL-standard
// function, whose inner semicolons do not end the CREATE FUNCTION.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit::migrate::detail {

enum class TokenKind {
  word,               // a keyword or unquoted identifier (may hold digits and '$')
  quoted_identifier,  // "..."
  string,             // '...', E'...', B'...', X'...', N'...' (text keeps the prefix and the quotes)
  dollar_string,      // $tag$ ... $tag$
  number,             // 42, 1.5e3
  parameter,          // $1
  punctuation,        // any other single byte: ( ) , ; : . = ...
  line_comment,       // -- ... (to the end of the line, without the newline)
  block_comment,      // /* ... */ (nested)
};

struct Token {
  TokenKind kind = TokenKind::punctuation;
  std::string_view text;   // a view into the text given to tokenize()
  std::size_t offset = 0;  // byte offset of text in the whole text
  int line = 1;            // 1-based line where the token starts
  // True for a quote or comment that runs to the end of the text (the server will report it).
  bool unterminated = false;
};

// Every token of `sql`, comments included, blanks left out. Never throws on malformed SQL: an
// unterminated quote or comment becomes one last token marked unterminated.
std::vector<Token> tokenize(std::string_view sql);

// True when `token` is a word equal to `keyword` (ASCII, case-insensitive; `keyword` in lower case).
bool is_keyword(const Token& token, std::string_view keyword) noexcept;

// A statement as a range of tokens [first, last] of tokenize()'s vector: first and last are its first
// and last non-comment tokens (the terminating ';' excluded). `comments_from` is the index of the first
// token after the previous statement's ';' (so the comments just before the statement are the tokens
// [comments_from, first)).
struct StatementTokens {
  std::size_t comments_from = 0;
  std::size_t first = 0;
  std::size_t last = 0;
};

// The statements of `tokens` (from tokenize()), empty ones dropped.
std::vector<StatementTokens> statement_ranges(const std::vector<Token>& tokens);

struct Statement {
  std::string text;  // from its first token to its last, without the terminating ';'
  int line = 0;      // 1-based line (in the text given) where the statement's first token starts
};

// The statements of `sql`, empty ones (only blanks, comments or ';') dropped.
std::vector<Statement> split_statements(std::string_view sql);

}  // namespace pgkit::migrate::detail
