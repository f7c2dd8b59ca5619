// A lexical scan of SQL text, enough to know its $n placeholders and whether it holds several
// statements, skipping quoted strings, quoted identifiers, dollar quotes and comments.
#pragma once

#include <string_view>

namespace pgkit::detail {

struct SqlScan {
  int highest_placeholder = 0;      // the largest n of $n (0: none)
  bool several_statements = false;  // something other than blanks and comments after a top-level ';'
  bool unterminated = false;        // a quote or comment runs to the end (the server will say more)
};

SqlScan scan_sql(std::string_view sql) noexcept;

// Throws InterfaceError when `sql` holds a NUL byte: libpq sends text up to its first NUL, so the server
// would run a truncated statement.
void require_no_nul(std::string_view sql);

}  // namespace pgkit::detail
