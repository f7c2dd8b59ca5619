// The Migrator's commands: what to run, checked against the history, then run through detail::Run.
#include "history.hpp"
#include "run.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace pgkit::migrate {
namespace {

void check_options(const Options& options) {
  if (options.history_schema.empty()) throw InterfaceError("migrate::Options: history_schema is empty");
  if (options.history_table.empty()) throw InterfaceError("migrate::Options: history_table is empty");
  const auto negative = [](std::string_view name, std::chrono::milliseconds value) {
    if (value.count() < 0) throw InterfaceError(fmt::format("migrate::Options: {} is negative", name));
  };
  negative("lock_wait", options.lock_wait);
  negative("lock_timeout", options.lock_timeout);
  negative("statement_timeout", options.statement_timeout);
  // Identifier checks length and encoding once, here, rather than halfway through a run.
  [[maybe_unused]] const sql::Identifier history(options.history_schema, options.history_table);
  if (!options.target_schema.empty()) [[maybe_unused]] const sql::Identifier target(options.target_schema);
}

std::string blocked_by_failure(const detail::HistoryRow& row) {
  if (row.running) {
    return fmt::format("migration {} ({}) was interrupted after statement {} of its non-transactional up section and"
                       " blocks down and redo; run up to resume it, or repair to clear it",
                       row.version, row.name, row.statements_done);
  }
  return fmt::format("migration {} ({}) failed at statement {} and blocks further runs: {}; fix its file (a changed"
                     " file resumes after the statements that ran) or run repair to clear it",
                     row.version, row.name, row.failed_statement.value_or(0), row.error);
}

// Where a failed or interrupted non-transactional migration resumes: after the statements that ran,
// if the file still starts with exactly them; else nothing is safe to guess and the user repairs.
std::optional<int> resume_point(const detail::HistoryRow& row, const Migration& m, std::vector<std::string>& problems) {
  if (!row.running && m.checksum() == row.checksum) {
    problems.push_back(blocked_by_failure(row));
    return std::nullopt;
  }
  if (row.statements_done == 0) return 0;
  if (!m.up_function && !m.up_transactional &&
      detail::prefix_checksum(m.up_sql, row.statements_done) == row.done_checksum) {
    return row.statements_done;
  }
  problems.push_back(fmt::format(
      "migration {} ({}) ran statements 1 to {} outside a transaction before it {}, and {} no longer starts with"
      " them: make the database match the file by hand, then run repair (the next up runs it from statement 1)",
      row.version, row.name, row.statements_done, row.running ? "was interrupted" : "failed", m.source()));
  return std::nullopt;
}

std::string changed_message(const detail::HistoryRow& row, const Migration& m) {
  return fmt::format("migration {} ({}) changed after it was applied: checksum in the history {}, in {} {}",
                     row.version, row.name, row.checksum, m.source(), m.checksum());
}

struct Pending {
  const Migration* migration = nullptr;
  int skip = 0;  // statements that already ran (a resumed non-transactional section)
};

// The migrations `up` runs, in order; refuses a changed or failed history and out-of-order versions.
std::vector<Pending> pending_for_up(const std::vector<detail::HistoryRow>& rows, const MigrationSet& set,
                                             const Options& options, std::optional<std::int64_t> to) {
  std::map<std::int64_t, const detail::HistoryRow*> by_version;
  std::map<std::int64_t, int> resume;
  std::int64_t highest = 0;
  std::vector<std::string> problems;
  for (const auto& row : rows) {
    by_version[row.version] = &row;
    const Migration* m = set.find(row.version);
    if (row.failed) {
      if (m == nullptr) {
        problems.push_back(blocked_by_failure(row));
      } else if (const auto skip = resume_point(row, *m, problems)) {
        resume[row.version] = *skip;
      }
      continue;
    }
    highest = std::max(highest, row.version);
    if (m != nullptr && m->checksum() != row.checksum) problems.push_back(changed_message(row, *m));
  }
  std::vector<Pending> pending;
  std::vector<std::int64_t> out_of_order;
  for (const auto& m : set.migrations()) {
    if (to && m.version > *to) break;
    const auto it = by_version.find(m.version);
    if (it != by_version.end() && !it->second->failed) continue;
    if (m.version < highest) out_of_order.push_back(m.version);
    pending.push_back(Pending{&m, resume.count(m.version) != 0 ? resume[m.version] : 0});
  }
  if (!out_of_order.empty() && !options.allow_out_of_order) {
    problems.push_back(fmt::format("pending migrations {} are below the highest applied version {}; allow out of"
                                   " order to apply them",
                                   fmt::join(out_of_order, ", "), highest));
  }
  if (!problems.empty()) throw ValidationError(fmt::format("{}", fmt::join(problems, "; ")));
  return pending;
}

// The applied rows, newest first, for down and redo. A failed migration left the schema half changed:
// rolling back around it could undo what it depends on, so it blocks them as it blocks up.
std::vector<const detail::HistoryRow*> applied_newest_first(const std::vector<detail::HistoryRow>& rows) {
  std::vector<const detail::HistoryRow*> applied;
  std::vector<std::string> problems;
  for (const auto& row : rows) {
    if (row.failed) {
      problems.push_back(blocked_by_failure(row));
    } else {
      applied.push_back(&row);
    }
  }
  if (!problems.empty()) throw ValidationError(fmt::format("{}", fmt::join(problems, "; ")));
  std::reverse(applied.begin(), applied.end());
  return applied;
}

RunReport revert_all(detail::Run& run, const std::vector<const detail::HistoryRow*>& rows) {
  for (const auto* row : rows) {
    if (!run.can_revert(*row)) {
      throw IrreversibleMigration(fmt::format("migration {} ({}) has no down section: it cannot be rolled back"
                                              " (nothing was rolled back)",
                                              row->version, row->name));
    }
  }
  run.begin_all();
  for (const auto* row : rows) run.revert(*row);
  run.commit_all();
  return run.take_report();
}

}  // namespace

