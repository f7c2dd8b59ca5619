// The history table and the migration lock: the migrator's bookkeeping on the server.
#pragma once

#include <pgkit/migrate.hpp>
#include <pgkit/params.hpp>
#include <pgkit/sql.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgkit::migrate::detail {

struct HistoryRow {
  std::int64_t version = 0;
  std::string name;
  std::string checksum;
  std::string applied_at;
  std::optional<std::string> down_sql;
  bool transactional = true;
  bool failed = false;   // failed or running: blocks until resolved
  bool running = false;  // a non-transactional section interrupted (the migrator died) between statements
  std::optional<int> failed_statement;
  std::string error;
  int statements_done = 0;   // of a failed or running non-transactional section
  std::string done_checksum;  // migrate::checksum of those statements' text (prefix_checksum)
};

// A write to the history table: run with its values as parameters, shown in a dry run with the same values
// written as literals, so that the dry run prints the statement that runs.
struct HistoryWrite {
  std::string sql;    // with $1..$n
  Params params;
  std::string shown;  // the values as literals
};

class History {
 public:
  explicit History(const Options& options);

  [[nodiscard]] const sql::Identifier& table() const noexcept { return table_; }
  [[nodiscard]] const std::string& qualified_name() const noexcept { return table_.str(); }
  // The statements that create the table, or adopt one (the seed's schema_migrations: missing columns
  // added, mistyped ones converted); none when it is complete. Run sends them in one transaction.
  std::vector<std::string> missing_ddl(Connection& conn) const;
  // Rows by version; empty when the table does not exist.
  std::vector<HistoryRow> read(Connection& conn) const;

  // The history writes, as SQL text with the values as literals (what a dry run prints is what runs).
  [[nodiscard]] HistoryWrite record_applied(const Migration& m, std::int64_t execution_ms) const;
  [[nodiscard]] HistoryWrite record_failed(const Migration& m, int statement, std::string_view error) const;
  // A non-transactional up section's progress, written after each statement: state 'running'.
  [[nodiscard]] HistoryWrite record_progress(const Migration& m, int statements_done, std::string_view done_checksum) const;
  [[nodiscard]] HistoryWrite remove(std::int64_t version) const;
  [[nodiscard]] HistoryWrite update_checksum(const Migration& m) const;

 private:
  struct Shape {
    bool schema_exists = false;
    bool table_exists = false;
    std::vector<std::string> present;   // the history's columns the table has
    std::vector<std::string> mistyped;  // of those, the ones of another type
  };
  Shape shape(Connection& conn) const;
  std::string schema_;
  std::string name_;
  sql::Identifier table_;
};

// A session-level advisory lock keyed by the history table's qualified name (hashtextextended on the
// server), held from construction to destruction: not tied to a transaction, so a non-transactional
// migration never waits on the migrator's own lock, and released by the server when the session ends.
class MigrationLock {
 public:
  MigrationLock(Connection& conn, const History& history, const Options& options);
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;
  ~MigrationLock();

 private:
  [[noreturn]] void fail(const History& history, const Options& options);
  Connection& conn_;
  std::int64_t key_ = 0;
};

}  // namespace pgkit::migrate::detail
