// One migrator run: the lock, search_path, the statements sent (or, in a dry run, written down).
#pragma once

#include "history.hpp"

#include <pgkit/migrate.hpp>

#include <optional>
#include <string>
#include <vector>

namespace pgkit::migrate::detail {

// The checksum of the first `count` statements of a section (each without its terminator, joined by
// ";\n"): what a resumed non-transactional section must still start with. Empty if it has fewer.
std::string prefix_checksum(std::string_view section_text, int count);

class Run {
 public:
  // Takes the lock (not in a dry run), sets search_path, creates or adopts the history table.
  Run(Connection& conn, const MigrationSet& set, const Options& options, bool write);
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;
  ~Run();

  [[nodiscard]] const std::vector<HistoryRow>& rows() const noexcept { return rows_; }
  [[nodiscard]] const History& history() const noexcept { return history_; }
  [[nodiscard]] const Options& options() const noexcept { return options_; }
  [[nodiscard]] const MigrationSet& set() const noexcept { return set_; }

  // Sends bookkeeping SQL (or writes it to the dry run's text).
  void send(const std::string& sql);
  void send(const HistoryWrite& write);  // values as parameters; a dry run shows them as literals
  // up, with its history row; `skip`: the statements of a non-transactional section that already ran
  void apply(const Migration& m, int skip = 0);
  void revert(const HistoryRow& row);         // down, removing its history row
  [[nodiscard]] bool can_revert(const HistoryRow& row) const;
  void begin_all() { if (options_.all_in_one_transaction) send("BEGIN"); }
  void commit_all() { if (options_.all_in_one_transaction) send("COMMIT"); }
  RunReport take_report() { return std::move(report_); }

 private:
  struct Section {
    const Migration* migration = nullptr;  // of the set, when it has one
    std::int64_t version = 0;
    std::string name;
    std::string file;
    int first_line = 1;
    std::string text;
    std::function<void(Connection&)> function;
    bool transactional = true;
    bool up = true;
    int skip = 0;
  };
  void run_section(const Section& section, const std::function<void(std::int64_t)>& record_success);
  void run_statements(const Section& section, bool record_failure);
  void check_schemas();  // missing ones: an error, or created (Options::create_schemas)
  void set_timeouts(bool local);
  void reset_timeouts();
  void comment(const std::string& text);

  Connection& conn_;
  const MigrationSet& set_;
  Options options_;
  bool dry_run_ = false;
  History history_;
  std::optional<MigrationLock> lock_;
  std::optional<std::string> saved_search_path_;
  std::optional<std::string> saved_check_interval_;
  std::vector<HistoryRow> rows_;
  RunReport report_;
};

}  // namespace pgkit::migrate::detail