Migrator::Migrator(Connection& connection, MigrationSet set, Options options)
    : conn_(connection), set_(std::move(set)), options_(std::move(options)) {
  check_options(options_);
}

std::vector<StatusEntry> Migrator::status() {
  const auto rows = detail::History(options_).read(conn_);
  std::map<std::int64_t, StatusEntry> entries;
  for (const auto& row : rows) {
    StatusEntry entry{row.version, row.name, State::applied, "", row.checksum, row.applied_at, row.failed_statement,
                      row.error};
    const Migration* m = set_.find(row.version);
    if (m != nullptr) entry.file_checksum = m->checksum();
    if (row.failed) {
      entry.state = State::failed;
    } else if (m == nullptr) {
      entry.state = State::missing;
    } else if (entry.file_checksum != row.checksum) {
      entry.state = State::changed;
    }
    entries[row.version] = std::move(entry);
  }
  for (const auto& m : set_.migrations()) {
    if (!entries.contains(m.version)) entries[m.version] = StatusEntry{m.version, m.name, State::pending, m.checksum()};
  }
  std::vector<StatusEntry> out;
  out.reserve(entries.size());
  for (auto& [version, entry] : entries) out.push_back(std::move(entry));
  return out;
}

RunReport Migrator::up(std::optional<std::int64_t> to) {
  if (to && *to < 0) throw InterfaceError("migrate up: the target version is negative");
  detail::Run run(conn_, set_, options_, true);
  const auto pending = pending_for_up(run.rows(), set_, options_, to);
  run.begin_all();
  for (const auto& p : pending) run.apply(*p.migration, p.skip);
  run.commit_all();
  return run.take_report();
}

RunReport Migrator::down_to(std::int64_t version) {
  if (version < 0) throw InterfaceError("migrate down: the target version is negative (0 rolls everything back)");
  detail::Run run(conn_, set_, options_, true);
  std::vector<const detail::HistoryRow*> rows;
  for (const auto* row : applied_newest_first(run.rows())) {
    if (row->version > version) rows.push_back(row);
  }
  return revert_all(run, rows);
}

