// `pgkit migrate`: versioned migrations from a folder (docs/migrate.md), one database or many schemas.
#include "commands.hpp"
#include "target_database.hpp"

#include <pgkit/migrate.hpp>
#include <pgkit/migrate/lint.hpp>
#include <pgkit/pool.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace pgkit::cli {
namespace {

// A duration as parse_duration reads it, in the largest unit that is exact.
std::string duration_text(std::chrono::milliseconds value) {
  const auto ms = value.count();
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}min", ms / 60'000);
  if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

// The library's defaults (migrate::Options) are the flags' defaults: one fact in one place.
struct MigrateFlags {
  std::string dir = "migrations";
  std::string database;
  std::string history_schema = migrate::Options{}.history_schema;
  std::string table = migrate::Options{}.history_table;
  std::string target_schema;
  std::string lock_wait = duration_text(migrate::Options{}.lock_wait);
  std::string lock_timeout = duration_text(migrate::Options{}.lock_timeout);
  std::string statement_timeout = duration_text(migrate::Options{}.statement_timeout);
  bool no_wait = false;
  bool json = false;
  bool dry_run = false;
  bool allow_out_of_order = false;
  bool all_in_one = false;
  bool yes = false;
  bool timestamp = false;
  bool no_lint = false;
  bool create_schemas = false;
  std::optional<std::int64_t> to;
  std::optional<int> steps;
  std::int64_t version = 0;
  std::string name;
  std::string schemas;  // comma-separated, split by schema_list (CLI11 would drop an empty name silently)
  std::string schemas_like;
  std::size_t workers = 4;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "250ms", "10s", "5min", "0" (off); a bare number is seconds.
std::chrono::milliseconds parse_duration(const std::string& flag, const std::string& text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (error != std::errc() || value < 0) throw UsageError(fmt::format("{}: \"{}\" is not a duration", flag, text));
  if (unit == "ms") return std::chrono::milliseconds(value);
  if (unit.empty() || unit == "s") return std::chrono::seconds(value);
  if (unit == "min") return std::chrono::minutes(value);
  throw UsageError(fmt::format("{}: \"{}\" has an unknown unit (ms, s, min)", flag, text));
}

std::vector<std::string> schema_list(const MigrateFlags& flags) {
  std::vector<std::string> out;
  if (flags.schemas.empty()) return out;
  std::size_t from = 0;
  for (;;) {
    const auto comma = flags.schemas.find(',', from);
    out.push_back(flags.schemas.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (comma == std::string::npos) return out;
    from = comma + 1;
  }
}

// What the user typed wrong is a usage error (exit 2), found before connecting: names go through
// sql::Identifier (empty, longer than 63 bytes, not UTF-8), durations through parse_duration.
void check_flags(const MigrateFlags& flags) {
  const auto name = [](std::string_view flag, const std::string& value) {
    try {
      sql::Identifier{value};
    } catch (const InterfaceError& e) {
      throw UsageError(fmt::format("{} \"{}\": {}", flag, value, e.what()));
    }
  };
  name("--history-schema", flags.history_schema);
  name("--table", flags.table);
  if (!flags.target_schema.empty()) name("--schema", flags.target_schema);
  for (const auto& schema : schema_list(flags)) name("--schemas", schema);
  parse_duration("--lock-wait", flags.lock_wait);
  parse_duration("--lock-timeout", flags.lock_timeout);
  parse_duration("--statement-timeout", flags.statement_timeout);
}

// A version on the command line: digits that fit a bigint, at least `min`.
CLI::Validator version_check(std::int64_t min) {
  return CLI::Validator(
      [min](std::string& text) -> std::string {
        std::int64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || text[0] == '-' || error != std::errc() || end != text.data() + text.size()) {
          return fmt::format("\"{}\" is not a version (digits, at most {})", text,
                             std::numeric_limits<std::int64_t>::max());
        }
        return value < min ? fmt::format("the version must be at least {} (got {})", min, value) : std::string();
      },
      "VERSION");
}

migrate::Options options_from(const MigrateFlags& flags) {
  migrate::Options options;
  options.history_schema = flags.history_schema;
  options.history_table = flags.table;
  options.target_schema = flags.target_schema;
  options.lock_wait = parse_duration("--lock-wait", flags.lock_wait);
  options.lock_timeout = parse_duration("--lock-timeout", flags.lock_timeout);
  options.statement_timeout = parse_duration("--statement-timeout", flags.statement_timeout);
  options.no_wait = flags.no_wait;
  options.dry_run = flags.dry_run;
  options.allow_out_of_order = flags.allow_out_of_order;
  options.all_in_one_transaction = flags.all_in_one;
  options.create_schemas = flags.create_schemas;
  return options;
}

std::string database_url(const MigrateFlags& flags, std::optional<TargetDatabase>& target) {
  if (!flags.database.empty()) return flags.database;
  target.emplace(resolve_target_database());
  return target->url;
}

Connection open(const std::string& url) {
  ConnectOptions options;
  options.conninfo = url;
  options.application_name = "pgkit migrate";
  return Connection(options);
}

std::string file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whether a finding's line (in the migration's file) lies in its up section.
bool in_up_section(const migrate::Migration& m, int line) {
  if (m.file.empty()) return true;  // registered in code: only the up text is linted
  const bool down_follows = m.down_sql && m.down_first_line > m.up_first_line;
  return line >= m.up_first_line && (!down_follows || line < m.down_first_line);
}

// Lint findings not accepted in the file, for the migrations given; printed as warnings. Before `up`
// (`up_only`), only the up sections' findings: a down section runs only on a rollback.
int warn_lint(const std::vector<const migrate::Migration*>& migrations, std::ostream& out, bool up_only) {
  int count = 0;
  for (const auto* m : migrations) {
    const std::string text = m->file.empty() ? m->up_sql : file_text(m->file);
    for (const auto& finding : migrate::lint(text)) {
      if (finding.accepted || (up_only && !in_up_section(*m, finding.line))) continue;
      ++count;
      out << fmt::format("{}:{}: lint [{}] {}\n", m->source(), finding.line, finding.rule, finding.message);
    }
  }
  return count;
}

std::string version_text(std::int64_t version) { return fmt::format("{:04d}", version); }

void print_report(const migrate::RunReport& report, const MigrateFlags& flags, std::string_view verb) {
  if (flags.json) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& s : report.steps) {
      steps.push_back({{"version", s.version}, {"name", s.name}, {"direction", s.up ? "up" : "down"},
                       {"ms", s.elapsed.count()}});
    }
    nlohmann::json out{{"command", verb}, {"dry_run", flags.dry_run}, {"steps", steps}};
    if (flags.dry_run) out["sql"] = report.sql;
    fmt::print("{}\n", out.dump());
    return;
  }
  if (flags.dry_run) {
    fmt::print("-- dry run: nothing was changed; this is the SQL {} would run\n{}", verb, report.sql);
    return;
  }
  if (report.steps.empty()) fmt::print("nothing to {}\n", verb == "up" ? "apply" : "roll back");
  for (const auto& s : report.steps) {
    fmt::print("{} {} {} ({} ms)\n", s.up ? "applied" : "rolled back", version_text(s.version), s.name,
               s.elapsed.count());
  }
}

