#include "statements.hpp"

#include <pgkit/errors.hpp>
#include <pgkit/migrate/lint.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit::migrate {
namespace {

using detail::is_keyword;
using detail::Token;
using detail::TokenKind;
using Tokens = std::span<const Token>;

// The rules, the one place their ids and safer patterns are written.
const std::vector<LintRule>& rules() {
  static const std::vector<LintRule> all = {
      {"index-not-concurrent",
       "CREATE INDEX without CONCURRENTLY on an existing table: writes to it wait while the index builds",
       "CREATE INDEX CONCURRENTLY, in a migration of its own marked -- pgkit:no-transaction (if it fails it leaves "
       "an INVALID index: DROP INDEX CONCURRENTLY it and run again)"},
      {"needs-no-transaction",
       "a statement that cannot run inside a transaction block (CREATE/DROP INDEX CONCURRENTLY, REINDEX "
       "CONCURRENTLY, VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM, ...) in a transactional migration: it fails",
       "put it in a migration marked -- pgkit:no-transaction, alone or with statements that are safe to run again"},
      {"volatile-default",
       "ADD COLUMN with a volatile default (random(), gen_random_uuid(), clock_timestamp(), nextval(), serial, "
       "identity, a stored generated column): the table is rewritten under an ACCESS EXCLUSIVE lock",
       "add the column without a default (or with a constant or stable one such as now()), then ALTER COLUMN ... SET "
       "DEFAULT for new rows, and fill existing rows in batches"},
      {"set-not-null",
       "SET NOT NULL without a validated CHECK (col IS NOT NULL): the whole table is scanned under an "
       "ACCESS EXCLUSIVE lock",
       "ADD CONSTRAINT c CHECK (col IS NOT NULL) NOT VALID; VALIDATE CONSTRAINT c (a later migration); then SET NOT "
       "NULL, which uses the validated check and skips the scan (PostgreSQL 12+), and DROP CONSTRAINT c"},
      {"column-type-rewrite",
       "ALTER COLUMN TYPE that rewrites the table and its indexes under an ACCESS EXCLUSIVE lock",
       "expand/contract: add a column of the new type, fill it in batches and keep it in step, switch readers, then "
       "drop the old column. No rewrite: varchar(n) to a larger n, varchar or text; numeric(p,s) to a larger p with "
       "the same s, or to numeric"},
      {"foreign-key-validates", "ADD FOREIGN KEY without NOT VALID: both tables are locked while every row is checked",
       "ADD CONSTRAINT ... FOREIGN KEY ... NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration "
       "(it holds a SHARE UPDATE EXCLUSIVE lock only)"},
      {"check-validates", "ADD CHECK without NOT VALID: the table is scanned under an ACCESS EXCLUSIVE lock",
       "ADD CONSTRAINT ... CHECK (...) NOT VALID, then ALTER TABLE ... VALIDATE CONSTRAINT in a later migration"},
      {"constraint-builds-index", "ADD UNIQUE / PRIMARY KEY / EXCLUDE builds its index while writes to the table wait",
       "CREATE UNIQUE INDEX CONCURRENTLY (a -- pgkit:no-transaction migration), then ADD CONSTRAINT c UNIQUE USING "
       "INDEX i (or PRIMARY KEY USING INDEX i)"},
      {"drop-column", "DROP COLUMN while running code may still read or write it (ORMs list every column)",
       "expand/contract: first deploy code that no longer uses the column, then drop it in a later migration"},
      {"rename-column", "RENAME COLUMN while running code still uses the old name",
       "expand/contract: add the new column, write both, fill it, switch readers, then drop the old one"},
      {"rename-table", "RENAME TO (a table) while running code still uses the old name",
       "expand/contract: keep the old name as a view over the renamed table until no running code uses it"},
      {"enum-value-in-transaction",
       "a value added by ALTER TYPE ... ADD VALUE used in the same transaction: it fails (unsafe use of new value)",
       "add the value in a migration of its own (it can be used once that commits), or mark the section -- "
       "pgkit:no-transaction"},
      {"lint-ok-unknown-rule", "a -- pgkit:lint-ok comment names a rule lint does not have",
       "use one of the rule ids listed in docs/migrate.md (pgkit migrate lint --help)"},
  };
  return all;
}

const LintRule& rule(std::string_view id) {
  for (const LintRule& r : rules()) {
    if (r.id == id) return r;
  }
  throw std::logic_error(fmt::format("pgkit: no lint rule '{}'", id));
}

// A table or column name as PostgreSQL resolves it: unquoted words fold to lower case.
std::string normalized(const Token& token) {
  std::string out;
  if (token.kind == TokenKind::quoted_identifier) {
    for (std::size_t k = 1; k + 1 < token.text.size(); ++k) {
      out += token.text[k];
      if (token.text[k] == '"') ++k;  // "" stands for "
    }
    return out;
  }
  for (const char c : token.text) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}

bool is_name(const Token& t) {
  return t.kind == TokenKind::word || t.kind == TokenKind::quoted_identifier;
}
bool is_punct(const Token& t, char c) {
  return t.kind == TokenKind::punctuation && t.text.size() == 1 && t.text[0] == c;
}

struct Name {
  std::string schema;
  std::string name;
  [[nodiscard]] std::string shown() const { return schema.empty() ? name : schema + "." + name; }
  // An unqualified name matches any schema: lint does not know the search_path.
  [[nodiscard]] bool same(const Name& other) const {
    return name == other.name && (schema.empty() || other.schema.empty() || schema == other.schema);
  }
};

// A cursor over a statement's tokens (comments removed).
class Cursor {
 public:
  explicit Cursor(Tokens tokens) : tokens_(tokens) {}
  [[nodiscard]] bool done() const { return k_ >= tokens_.size(); }
  [[nodiscard]] const Token& peek(std::size_t ahead = 0) const {
    static const Token none{};
    return k_ + ahead < tokens_.size() ? tokens_[k_ + ahead] : none;
  }
  void skip(std::size_t count = 1) { k_ = std::min(tokens_.size(), k_ + count); }
  bool accept(std::string_view keyword) {
    if (!is_keyword(peek(), keyword)) return false;
    ++k_;
    return true;
  }
  bool accept(std::initializer_list<std::string_view> keywords) {
    std::size_t ahead = 0;
    for (const auto keyword : keywords) {
      if (!is_keyword(peek(ahead++), keyword)) return false;
    }
    k_ += keywords.size();
    return true;
  }
  // A possibly qualified name: a, s.a, "S"."a".
  std::optional<Name> name() {
    if (!is_name(peek())) return std::nullopt;
    Name result{.schema = {}, .name = normalized(peek())};
    ++k_;
    while (is_punct(peek(), '.') && is_name(peek(1))) {
      result.schema = result.name;
      result.name = normalized(peek(1));
      k_ += 2;
    }
    return result;
  }
  [[nodiscard]] Tokens rest() const { return tokens_.subspan(std::min(k_, tokens_.size())); }