RunReport Migrator::down_steps(int steps) {
  if (steps < 1) throw InterfaceError(fmt::format("migrate down: steps must be at least 1 (got {})", steps));
  detail::Run run(conn_, set_, options_, true);
  auto rows = applied_newest_first(run.rows());
  if (rows.size() > static_cast<std::size_t>(steps)) rows.resize(static_cast<std::size_t>(steps));
  return revert_all(run, rows);
}

RunReport Migrator::redo() {
  detail::Run run(conn_, set_, options_, true);
  const auto rows = applied_newest_first(run.rows());
  if (rows.empty()) throw ValidationError("migrate redo: no applied migration to redo");
  const Migration* m = set_.find(rows.front()->version);
  if (m == nullptr) {
    throw ValidationError(fmt::format("migrate redo: migration {} ({}) is not in the set, so it cannot be applied"
                                      " again", rows.front()->version, rows.front()->name));
  }
  if (!run.can_revert(*rows.front())) {
    throw IrreversibleMigration(fmt::format("migration {} ({}) has no down section: it cannot be redone",
                                            m->version, m->name));
  }
  run.begin_all();
  run.revert(*rows.front());
  run.apply(*m);
  run.commit_all();
  return run.take_report();
}

void Migrator::validate() {
  std::vector<std::string> problems;
  for (const auto& entry : status()) {
    if (entry.state == State::changed) {
      problems.push_back(fmt::format("migration {} ({}) changed after it was applied: checksum in the history {},"
                                     " in the set {}",
                                     entry.version, entry.name, entry.history_checksum, entry.file_checksum));
    } else if (entry.state == State::missing) {
      problems.push_back(fmt::format("migration {} ({}) is applied but missing from the set", entry.version,
                                     entry.name));
    } else if (entry.state == State::failed) {
      problems.push_back(fmt::format("migration {} ({}) failed at statement {}: {}", entry.version, entry.name,
                                     entry.failed_statement.value_or(0), entry.error));
    }
  }
  if (!problems.empty()) throw ValidationError(fmt::format("{}", fmt::join(problems, "; ")));
}

std::vector<std::int64_t> Migrator::baseline(std::int64_t version) {
  if (version <= 0) throw InterfaceError(fmt::format("migrate baseline: the version must be positive (got {})", version));
  Options options = options_;
  options.dry_run = false;
  detail::Run run(conn_, set_, options, true);
  std::vector<std::int64_t> marked;
  for (const auto& m : set_.migrations()) {
    if (m.version > version) break;
    const bool known = std::any_of(run.rows().begin(), run.rows().end(),
                                   [&](const detail::HistoryRow& row) { return row.version == m.version; });
    if (known) continue;
    run.send(run.history().record_applied(m, 0));
    marked.push_back(m.version);
  }
  if (marked.empty() && set_.find(version) == nullptr) {
    throw ValidationError(fmt::format("migrate baseline: the set has no migration at or below {} to mark", version));
  }
  return marked;
}

RepairReport Migrator::repair(bool confirm) {
  if (!confirm) {
    throw InterfaceError("migrate repair rewrites the history (deletes failed rows, accepts changed checksums);"
                         " confirm it (--yes)");
  }
  Options options = options_;
  options.dry_run = false;
  detail::Run run(conn_, set_, options, true);
  RepairReport report;
  run.send("BEGIN");
  for (const auto& row : run.rows()) {
    const Migration* m = set_.find(row.version);
    if (row.failed) {
      run.send(run.history().remove(row.version));
      report.failed_removed.push_back(row.version);
    } else if (m != nullptr && m->checksum() != row.checksum) {
      run.send(run.history().update_checksum(*m));
      report.checksums_updated.push_back(row.version);
    }
  }
  run.send("COMMIT");
  return report;
}

}  // namespace pgkit::migrate