int status(const MigrateFlags& flags) {
  std::optional<TargetDatabase> target;
  auto conn = open(database_url(flags, target));
  const auto set = migrate::MigrationSet::from_directory(flags.dir);
  const auto entries = migrate::Migrator(conn, set, options_from(flags)).status();
  if (flags.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& e : entries) {
      nlohmann::json item{{"version", e.version}, {"name", e.name}, {"state", migrate::to_string(e.state)},
                          {"applied_at", e.applied_at}, {"file_checksum", e.file_checksum},
                          {"history_checksum", e.history_checksum}};
      if (e.failed_statement) item["failed_statement"] = *e.failed_statement;
      if (!e.error.empty()) item["error"] = e.error;
      list.push_back(item);
    }
    fmt::print("{}\n", nlohmann::json{{"migrations", list}}.dump());
    return exit_ok;
  }
  fmt::print("{:<16} {:<8} {:<32} {}\n", "VERSION", "STATE", "APPLIED AT", "NAME");
  for (const auto& e : entries) {
    fmt::print("{:<16} {:<8} {:<32} {}\n", version_text(e.version), migrate::to_string(e.state), e.applied_at, e.name);
    if (e.state == migrate::State::failed) fmt::print("  failed at statement {}: {}\n", e.failed_statement.value_or(0), e.error);
  }
  return exit_ok;
}