 private:
  Tokens tokens_;
  std::size_t k_ = 0;
};

// The index of the first `keyword` at parenthesis depth 0 in `tokens`, or tokens.size().
std::size_t find_top_level(Tokens tokens, std::string_view keyword) {
  int depth = 0;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    if (is_punct(tokens[k], '(')) ++depth;
    if (is_punct(tokens[k], ')')) --depth;
    if (depth == 0 && is_keyword(tokens[k], keyword)) return k;
  }
  return tokens.size();
}
bool has_top_level_pair(Tokens tokens, std::string_view first, std::string_view second) {
  const std::size_t k = find_top_level(tokens, first);
  if (k >= tokens.size()) return false;
  if (k + 1 < tokens.size() && is_keyword(tokens[k + 1], second)) return true;
  return has_top_level_pair(tokens.subspan(k + 1), first, second);
}

// ALTER TABLE's actions, split at commas outside parentheses.
std::vector<Tokens> split_actions(Tokens tokens) {
  std::vector<Tokens> actions;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t k = 0; k < tokens.size(); ++k) {
    if (is_punct(tokens[k], '(')) ++depth;
    if (is_punct(tokens[k], ')')) --depth;
    if (depth == 0 && is_punct(tokens[k], ',')) {
      actions.push_back(tokens.subspan(start, k - start));
      start = k + 1;
    }
  }
  actions.push_back(tokens.subspan(start));
  return actions;
}

