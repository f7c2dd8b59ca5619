// pgkit::migrate: versioned, checksummed, locked, reversible schema migrations (docs/migrate.md).
//
// A MigrationSet holds migrations read from a folder (one `<version>_<name>.sql` file each, with
// `-- migrate:up` and optional `-- migrate:down` sections) and migrations registered in code. A
// Migrator applies them to one database (one history table), holding a session-level advisory lock
// for the whole run; migrate_schemas() applies one set to many schemas over a pool.
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/errors.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit {
class Pool;
}

namespace pgkit::migrate {

// A migration source is malformed: a bad file name, a duplicate version, a missing up section, the
// other naming convention (*.up.sql). The message names the file.
class SourceError : public InterfaceError {
 public:
  using InterfaceError::InterfaceError;
};

// The database's history disagrees with the set: a changed applied migration (the message names the
// version and both checksums), a failed migration not yet resolved, out-of-order pending versions.
class ValidationError : public Error {
 public:
  using Error::Error;
};

// A down was asked for a migration that has none (neither in the history nor in the set).
class IrreversibleMigration : public Error {
 public:
  using Error::Error;
};

// Another session holds the migration lock of this history table past the wait (or at once, no_wait).
class LockTimeout : public Error {
 public:
  LockTimeout(const std::string& what, int holder_pid, std::string holder_application)
      : Error(what), holder_pid_(holder_pid), holder_application_(std::move(holder_application)) {}
  [[nodiscard]] int holder_pid() const noexcept { return holder_pid_; }  // 0 when it could not be seen
  [[nodiscard]] const std::string& holder_application() const noexcept { return holder_application_; }

 private:
  int holder_pid_ = 0;
  std::string holder_application_;
};

// A statement of a migration failed. what() reads "<file>:<line>: migration <v> (<name>) up, statement
// <n>: <server's message>"; nothing after the statement ran.
class MigrationFailed : public Error {
 public:
  struct Where {
    std::int64_t version = 0;
    std::string name;
    std::string file;            // the migration's file, or "<code>" for a registered one
    int line = 0;                // 1-based line in the file where the failing statement (or error) is
    int statement = 0;           // 1-based statement number in the section; 0 for a function
    std::string sqlstate;        // the server's, empty for a client-side error
    std::string server_message;  // the server's (or the function's) error
  };
  MigrationFailed(const std::string& what, Where where) : Error(what), where_(std::move(where)) {}
  [[nodiscard]] const Where& where() const noexcept { return where_; }

 private:
  Where where_;
};

// SHA-256 (lowercase hex) of the normalised text: UTF-8 BOM removed, CRLF and CR turned into LF,
// trailing spaces and tabs of every line removed, leading and trailing blank lines removed, no final
// newline. The one definition of a migration's checksum; it never changes between pgkit versions.
std::string checksum(std::string_view text);
std::string normalise_for_checksum(std::string_view text);

struct Migration {
  std::int64_t version = 0;  // > 0
  std::string name;          // [a-z0-9_]+ for files; any non-empty text for code
  std::string up_sql;        // the up section as written (directives included)
  std::optional<std::string> down_sql;  // none: cannot be rolled back
  std::function<void(Connection&)> up_function;    // instead of up_sql
  std::function<void(Connection&)> down_function;  // instead of down_sql
  // What the checksum of a function migration covers (e.g. a revision tag): a function cannot be hashed.
  std::string function_checksum_text;
  bool up_transactional = true;    // false: `-- pgkit:no-transaction` in the up section
  bool down_transactional = true;  // false: the directive in the down section
  std::filesystem::path file;      // empty for a migration registered in code
  int up_first_line = 1;           // line of the file where the up section's text starts
  int down_first_line = 1;

  [[nodiscard]] std::string checksum() const;
  [[nodiscard]] bool reversible() const { return down_sql.has_value() || down_function != nullptr; }
  [[nodiscard]] std::string source() const;  // the file, or "<code>"
};

// Parses one file's text under the file-name convention; `file` names it in errors.
Migration parse_migration(const std::filesystem::path& file, std::string_view text);
// Reads the section directive `-- pgkit:no-transaction`.
bool section_is_transactional(std::string_view section);

class MigrationSet {
 public:
  // Every `*.sql` file of the folder (not recursive); other files are ignored.
  static MigrationSet from_directory(const std::filesystem::path& directory);
  // Adds one migration; a duplicate version or a bad migration is a SourceError naming it.
  MigrationSet& add(Migration migration);
  // SQL migrations registered in code.
  MigrationSet& add(std::int64_t version, std::string name, std::string up_sql,
                    std::optional<std::string> down_sql = std::nullopt);
  // Function migrations registered in code.
  MigrationSet& add(std::int64_t version, std::string name, std::function<void(Connection&)> up,
                    std::function<void(Connection&)> down = nullptr);

  [[nodiscard]] const std::vector<Migration>& migrations() const noexcept { return migrations_; }  // by version
  [[nodiscard]] const Migration* find(std::int64_t version) const;
  [[nodiscard]] bool empty() const noexcept { return migrations_.empty(); }

