#include "run.hpp"

#include "statements.hpp"

#include <pgkit/sqlstate.hpp>

#include <fmt/format.h>

#include <chrono>

namespace pgkit::migrate::detail {
namespace {

// Lines before a 1-based character position of `text` (the server counts characters, not bytes).
int lines_before(std::string_view text, int position) {
  int lines = 0;
  int characters = 0;
  for (char c : text) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
    if (characters >= position) break;
    if (c == '\n') ++lines;
  }
  return lines;
}

std::string_view without_terminator(std::string_view text) {
  while (!text.empty() && (text.back() == ';' || text.back() == ' ' || text.back() == '\n' || text.back() == '\t' ||
                           text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string prefix_checksum(const std::vector<Statement>& statements, int count) {
  if (count < 0 || static_cast<std::size_t>(count) > statements.size()) return "";
  std::string text;
  for (int i = 0; i < count; ++i) {
    if (i > 0) text += ";\n";
    text += without_terminator(statements[static_cast<std::size_t>(i)].text);
  }
  return checksum(text);
}

}  // namespace

std::string prefix_checksum(std::string_view section_text, int count) {
  return prefix_checksum(split_statements(section_text), count);
}

Run::Run(Connection& conn, const MigrationSet& set, const Options& options, bool write)
    : conn_(conn), set_(set), options_(options), dry_run_(options.dry_run || !write), history_(options) {
  if (!dry_run_) {
    lock_.emplace(conn_, history_, options_);
    // A migrator killed mid-statement must not leave its backend (and so the lock) alive until the
    // statement ends: the server then checks the client's socket every second (PostgreSQL 14+, Linux).
    if (conn_.server_version() >= 140000) {
      saved_check_interval_ =
          conn_.query_value<std::string>("SELECT current_setting('client_connection_check_interval')");
      conn_.exec("SELECT set_config('client_connection_check_interval', '1s', false)");
    }
  }
  check_schemas();
  if (!options_.target_schema.empty()) {
    if (!dry_run_) saved_search_path_ = conn_.query_value<std::string>("SELECT current_setting('search_path')");
    send(sql::SQL("SET search_path TO {}").format(sql::Identifier(options_.target_schema)).str());
  }
  // Inside the lock and in one transaction: a second migrator never sees a half-adopted table.
  const auto ddl = history_.missing_ddl(conn_);
  if (!ddl.empty()) {
    send("BEGIN");
    for (const auto& statement : ddl) send(statement);
    send("COMMIT");
  }
  rows_ = history_.read(conn_);
}

void Run::check_schemas() {
  std::vector<std::string> names{options_.history_schema};
  if (!options_.target_schema.empty() && options_.target_schema != options_.history_schema) {
    names.push_back(options_.target_schema);
  }
  const auto missing = conn_.query_value<std::vector<std::string>>(
      "SELECT coalesce(array_agg(s ORDER BY s), '{}') FROM unnest($1::text[]) AS s"
      " WHERE NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = s)",
      names);
  if (missing.empty()) return;
  if (!options_.create_schemas) {
    throw ValidationError(fmt::format("schema \"{}\" does not exist; create it, or allow the migrator to"
                                      " (--create-schemas, Options::create_schemas)",
                                      fmt::join(missing, "\", \"")));
  }
  // The history's schema comes with the history table (History::missing_ddl); the target's here.
  if (!options_.target_schema.empty() && options_.target_schema != options_.history_schema) {
    send(sql::SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql::Identifier(options_.target_schema)).str());
  }
}

Run::~Run() {
  if (dry_run_) return;
  try {
    const auto status = conn_.transaction_status();
    if (status == TransactionStatus::in_transaction || status == TransactionStatus::in_error) {
      conn_.execute_script("ROLLBACK");
    }
    if (saved_search_path_) conn_.exec("SELECT set_config('search_path', $1, false)", *saved_search_path_);
    if (saved_check_interval_) {
      conn_.exec("SELECT set_config('client_connection_check_interval', $1, false)", *saved_check_interval_);
    }
  } catch (const Error&) {
    // A broken session: the server drops its settings and the lock with it.
  }
  lock_.reset();
}

void Run::send(const std::string& sql) {
  if (dry_run_) {
    report_.sql += sql;
    report_.sql += ";\n";
  } else {
    conn_.execute_script(sql);
  }
}

void Run::send(const HistoryWrite& write) {
  if (dry_run_) {
    report_.sql += write.shown;
    report_.sql += ";\n";
  } else {
    conn_.exec(write.sql, write.params);
  }
}

void Run::comment(const std::string& text) {
  if (dry_run_) report_.sql += "-- " + text + "\n";
}

void Run::set_timeouts(bool local) {
  const std::string_view scope = local ? "SET LOCAL" : "SET";
  const auto set_one = [&](std::string_view setting, std::chrono::milliseconds value) {
    if (value.count() <= 0) return;
    send(sql::SQL(fmt::format("{} {} = {{}}", scope, setting)).format(sql::Literal(fmt::format("{}ms", value.count()))).str());
  };
  set_one("lock_timeout", options_.lock_timeout);
  set_one("statement_timeout", options_.statement_timeout);
}

void Run::reset_timeouts() {
  if (options_.lock_timeout.count() > 0) send("RESET lock_timeout");
  if (options_.statement_timeout.count() > 0) send("RESET statement_timeout");
}

void Run::apply(const Migration& m, int skip) {
  Section section{&m,         m.version,     m.name,           m.source(), m.up_first_line, m.up_sql,
                  m.up_function, m.up_transactional, true, skip};
  run_section(section, [&](std::int64_t ms) { send(history_.record_applied(m, ms)); });
}

bool Run::can_revert(const HistoryRow& row) const {
  const Migration* m = set_.find(row.version);
  return row.down_sql.has_value() || (m != nullptr && m->reversible());
}

void Run::revert(const HistoryRow& row) {
  const Migration* m = set_.find(row.version);
  if (!can_revert(row)) {
    throw IrreversibleMigration(fmt::format("migration {} ({}) has no down section: it cannot be rolled back",
                                            row.version, row.name));
  }
  Section section{m, row.version, row.name, "", 1, "", nullptr, true, false};
  const bool file_text = m != nullptr && m->down_sql && (!row.down_sql || *row.down_sql == *m->down_sql);
  if (row.down_sql) {
    section.text = *row.down_sql;
    section.file = file_text ? m->source() : fmt::format("{} version {} down_sql", history_.qualified_name(), row.version);
    section.first_line = file_text ? m->down_first_line : 1;
    section.transactional = section_is_transactional(section.text);
  } else if (m->down_sql) {
    section.text = *m->down_sql;
    section.file = m->source();
    section.first_line = m->down_first_line;
    section.transactional = m->down_transactional;
  } else {
    section.function = m->down_function;
    section.file = m->source();
  }
  run_section(section, [&](std::int64_t) { send(history_.remove(row.version)); });
}

void Run::run_section(const Section& section, const std::function<void(std::int64_t)>& record_success) {
  const auto started = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  };
  comment(fmt::format("migration {} ({}) {}{}", section.version, section.name, section.up ? "up" : "down",
                      section.transactional ? "" : ", not in a transaction"));
  if (!section.transactional && options_.all_in_one_transaction) {
    throw ValidationError(fmt::format("migration {} ({}) is marked -- pgkit:no-transaction and cannot run in the"
                                      " all-in-one-transaction mode", section.version, section.name));
  }
  if (section.transactional) {
    const bool own = !options_.all_in_one_transaction;
    if (own) send("BEGIN");
    set_timeouts(true);
    run_statements(section, false);
    record_success(dry_run_ ? 0 : elapsed().count());
    if (own) send("COMMIT");
  } else {
    set_timeouts(false);
    try {
      run_statements(section, section.up);
    } catch (const MigrationFailed&) {
      if (!dry_run_) reset_timeouts();
      throw;
    }
    record_success(dry_run_ ? 0 : elapsed().count());
    reset_timeouts();
  }
  report_.steps.push_back(Step{section.version, section.name, section.up, elapsed()});
}

void Run::run_statements(const Section& section, bool record_failure) {
  const auto fail = [&](int statement, int line, std::string sqlstate, std::string message) {
    MigrationFailed::Where where{section.version, section.name, section.file, line, statement, std::move(sqlstate),
                                 std::move(message)};
    if (record_failure && section.migration != nullptr) {
      try {
        send(history_.record_failed(*section.migration, statement, where.server_message));
      } catch (const Error& e) {
        where.server_message += fmt::format(" (and the failure could not be recorded: {})", e.what());
      }
    }
    throw MigrationFailed(fmt::format("{}:{}: migration {} ({}) {}, statement {}: {}", where.file, where.line,
                                      where.version, where.name, section.up ? "up" : "down", statement,
                                      where.server_message),
                          where);
  };
  if (section.function) {
    comment("(a function registered in code runs here)");
    if (dry_run_) return;
    try {
      section.function(conn_);
    } catch (const DatabaseError& e) {
      fail(0, 0, e.sqlstate(), e.what());
    } catch (const std::exception& e) {
      fail(0, 0, "", e.what());
    }
    return;
  }
  const auto statements = split_statements(section.text);
  // Progress after each statement, so that a migrator killed between two statements leaves a row
  // saying how far it got, and the next up resumes there (docs/migrate.md, "Non-transactional").
  const auto progress = [&](int done) {
    if (record_failure && section.migration != nullptr) {
      send(history_.record_progress(*section.migration, done, prefix_checksum(statements, done)));
    }
  };
  if (section.skip > 0) comment(fmt::format("statements 1 to {} ran before: resuming at {}", section.skip, section.skip + 1));
  progress(section.skip);
  for (auto i = static_cast<std::size_t>(section.skip); i < statements.size(); ++i) {
    const auto& statement = statements[i];
    const std::string text(without_terminator(statement.text));
    try {
      if (dry_run_) {
        report_.sql += text + ";\n";
      } else {
        conn_.execute_script(text);
      }
    } catch (const DatabaseError& e) {
      std::string message = e.what();
      if (e.sqlstate() == sqlstate::active_sql_transaction) {
        message += " (mark the section `-- pgkit:no-transaction` to run it outside a transaction)";
      }
      const int line = section.first_line + statement.line - 1 + lines_before(text, e.diagnostics().position);
      fail(static_cast<int>(i) + 1, line, e.sqlstate(), std::move(message));
    }
    progress(static_cast<int>(i) + 1);
  }
}

}  // namespace pgkit::migrate::detail