// A column type as far as the rewrite rule needs it: varchar(20) -> {varchar, {20}}.
struct TypeSpec {
  std::string base;
  std::vector<long> modifiers;
};

TypeSpec parse_type(Tokens tokens) {
  TypeSpec spec;
  std::size_t k = 0;
  for (; k < tokens.size() && is_name(tokens[k]); ++k)
    spec.base += (spec.base.empty() ? "" : " ") + normalized(tokens[k]);
  if (spec.base == "character varying" || spec.base == "char varying") spec.base = "varchar";
  if (spec.base == "decimal") spec.base = "numeric";
  if (k < tokens.size() && is_punct(tokens[k], '(')) {
    for (++k; k < tokens.size() && !is_punct(tokens[k], ')'); ++k) {
      if (tokens[k].kind == TokenKind::number) spec.modifiers.push_back(std::atol(std::string(tokens[k].text).c_str()));
    }
    ++k;
  }
  if (k < tokens.size()) spec.base += "[]";  // an array or anything else lint does not know: treated as other
  return spec;
}

// Whether changing a column from `from` (nullopt: not known here) to `to` needs no rewrite. Without the
// old type, a change to text, varchar or numeric is trusted to be one of the widenings.
bool rewrite_free(const std::optional<TypeSpec>& from, const TypeSpec& to) {
  const bool to_text = to.base == "text" || (to.base == "varchar" && to.modifiers.empty());
  if (!from) return to_text || to.base == "varchar" || to.base == "numeric";
  if (from->base == "varchar" || from->base == "text") {
    if (to_text) return true;
    return from->base == "varchar" && to.base == "varchar" && !from->modifiers.empty() &&
           to.modifiers.front() >= from->modifiers.front();
  }
  if (from->base == "numeric" && to.base == "numeric") {
    if (to.modifiers.empty()) return true;
    if (from->modifiers.empty()) return false;
    const long from_scale = from->modifiers.size() > 1 ? from->modifiers[1] : 0;
    const long to_scale = to.modifiers.size() > 1 ? to.modifiers[1] : 0;
    return to.modifiers[0] >= from->modifiers[0] && to_scale == from_scale;
  }
  return false;
}

bool is_volatile_function(const Token& name) {
  static constexpr std::string_view names[] = {
      "random",           "random_normal",      "gen_random_uuid",  "uuidv4",          "uuidv7",
      "uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v4", "clock_timestamp", "timeofday",
      "nextval"};
  return std::any_of(std::begin(names), std::end(names), [&](std::string_view n) { return is_keyword(name, n); });
}

// The column facts lint learns from the text itself, and the markers of its sections.
struct NotNullCheck {
  Name table;
  std::string column;
  std::string constraint;
  bool validated = false;
};
struct KnownColumn {
  Name table;
  std::string column;
  TypeSpec type;
};
struct PendingEnumValue {
  std::string_view label;  // the string token as written, quotes included
  std::size_t section = 0;
  int line = 0;
};
struct Section {
  std::size_t offset = 0;
  bool transactional = true;
};

class Linter {
 public:
  explicit Linter(std::string_view sql) : sql_(sql), tokens_(detail::tokenize(sql)) { find_sections(); }

  std::vector<LintFinding> run() {
    for (const auto& range : detail::statement_ranges(tokens_)) {
      std::vector<Token> words;
      for (std::size_t k = range.first; k <= range.last; ++k) {
        if (tokens_[k].kind != TokenKind::line_comment && tokens_[k].kind != TokenKind::block_comment) {
          words.push_back(tokens_[k]);
        }
      }
      const std::size_t before = findings_.size();
      section_ = section_of(tokens_[range.first].offset);
      statement_ = excerpt(range);
      line_ = tokens_[range.first].line;
      check_statement(words);
      accept(range, before);
    }
    return std::move(findings_);
  }

