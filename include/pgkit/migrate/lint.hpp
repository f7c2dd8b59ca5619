// Migration lint: statements that hold heavy locks on existing tables for long, or that fail where
// they run, each with the safer pattern to use (in the spirit of squawk and strong_migrations).
//
//   for (const auto& f : pgkit::migrate::lint(file_text))
//     if (!f.accepted) fmt::print("line {}: [{}] {}\n", f.line, f.rule, f.message);
//
// The text is a migration file (its `-- migrate:up` / `-- migrate:down` sections are told apart, and
// `-- pgkit:no-transaction` applies to the section it is in) or plain SQL (one transactional section).
// A table created earlier in the same text is new and empty: rules about locking existing tables do not
// apply to it. A comment `-- pgkit:lint-ok <rule> [<rule>...]` just before a statement accepts those
// findings for that statement: they are still returned, with `accepted` set. The rules, with the
// safer patterns, are listed in docs/migrate.md and by lint_rules().
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pgkit::migrate {

struct LintFinding {
  std::string rule;       // a rule id, e.g. "index-not-concurrent"
  int line = 0;           // 1-based line (in the text given) where the statement starts
  std::string statement;  // the statement, blanks collapsed, cut to about 100 bytes
  std::string message;    // what the statement does, why it hurts, and the safer pattern
  bool accepted = false;  // a `-- pgkit:lint-ok <rule>` comment before the statement accepts it
};

struct LintRule {
  std::string_view id;
  std::string_view summary;  // what is flagged
  std::string_view safer;    // the safer pattern
};

// The findings of `sql`, in statement order. Never fails on SQL it does not understand (that statement
// is simply not flagged); throws InterfaceError for a text holding a NUL byte.
std::vector<LintFinding> lint(std::string_view sql);

// Every rule lint() applies.
const std::vector<LintRule>& lint_rules();

}  // namespace pgkit::migrate