 private:
  std::vector<Migration> migrations_;
};

// Creates `<next version>_<name>.sql` in `directory` with empty up and down sections and returns its
// path. The next version follows the folder's highest: +1 (zero-padded to 4 digits) for integers, the
// current UTC time (YYYYMMDDHHMMSS) when the folder uses timestamps or is empty and `timestamp`.
std::filesystem::path create_migration_file(const std::filesystem::path& directory, std::string_view name,
                                            bool timestamp = false);
// Whether `name` may be a migration's name in its file name: [a-z0-9_]+.
bool valid_migration_name(std::string_view name);

struct Options {
  std::string history_schema = "public";
  std::string history_table = "pgkit_schema_migrations";
  // Non-empty: search_path is set to this schema (quoted) for the run and restored afterwards.
  std::string target_schema;
  std::chrono::milliseconds lock_wait{60'000};  // waiting for another migrator's lock
  bool no_wait = false;                         // fail at once when the lock is held
  // Per migration (SET LOCAL in a transaction; SET then RESET outside one); 0: not set.
  std::chrono::milliseconds lock_timeout{10'000};
  std::chrono::milliseconds statement_timeout{30 * 60'000};
  bool allow_out_of_order = false;      // apply pending versions below the highest applied one
  bool dry_run = false;                 // up/down/redo return the SQL in RunReport::sql and change nothing
  bool all_in_one_transaction = false;  // the whole run in one transaction (no non-transactional migration)
  // Create the history and target schemas when missing; off, a missing one is a ValidationError (a
  // typo in a schema name must not make a new tenant).
  bool create_schemas = false;
};

enum class State { applied, pending, missing, changed, failed };
std::string_view to_string(State state);

struct StatusEntry {
  std::int64_t version = 0;
  std::string name;
  State state = State::pending;
  std::string file_checksum;     // empty when missing from the set
  std::string history_checksum;  // empty when pending
  std::string applied_at;        // as the server prints it; empty when pending
  std::optional<int> failed_statement;
  std::string error;  // of a failed migration
};

struct Step {
  std::int64_t version = 0;
  std::string name;
  bool up = true;
  std::chrono::milliseconds elapsed{0};
};

struct RunReport {
  std::vector<Step> steps;  // what ran (or would run, in a dry run), in order
  std::string sql;          // dry run: exactly the SQL that would run, with BEGIN/COMMIT
};

struct RepairReport {
  std::vector<std::int64_t> failed_removed;     // failed rows deleted (they run again on the next up)
  std::vector<std::int64_t> checksums_updated;  // changed rows given the set's checksum
};

class Migrator {
 public:
  Migrator(Connection& connection, MigrationSet set, Options options = {});

  std::vector<StatusEntry> status();
  RunReport up(std::optional<std::int64_t> to = std::nullopt);  // up to and including `to`
  RunReport down_to(std::int64_t version);                      // applied versions above `version`; 0: all
  RunReport down_steps(int steps);                              // the newest `steps` applied
  RunReport redo();                                             // the newest applied: down, then up
  void validate();  // throws ValidationError listing every changed, missing or failed migration
  std::vector<std::int64_t> baseline(std::int64_t version);  // marks the set's migrations <= version applied
  RepairReport repair(bool confirm);                          // confirm must be true

 private:
  Connection& conn_;
  MigrationSet set_;  // a copy: a migrator made from a temporary set stays valid
  Options options_;
};

// One schema's outcome in migrate_schemas.
struct SchemaResult {
  std::string schema;
  bool ok = true;
  bool skipped = false;  // nothing pending (seen by the one catalog query)
  int applied = 0;
  std::chrono::milliseconds elapsed{0};
  std::string error;
};

struct SchemasProgress {
  std::size_t done = 0;
  std::size_t total = 0;
};

struct SchemasReport {
  std::vector<SchemaResult> results;  // in the order given, a schema named twice once
  std::size_t up_to_date = 0;         // skipped without a lock or a migration
  std::size_t failed = 0;
  bool stopped = false;  // `stop` was set before every schema ran
};

// Applies `set` to every schema (each with its own history table inside it, search_path set to it),
// `workers` at a time over `pool`. Schemas with nothing pending are found by one catalog query and
// skipped. A schema's failure is reported in its result and does not stop the others. Setting `stop`
// lets running schemas finish and starts no more (a later run does what is left).
SchemasReport migrate_schemas(Pool& pool, const MigrationSet& set, const std::vector<std::string>& schemas,
                              const Options& options, std::size_t workers,
                              const std::function<void(const SchemaResult&, const SchemasProgress&)>& progress = {},
                              const std::atomic<bool>* stop = nullptr);

// The schemas (of `schemas`) whose history is not exactly the set's, applied and unchanged: one query
// for every 1,000 of them (plus one to see which have a history table).
std::vector<std::string> schemas_needing_work(Connection& connection, const MigrationSet& set,
                                              const std::vector<std::string>& schemas, const Options& options);

}  // namespace pgkit::migrate