 private:
  void flag(std::string_view id, std::string what) {
    findings_.push_back(LintFinding{.rule = std::string(rule(id).id),
                                    .line = line_,
                                    .statement = statement_,
                                    .message = fmt::format("{}. Safer: {}", what, rule(id).safer),
                                    .accepted = false});
  }

  void check_statement(const std::vector<Token>& words) {
    check_enum_use(words);
    Cursor c(words);
    if (c.accept("create")) {
      check_create(c);
    } else if (c.accept({"alter", "table"})) {
      check_alter_table(c);
    } else if (c.accept({"alter", "type"})) {
      check_alter_type(c);
    } else {
      check_transaction_unsafe(words);
    }
  }

  [[nodiscard]] bool transactional() const { return sections_[section_].transactional; }
  [[nodiscard]] bool created_here(const Name& table) const {
    return std::any_of(created_.begin(), created_.end(), [&](const Name& n) { return n.same(table); });
  }

  void check_create(Cursor& c) {
    c.accept("unique");
    if (c.accept("index")) return check_create_index(c);
    while (c.accept("global") || c.accept("local") || c.accept("temporary") || c.accept("temp") ||
           c.accept("unlogged")) {
    }
    if (c.accept("table") || c.accept({"materialized", "view"})) {
      c.accept({"if", "not", "exists"});
      if (auto name = c.name()) created_.push_back(*name);
    } else if (c.accept("database") || c.accept("tablespace")) {
      needs_no_transaction("CREATE DATABASE / TABLESPACE");
    }
  }

  void check_create_index(Cursor& c) {
    const bool concurrently = c.accept("concurrently");
    const Tokens rest = c.rest();
    const std::size_t on = find_top_level(rest, "on");
    if (on >= rest.size()) return;
    Cursor table_cursor(rest.subspan(on + 1));
    table_cursor.accept("only");
    const auto table = table_cursor.name();
    if (concurrently) return needs_no_transaction("CREATE INDEX CONCURRENTLY");
    if (table && !created_here(*table)) {
      flag("index-not-concurrent",
           fmt::format("CREATE INDEX on {} without CONCURRENTLY blocks writes to the table while the index builds",
                       table->shown()));
    }
  }

  void needs_no_transaction(std::string_view what) {
    if (!transactional()) return;
    flag("needs-no-transaction",
         fmt::format("{} cannot run inside a transaction block, and this migration runs in one", what));
  }

  void check_transaction_unsafe(const std::vector<Token>& words) {
    Cursor c(words);
    if (c.accept({"drop", "index", "concurrently"})) return needs_no_transaction("DROP INDEX CONCURRENTLY");
    if (c.accept({"drop", "database"}) || c.accept({"drop", "tablespace"})) {
      return needs_no_transaction("DROP DATABASE / TABLESPACE");
    }
    if (c.accept({"alter", "system"})) return needs_no_transaction("ALTER SYSTEM");
    if (c.accept("vacuum")) return needs_no_transaction("VACUUM");
    if (c.accept("reindex") &&
        std::any_of(c.rest().begin(), c.rest().end(), [](const Token& t) { return is_keyword(t, "concurrently"); })) {
      needs_no_transaction("REINDEX CONCURRENTLY");  // also REINDEX (CONCURRENTLY) ...
    }
  }

  void check_alter_table(Cursor& c) {
    c.accept({"if", "exists"});
    c.accept("only");
    const auto table = c.name();
    if (!table) return;
    if (is_punct(c.peek(), '*')) c.skip();
    if (c.accept("rename")) return check_rename(c, *table);
    for (const Tokens action : split_actions(c.rest())) {
      Cursor a(action);
      if (a.accept("add")) {
        check_add(a, *table);
      } else if (a.accept("alter")) {
        check_alter_column(a, *table);
      } else if (a.accept("drop")) {
        check_drop(a, *table);
      } else if (a.accept({"validate", "constraint"})) {
        const auto constraint = a.name();
        for (NotNullCheck& check : checks_) {
          if (constraint && check.constraint == constraint->name && check.table.same(*table)) check.validated = true;
        }
      }
    }
  }