std::vector<std::string> resolve_schemas(Connection& conn, const MigrateFlags& flags) {
  std::vector<std::string> schemas = schema_list(flags);
  if (!flags.schemas_like.empty()) {
    for (auto& name : conn.query_value<std::vector<std::string>>(
             "SELECT coalesce(array_agg(nspname::text ORDER BY nspname), '{}') FROM pg_namespace"
             " WHERE nspname LIKE $1 AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'",
             flags.schemas_like)) {
      schemas.push_back(std::move(name));
    }
  }
  return schemas;
}

// A bar on a terminal (schemas done / total, rate, ETA), plain lines otherwise, JSON lines with --json.
class SchemaProgress {
 public:
  explicit SchemaProgress(const MigrateFlags& flags) : json_(flags.json), tty_(!flags.json && ::isatty(2) == 1) {}
  void operator()(const migrate::SchemaResult& r, const migrate::SchemasProgress& p) {
    if (json_) {
      nlohmann::json line{{"schema", r.schema}, {"ok", r.ok}, {"applied", r.applied}, {"ms", r.elapsed.count()}};
      if (!r.ok) line["error"] = r.error;
      fmt::print("{}\n", line.dump());
      std::fflush(stdout);
      return;
    }
    if (!r.ok) std::cerr << fmt::format("{}schema {}: {}\n", tty_ ? "\r\033[K" : "", r.schema, r.error);
    if (!tty_) {
      if (r.ok) fmt::print("schema {}: applied {} ({} ms)\n", r.schema, r.applied, r.elapsed.count());
      return;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    const double rate = seconds > 0 ? static_cast<double>(++ran_) / seconds : 0;
    const double eta = rate > 0 ? static_cast<double>(p.total - p.done) / rate : 0;
    constexpr std::size_t width = 30;
    const std::size_t filled = p.total == 0 ? width : width * p.done / p.total;
    std::cerr << fmt::format("\r[{}{}] {}/{} schemas  {:.1f}/s  ETA {:.0f}s", std::string(filled, '#'),
                             std::string(width - filled, '.'), p.done, p.total, rate, eta)
              << std::flush;
    if (p.done == p.total) std::cerr << '\n';
  }

 private:
  bool json_;
  bool tty_;
  std::size_t ran_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

int up_many(const MigrateFlags& flags, const std::string& url, const migrate::MigrationSet& set) {
  if (flags.dry_run || flags.to || flags.all_in_one) {
    throw UsageError("--schemas runs every pending migration per schema: no --dry-run, --to or --all-in-one");
  }
  if (flags.workers == 0) throw UsageError("--workers must be at least 1");
  auto conn = open(url);
  const auto schemas = resolve_schemas(conn, flags);
  if (schemas.empty()) throw UsageError("no schema given or matched (--schemas, --schemas-like)");
  PoolOptions pool_options;
  pool_options.connect.conninfo = url;
  pool_options.connect.application_name = "pgkit migrate";
  pool_options.min_size = 0;
  pool_options.max_size = flags.workers;
  // Warnings and errors only: the pool's routine lines would interleave with the progress.
  pool_options.logger = std::make_shared<spdlog::logger>("pgkit-migrate", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  pool_options.logger->set_level(spdlog::level::warn);
  Pool pool(pool_options);
  SchemaProgress progress(flags);
  const auto report = migrate::migrate_schemas(pool, set, schemas, options_from(flags), flags.workers, std::ref(progress));
  if (flags.json) {
    for (const auto& r : report.results) {
      if (r.skipped) fmt::print("{}\n", nlohmann::json{{"schema", r.schema}, {"ok", true}, {"applied", 0}, {"up_to_date", true}}.dump());
    }
  } else {
    const std::size_t total = report.results.size();  // a schema named twice counts once
    fmt::print("{} schemas: {} up to date, {} migrated, {} failed\n", total, report.up_to_date,
               total - report.up_to_date - report.failed, report.failed);
  }
  return report.failed == 0 ? exit_ok : exit_failure;
}

int up(const MigrateFlags& flags) {
  std::optional<TargetDatabase> target;
  const std::string url = database_url(flags, target);
  const auto set = migrate::MigrationSet::from_directory(flags.dir);
  if (!flags.schemas.empty() || !flags.schemas_like.empty()) return up_many(flags, url, set);
  auto conn = open(url);
  migrate::Migrator migrator(conn, set, options_from(flags));
  if (!flags.no_lint) {
    std::vector<const migrate::Migration*> pending;
    for (const auto& entry : migrator.status()) {
      if (entry.state == migrate::State::pending) pending.push_back(set.find(entry.version));
    }
    warn_lint(pending, std::cerr, true);
  }
  print_report(migrator.up(flags.to), flags, "up");
  return exit_ok;
}

int down(const MigrateFlags& flags) {
  if (flags.to.has_value() == flags.steps.has_value()) throw UsageError("migrate down takes --to V or --steps N");
  std::optional<TargetDatabase> target;
  auto conn = open(database_url(flags, target));
  migrate::Migrator migrator(conn, migrate::MigrationSet::from_directory(flags.dir), options_from(flags));
  print_report(flags.to ? migrator.down_to(*flags.to) : migrator.down_steps(*flags.steps), flags, "down");
  return exit_ok;
}

int redo(const MigrateFlags& flags) {
  std::optional<TargetDatabase> target;
  auto conn = open(database_url(flags, target));
  migrate::Migrator migrator(conn, migrate::MigrationSet::from_directory(flags.dir), options_from(flags));
  print_report(migrator.redo(), flags, "redo");
  return exit_ok;
}

int validate(const MigrateFlags& flags) {
  std::optional<TargetDatabase> target;
  auto conn = open(database_url(flags, target));
  migrate::Migrator migrator(conn, migrate::MigrationSet::from_directory(flags.dir), options_from(flags));
  try {
    migrator.validate();
  } catch (const migrate::ValidationError& e) {
    if (flags.json) fmt::print("{}\n", nlohmann::json{{"valid", false}, {"error", e.what()}}.dump());
    std::cerr << "pgkit: " << e.what() << '\n';
    return exit_failure;
  }
  flags.json ? fmt::print("{}\n", nlohmann::json{{"valid", true}}.dump()) : fmt::print("valid\n");
  return exit_ok;
}

int baseline(const MigrateFlags& flags) {
  std::optional<TargetDatabase> target;
  auto conn = open(database_url(flags, target));
  migrate::Migrator migrator(conn, migrate::MigrationSet::from_directory(flags.dir), options_from(flags));
  const auto marked = migrator.baseline(flags.version);
  flags.json ? fmt::print("{}\n", nlohmann::json{{"baseline", flags.version}, {"marked", marked}}.dump())
             : fmt::print("marked as applied: {}\n", fmt::join(marked, ", "));
  return exit_ok;
}

int repair(const MigrateFlags& flags) {
  if (!flags.yes) {
    std::cerr << "pgkit: migrate repair deletes failed history rows and accepts changed checksums; say --yes to do it\n";
    return exit_usage;
  }
  std::optional<TargetDatabase> target;
  auto conn = open(database_url(flags, target));
  migrate::Migrator migrator(conn, migrate::MigrationSet::from_directory(flags.dir), options_from(flags));
  const auto report = migrator.repair(true);
  if (flags.json) {
    fmt::print("{}\n", nlohmann::json{{"failed_removed", report.failed_removed},
                                      {"checksums_updated", report.checksums_updated}}
                           .dump());
  } else {
    fmt::print("failed rows removed: {}\nchecksums updated: {}\n", fmt::join(report.failed_removed, ", "),
               fmt::join(report.checksums_updated, ", "));
  }
  return exit_ok;
}

int create(const MigrateFlags& flags) {
  if (!migrate::valid_migration_name(flags.name)) {
    throw UsageError(fmt::format("migrate new: the name \"{}\" must be made of [a-z0-9_]", flags.name));
  }
  const auto path = migrate::create_migration_file(flags.dir, flags.name, flags.timestamp);
  flags.json ? fmt::print("{}\n", nlohmann::json{{"file", path.string()}}.dump()) : fmt::print("{}\n", path.string());
  return exit_ok;
}

int lint(const MigrateFlags& flags) {
  const auto set = migrate::MigrationSet::from_directory(flags.dir);
  std::vector<const migrate::Migration*> all;
  for (const auto& m : set.migrations()) all.push_back(&m);
  if (!flags.json) return warn_lint(all, std::cout, false) == 0 ? exit_ok : exit_failure;
  int count = 0;
  for (const auto* m : all) {
    for (const auto& f : migrate::lint(file_text(m->file))) {
      count += f.accepted ? 0 : 1;
      fmt::print("{}\n", nlohmann::json{{"file", m->source()}, {"line", f.line}, {"rule", f.rule},
                                        {"statement", f.statement}, {"message", f.message}, {"accepted", f.accepted}}
                             .dump());
    }
  }
  return count == 0 ? exit_ok : exit_failure;
}

// With --json a failure is a JSON line on stdout too, so a script reading stdout sees it.
void print_json_error(const Error& e) {
  nlohmann::json out{{"ok", false}, {"error", e.what()}};
  if (const auto* failed = dynamic_cast<const migrate::MigrationFailed*>(&e)) {
    const auto& where = failed->where();
    out["file"] = where.file;
    out["line"] = where.line;
    out["version"] = where.version;
    out["name"] = where.name;
    out["statement"] = where.statement;
    out["sqlstate"] = where.sqlstate;
  }
  fmt::print("{}\n", out.dump());
  std::fflush(stdout);
}

// Every subcommand reads the shared flags (given before or after it).
CLI::App* subcommand(CLI::App* migrate, Action& action, const std::shared_ptr<MigrateFlags>& flags, const char* name,
                     const char* help, int (*run)(const MigrateFlags&)) {
  auto* cmd = migrate->add_subcommand(name, help);
  cmd->fallthrough();
  cmd->callback([&action, flags, run] {
    action = [flags, run] {
      try {
        check_flags(*flags);
        return run(*flags);
      } catch (const Error& e) {
        if (flags->json) print_json_error(e);
        throw;  // main prints it on stderr and exits 1
      } catch (const UsageError& e) {
        std::cerr << "pgkit: " << e.what() << '\n';
        return exit_usage;
      }
    };
  });
  return cmd;
}

}  // namespace

void add_migrate_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<MigrateFlags>();
  auto* m = app.add_subcommand("migrate", "Versioned SQL migrations (docs/migrate.md)");
  m->require_subcommand(1);
  m->add_option("--dir", flags->dir, "Folder of <version>_<name>.sql files")->capture_default_str();
  m->add_option("--database", flags->database, "Connection URL (default: DATABASE_URL, PG*, else the embedded cluster)");
  m->add_option("--history-schema", flags->history_schema, "Schema of the history table")->capture_default_str();
  m->add_option("--table", flags->table, "History table (schema_migrations adopts the seed's)")->capture_default_str();
  m->add_option("--schema", flags->target_schema, "Run with search_path set to this schema");
  m->add_option("--lock-wait", flags->lock_wait, "Wait this long for another migrator's lock")->capture_default_str();
  m->add_flag("--no-wait", flags->no_wait, "Fail at once when another migrator holds the lock");
  m->add_option("--lock-timeout", flags->lock_timeout, "lock_timeout per migration (0: off)")->capture_default_str();
  m->add_option("--statement-timeout", flags->statement_timeout, "statement_timeout per migration (0: off)")
      ->capture_default_str();
  m->add_flag("--json", flags->json, "Report as JSON");
  m->add_flag("--create-schemas", flags->create_schemas,
              "Create the history and target schemas when missing (else a missing one is an error)");

  subcommand(m, action, flags, "status", "Applied, pending, missing, changed and failed migrations", status);
  auto* up_cmd = subcommand(m, action, flags, "up", "Apply pending migrations", up);
  up_cmd->add_option("--to", flags->to, "Up to and including this version")->check(version_check(0));
  up_cmd->add_flag("--dry-run", flags->dry_run, "Print the SQL that would run; change nothing");
  up_cmd->add_flag("--allow-out-of-order", flags->allow_out_of_order, "Apply pending versions below the highest applied");
  up_cmd->add_flag("--all-in-one", flags->all_in_one, "The whole run in one transaction");
  up_cmd->add_flag("--no-lint", flags->no_lint, "Do not warn about lint findings of pending migrations");
  up_cmd->add_option("--schemas", flags->schemas, "Migrate each of these schemas (comma-separated)");
  up_cmd->add_option("--schemas-like", flags->schemas_like, "Migrate every schema whose name matches this LIKE pattern");
  up_cmd->add_option("--workers", flags->workers, "Schemas migrated at once")->capture_default_str();
  auto* down_cmd = subcommand(m, action, flags, "down", "Roll back applied migrations (--to V or --steps N)", down);
  down_cmd->add_option("--to", flags->to, "Roll back every version above this one (0: all)")->check(version_check(0));
  down_cmd->add_option("--steps", flags->steps, "Roll back the newest N")
      ->check(CLI::Range(1, std::numeric_limits<int>::max()));
  down_cmd->add_flag("--dry-run", flags->dry_run, "Print the SQL that would run; change nothing");
  down_cmd->add_flag("--all-in-one", flags->all_in_one, "The whole run in one transaction");
  subcommand(m, action, flags, "redo", "Roll back the newest migration and apply it again", redo)
      ->add_flag("--dry-run", flags->dry_run, "Print the SQL that would run; change nothing");
  subcommand(m, action, flags, "validate", "Check applied migrations' checksums against the files (exit 1 if not)",
             validate);
  subcommand(m, action, flags, "baseline", "Mark the migrations up to V as applied without running them", baseline)
      ->add_option("version", flags->version, "The version the existing schema is at")
      ->check(version_check(1))
      ->required();
  subcommand(m, action, flags, "repair", "Delete failed history rows and accept changed checksums", repair)
      ->add_flag("--yes", flags->yes, "Really rewrite the history");
  auto* new_cmd = subcommand(m, action, flags, "new", "Create <next version>_<NAME>.sql in the folder", create);
  new_cmd->add_option("name", flags->name, "[a-z0-9_]+")->required();
  new_cmd->add_flag("--timestamp", flags->timestamp, "Use a UTC timestamp version in an empty folder");
  subcommand(m, action, flags, "lint", "Flag statements that lock busy tables for long (exit 1 on findings)", lint);
}

}  // namespace pgkit::cli