  void check_rename(Cursor& c, const Name& table) {
    if (created_here(table) || c.accept("constraint")) return;
    if (c.accept("to")) {
      flag("rename-table",
           fmt::format("RENAME of table {} breaks running code that still uses the old name", table.shown()));
      return;
    }
    c.accept("column");
    const auto column = c.name();
    if (!column || added_here(table, column->name)) return;
    flag("rename-column", fmt::format("RENAME COLUMN {} of {} breaks running code that still uses the old name",
                                      column->name, table.shown()));
  }

  void check_drop(Cursor& a, const Name& table) {
    if (a.accept("constraint")) return;
    a.accept("column");
    a.accept({"if", "exists"});
    const auto column = a.name();
    if (!column || created_here(table) || added_here(table, column->name)) return;
    flag("drop-column", fmt::format("DROP COLUMN {} of {} breaks running code that still reads or writes it",
                                    column->name, table.shown()));
  }

  [[nodiscard]] bool added_here(const Name& table, const std::string& column) const {
    return find_column(table, column) != nullptr;
  }
  [[nodiscard]] const KnownColumn* find_column(const Name& table, const std::string& column) const {
    for (const KnownColumn& known : columns_) {
      if (known.column == column && known.table.same(table)) return &known;
    }
    return nullptr;
  }

  void check_add(Cursor& a, const Name& table) {
    const bool constraint = a.accept("constraint");
    const auto constraint_name = constraint ? a.name() : std::nullopt;
    const Token& kind = a.peek();
    if (constraint || is_keyword(kind, "check") || is_keyword(kind, "foreign") || is_keyword(kind, "unique") ||
        is_keyword(kind, "primary") || is_keyword(kind, "exclude")) {
      return check_add_constraint(a, table, constraint_name ? constraint_name->name : std::string());
    }
    a.accept("column");
    a.accept({"if", "not", "exists"});
    const auto column = a.name();
    if (!column) return;
    const Tokens definition = a.rest();
    static constexpr std::string_view ends[] = {"default", "not",     "null",       "constraint", "check",
                                                "unique",  "primary", "references", "generated",  "collate"};
    std::size_t type_end = definition.size();
    for (const auto end : ends) type_end = std::min(type_end, find_top_level(definition, end));
    columns_.push_back(
        KnownColumn{.table = table, .column = column->name, .type = parse_type(definition.first(type_end))});
    if (!created_here(table)) check_new_column_default(definition, type_end, table, column->name);
  }

  void check_new_column_default(Tokens definition, std::size_t type_end, const Name& table, const std::string& column) {
    const std::string& type = columns_.back().type.base;
    std::string why;
    if (type == "serial" || type == "bigserial" || type == "smallserial" || type == "serial2" || type == "serial4" ||
        type == "serial8") {
      why = fmt::format("a {} column takes its default from nextval()", type);
    } else if (has_top_level_pair(definition, "as", "identity")) {
      why = "an identity column takes its default from a sequence";
    } else if (has_top_level_pair(definition, "generated", "always") &&
               find_top_level(definition, "stored") < definition.size()) {
      why = "a stored generated column is computed for every row";
    } else {
      const std::size_t start = find_top_level(definition, "default");
      for (std::size_t k = start; k + 1 < definition.size(); ++k) {
        if (k >= type_end && is_volatile_function(definition[k]) && is_punct(definition[k + 1], '(')) {
          why =
              fmt::format("its default {}() is volatile, so every existing row gets its own value", definition[k].text);
          break;
        }
      }
    }
    if (why.empty()) return;
    flag("volatile-default", fmt::format("ADD COLUMN {} to {} rewrites the table under an ACCESS EXCLUSIVE lock: {}",
                                         column, table.shown(), why));
  }

  void check_add_constraint(Cursor& a, const Name& table, const std::string& name) {
    const Tokens rest = a.rest();
    const bool not_valid = has_top_level_pair(rest, "not", "valid");
    const bool exempt = created_here(table);
    if (a.accept("check")) {
      record_not_null_check(a.rest(), table, name, !not_valid);
      if (!not_valid && !exempt) {
        flag("check-validates",
             fmt::format("ADD CHECK on {} scans the table under an ACCESS EXCLUSIVE lock", table.shown()));
      }
    } else if (a.accept({"foreign", "key"})) {
      if (!not_valid && !exempt) {
        flag("foreign-key-validates", fmt::format("ADD FOREIGN KEY on {} checks every row while both tables are "
                                                  "locked against writes",
                                                  table.shown()));
      }
    } else if (!has_top_level_pair(rest, "using", "index") && !exempt) {
      flag("constraint-builds-index",
           fmt::format("ADD {} on {} builds an index while writes to the table wait", a.peek().text, table.shown()));
    }
  }

  // A CHECK (col IS NOT NULL), with any number of parentheses around it, lets SET NOT NULL skip its scan.
  void record_not_null_check(Tokens body, const Name& table, const std::string& name, bool validated) {
    while (body.size() >= 2 && is_punct(body.front(), '(') && is_punct(body[body.size() - 1], ')')) {
      body = body.subspan(1, body.size() - 2);
    }
    if (has_top_level_pair(body, "not", "valid")) body = body.first(body.size() - 2);
    while (body.size() >= 2 && is_punct(body.front(), '(') && is_punct(body[body.size() - 1], ')')) {
      body = body.subspan(1, body.size() - 2);
    }
    if (body.size() != 4 || !is_name(body[0]) || !is_keyword(body[1], "is") || !is_keyword(body[2], "not") ||
        !is_keyword(body[3], "null")) {
      return;
    }
    checks_.push_back(
        NotNullCheck{.table = table, .column = normalized(body[0]), .constraint = name, .validated = validated});
  }

  void check_alter_column(Cursor& a, const Name& table) {
    a.accept("column");
    const auto column = a.name();
    if (!column || created_here(table)) return;
    if (a.accept({"set", "not", "null"})) {
      const bool checked = std::any_of(checks_.begin(), checks_.end(), [&](const NotNullCheck& check) {
        return check.validated && check.column == column->name && check.table.same(table);
      });
      if (!checked) {
        flag("set-not-null", fmt::format("SET NOT NULL on {}.{} scans the whole table under an ACCESS EXCLUSIVE lock",
                                         table.shown(), column->name));
      }
      return;
    }
    if (!a.accept({"set", "data", "type"}) && !a.accept("type")) return;
    const Tokens rest = a.rest();
    const std::size_t end = std::min(find_top_level(rest, "using"), find_top_level(rest, "collate"));
    const TypeSpec to = parse_type(rest.first(end));
    const KnownColumn* known = find_column(table, column->name);
    const auto from = known ? std::optional<TypeSpec>(known->type) : std::nullopt;
    const bool using_clause = find_top_level(rest, "using") < rest.size();
    if (using_clause || !rewrite_free(from, to)) {
      flag("column-type-rewrite", fmt::format("ALTER COLUMN {} TYPE {} rewrites {} and its indexes under an ACCESS "
                                              "EXCLUSIVE lock",
                                              column->name, to.base, table.shown()));
    }
    if (known) columns_[static_cast<std::size_t>(known - columns_.data())].type = to;
  }

  void check_alter_type(Cursor& c) {
    if (!c.name() || !c.accept({"add", "value"})) return;
    c.accept({"if", "not", "exists"});
    if (c.peek().kind == TokenKind::string && transactional()) {
      pending_.push_back(PendingEnumValue{.label = c.peek().text, .section = section_, .line = line_});
    }
  }

  void check_enum_use(const std::vector<Token>& words) {
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      const bool used = it->section == section_ && std::any_of(words.begin(), words.end(), [&](const Token& t) {
                          return t.kind == TokenKind::string && t.text == it->label;
                        });
      if (!used) continue;
      flag("enum-value-in-transaction", fmt::format("the enum value {} added at line {} is used in the same "
                                                    "transaction, which fails",
                                                    it->label, it->line));
      pending_.erase(it);
      return;
    }
  }

  // The body of a `-- ...` comment, blanks trimmed.
  static std::string_view comment_body(const Token& token) {
    if (token.kind != TokenKind::line_comment) return {};
    std::string_view body = token.text.substr(2);
    while (!body.empty() && (body.front() == ' ' || body.front() == '\t')) body.remove_prefix(1);
    while (!body.empty() && (body.back() == ' ' || body.back() == '\t' || body.back() == '\r')) body.remove_suffix(1);
    return body;
  }

  // `-- pgkit:lint-ok <rule>...` comments between the previous statement and this one accept findings.
  void accept(const detail::StatementTokens& range, std::size_t first_finding) {
    constexpr std::string_view marker = "pgkit:lint-ok";
    const std::size_t end = findings_.size();
    for (std::size_t k = range.comments_from; k < range.first; ++k) {
      std::string_view body = comment_body(tokens_[k]);
      if (!body.starts_with(marker)) continue;
      body.remove_prefix(marker.size());
      while (!body.empty()) {
        const auto start = body.find_first_not_of(" \t,");
        if (start == std::string_view::npos) break;
        body.remove_prefix(start);
        const std::string_view id = body.substr(0, body.find_first_of(" \t,"));
        body.remove_prefix(id.size());
        const bool known = std::any_of(rules().begin(), rules().end(), [&](const LintRule& r) { return r.id == id; });
        if (!known) {
          flag("lint-ok-unknown-rule", fmt::format("-- pgkit:lint-ok names '{}', which is not a lint rule", id));
          continue;
        }
        for (std::size_t f = first_finding; f < end; ++f) {
          if (findings_[f].rule == id) findings_[f].accepted = true;
        }
      }
    }
  }

  // The statement on one line, cut to about 100 bytes (at a UTF-8 character boundary).
  [[nodiscard]] std::string excerpt(const detail::StatementTokens& range) const {
    const Token& last = tokens_[range.last];
    const std::size_t from = tokens_[range.first].offset;
    const std::string_view text = sql_.substr(from, last.offset + last.text.size() - from);
    std::string out;
    for (const char c : text) {
      const bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
      if (!blank) {
        out += c;
      } else if (!out.empty() && out.back() != ' ') {
        out += ' ';
      }
    }
    constexpr std::size_t limit = 100;
    if (out.size() <= limit) return out;
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0U) == 0x80U) --cut;
    return out.substr(0, cut) + "...";
  }

  void find_sections() {
    sections_.push_back(Section{});
    for (const Token& token : tokens_) {
      const std::string_view body = comment_body(token);
      if (body == "migrate:up" || body == "migrate:down") {
        sections_.push_back(Section{.offset = token.offset, .transactional = true});
      } else if (body == "pgkit:no-transaction") {
        sections_.back().transactional = false;
      }
    }
  }
  [[nodiscard]] std::size_t section_of(std::size_t offset) const {
    std::size_t section = 0;
    while (section + 1 < sections_.size() && sections_[section + 1].offset <= offset) ++section;
    return section;
  }

  std::string_view sql_;
  std::vector<Token> tokens_;
  std::vector<Section> sections_;
  std::vector<Name> created_;
  std::vector<KnownColumn> columns_;
  std::vector<NotNullCheck> checks_;
  std::vector<PendingEnumValue> pending_;
  std::vector<LintFinding> findings_;
  std::size_t section_ = 0;
  std::string statement_;
  int line_ = 0;
};

}  // namespace

std::vector<LintFinding> lint(std::string_view sql) {
  if (const auto at = sql.find('\0'); at != std::string_view::npos) {
    throw InterfaceError(fmt::format("pgkit::migrate::lint: the SQL text holds a NUL byte at offset {}", at));
  }
  return Linter(sql).run();
}

const std::vector<LintRule>& lint_rules() {
  return rules();
}

}  // namespace pgkit::migrate
