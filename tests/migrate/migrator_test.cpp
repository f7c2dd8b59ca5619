// The Migrator against the real server: every command, transactions, failures and their lines, dry
// runs, the history's checks (changed, missing, out of order), hostile names, the seed's table.
#include "migrate_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/migrate.hpp>
#include <pgkit/sql.hpp>

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace migrate = pgkit::migrate;
namespace sql = pgkit::sql;
using pgkit::testing::DatabaseTest;
using pgkit::testing::TempFolder;

class Migrations : public DatabaseTest {
 protected:
  void SetUp() override {
    conn_.emplace(connect());
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    schema_ = "m_" + name.substr(0, 50);
    conn().exec(sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql::Identifier(schema_)));
    conn().exec(sql::SQL("CREATE SCHEMA {}").format(sql::Identifier(schema_)));
    options_.history_schema = schema_;
    options_.target_schema = schema_;
    options_.lock_wait = 5s;
  }
  pgkit::Connection& conn() { return *conn_; }
  migrate::Migrator migrator(const migrate::MigrationSet& set) { return {conn(), set, options_}; }
  bool exists(const std::string& relation) {
    return conn().query_value<bool>("SELECT to_regclass($1) IS NOT NULL",
                                    sql::Identifier(schema_, relation).str());
  }
  std::vector<std::int64_t> history() {
    if (!exists(options_.history_table)) return {};
    return conn().query_value<std::vector<std::int64_t>>(
        sql::SQL("SELECT coalesce(array_agg(version::bigint ORDER BY version), '{{}}') FROM {}")
            .format(sql::Identifier(options_.history_schema, options_.history_table)));
  }
  // Three migrations: a table, a column with an index, a view.
  void write_three(const TempFolder& folder) {
    folder.write("0001_create_users.sql",
                 "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);\n"
                 "-- migrate:down\nDROP TABLE users;\n");
    folder.write("0002_add_email.sql",
                 "-- migrate:up\nALTER TABLE users ADD COLUMN email text;\nCREATE INDEX users_email ON users (email);\n"
                 "-- migrate:down\nDROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;\n");
    folder.write("0003_user_names.sql",
                 "-- migrate:up\nCREATE VIEW user_names AS SELECT name FROM users;\n"
                 "-- migrate:down\nDROP VIEW user_names;\n");
  }
  std::string schema_;
  migrate::Options options_;

 private:
  std::optional<pgkit::Connection> conn_;
};

TEST_F(Migrations, UpAppliesInOrderAndRecordsHistory) {
  TempFolder folder;
  write_three(folder);
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  auto m = migrator(set);
  const auto report = m.up();
  ASSERT_EQ(report.steps.size(), 3U);
  EXPECT_EQ(report.steps[0].version, 1);
  EXPECT_EQ(report.steps[2].version, 3);
  EXPECT_TRUE(exists("user_names"));
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2, 3}));
  const auto [name, checksum, applied_by, down_sql, transactional, state] =
      conn().query_one<std::string, std::string, std::string, std::string, bool, std::string>(
          sql::SQL("SELECT name, checksum, applied_by, down_sql, transactional, state FROM {} WHERE version = 2")
              .format(sql::Identifier(schema_, options_.history_table)));
  EXPECT_EQ(name, "add_email");
  EXPECT_EQ(checksum, set.find(2)->checksum());
  EXPECT_EQ(applied_by, conn().user());
  EXPECT_EQ(down_sql, "DROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;\n");
  EXPECT_TRUE(transactional);
  EXPECT_EQ(state, "applied");
  for (const auto& entry : m.status()) EXPECT_EQ(entry.state, migrate::State::applied) << entry.version;
  EXPECT_TRUE(m.up().steps.empty());
  m.validate();
  // search_path is the connection's again.
  EXPECT_EQ(conn().query_value<std::string>("SHOW search_path"), "\"$user\", public");
}

TEST_F(Migrations, UpToDownToAndDownSteps) {
  TempFolder folder;
  write_three(folder);
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  auto m = migrator(set);
  EXPECT_EQ(m.up(2).steps.size(), 2U);
  EXPECT_EQ(m.status()[2].state, migrate::State::pending);
  EXPECT_FALSE(exists("user_names"));
  m.up();
  const auto one = m.down_steps(1);
  ASSERT_EQ(one.steps.size(), 1U);
  EXPECT_EQ(one.steps[0].version, 3);
  EXPECT_FALSE(one.steps[0].up);
  EXPECT_FALSE(exists("user_names"));
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(m.down_to(1).steps.size(), 1U);
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(m.down_to(0).steps.size(), 1U);
  EXPECT_TRUE(history().empty());
  EXPECT_FALSE(exists("users"));
  EXPECT_THROW(m.down_steps(0), pgkit::InterfaceError);
  EXPECT_THROW(m.down_to(-1), pgkit::InterfaceError);
}

TEST_F(Migrations, UpThenDownToZeroLeavesTheSchemaExactlyAsBefore) {
  // The application's objects in their own schema; the history elsewhere.
  const std::string app = schema_ + "_app";
  conn().exec(sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql::Identifier(app)));
  conn().exec(sql::SQL("CREATE SCHEMA {}").format(sql::Identifier(app)));
  conn().exec(sql::SQL("CREATE TABLE {} (id int PRIMARY KEY)").format(sql::Identifier(app, "existing")));
  options_.target_schema = app;
  TempFolder folder;
  write_three(folder);
  folder.write("0004_more.sql",
               "-- migrate:up\nCREATE TYPE mood AS ENUM ('happy', 'sad');\nALTER TABLE users ADD COLUMN mood mood;\n"
               "CREATE FUNCTION user_count() RETURNS bigint LANGUAGE sql AS $$ SELECT count(*) FROM users $$;\n"
               "ALTER TABLE existing ADD COLUMN note text DEFAULT 'x';\n"
               "-- migrate:down\nALTER TABLE existing DROP COLUMN note;\nDROP FUNCTION user_count();\n"
               "ALTER TABLE users DROP COLUMN mood;\nDROP TYPE mood;\n");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  const std::string before = pgkit::testing::pg_dump_schema(database_url(), app);
  auto m = migrator(set);
  m.up();
  const std::string during = pgkit::testing::pg_dump_schema(database_url(), app);
  EXPECT_NE(during, before);
  EXPECT_NE(during.find("user_count"), std::string::npos);
  m.down_to(0);
  EXPECT_EQ(pgkit::testing::pg_dump_schema(database_url(), app), before);
}

TEST_F(Migrations, FailingMigrationInTheMiddleLeavesHistoryAndSchemaAsBefore) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
  const auto bad = folder.write("0002_b.sql",
                                "-- migrate:up\n-- b holds things\nCREATE TABLE b (id int);\n\nINSERT INTO b\n"
                                "  SELECT no_such_column FROM a;\nCREATE TABLE b2 (id int);\n");
  folder.write("0003_c.sql", "-- migrate:up\nCREATE TABLE c (id int);\n");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  auto m = migrator(set);
  m.up(1);
  const std::string before = pgkit::testing::catalog_snapshot(conn());
  try {
    m.up();
    FAIL() << "the failing migration passed";
  } catch (const migrate::MigrationFailed& e) {
    EXPECT_EQ(e.where().version, 2);
    EXPECT_EQ(e.where().file, bad.string());
    EXPECT_EQ(e.where().statement, 2);
    EXPECT_EQ(e.where().line, 6) << e.what();  // the line holding no_such_column (server's position)
    EXPECT_EQ(e.where().sqlstate, "42703");
    const std::string what = e.what();
    EXPECT_EQ(what.rfind(bad.string() + ":6: migration 2 (b) up, statement 2:", 0), 0U) << what;
    EXPECT_NE(what.find("no_such_column"), std::string::npos) << what;
  }
  EXPECT_EQ(pgkit::testing::catalog_snapshot(conn()), before);
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1}));
  EXPECT_FALSE(exists("c"));
}

TEST_F(Migrations, ErrorWithoutAPositionNamesTheStatementLine) {
  TempFolder folder;
  const auto file = folder.write("0001_a.sql",
                                 "-- migrate:up\nCREATE TABLE a (id int PRIMARY KEY);\nINSERT INTO a VALUES (1);\n"
                                 "INSERT INTO a\n  VALUES (1);\n");
  auto m = migrator(migrate::MigrationSet::from_directory(folder.path()));
  try {
    m.up();
    FAIL() << "a duplicate key passed";
  } catch (const migrate::MigrationFailed& e) {
    EXPECT_EQ(e.where().line, 4) << e.what();
    EXPECT_EQ(e.where().statement, 3);
    EXPECT_EQ(e.where().sqlstate, "23505");
  }
  EXPECT_FALSE(exists("a"));
}

TEST_F(Migrations, NonTransactionalSectionRunsCreateIndexConcurrentlyAndAddValue) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\nCREATE TYPE color AS ENUM ('red');\n");
  folder.write("0002_concurrently.sql",
               "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"
               "ALTER TYPE color ADD VALUE 'blue';\n"
               "-- migrate:down\n-- pgkit:no-transaction\nDROP INDEX CONCURRENTLY a_id;\n");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  auto m = migrator(set);
  m.up();
  EXPECT_TRUE(exists("a_id"));
  EXPECT_EQ(conn().query_value<std::int64_t>(
                "SELECT count(*) FROM pg_enum WHERE enumtypid = to_regtype($1)", sql::Identifier(schema_, "color").str()),
            2);
  EXPECT_FALSE(conn().query_value<bool>(sql::SQL("SELECT transactional FROM {} WHERE version = 2")
                                            .format(sql::Identifier(schema_, options_.history_table))));
  m.down_steps(1);
  EXPECT_FALSE(exists("a_id"));
  // The same statement in a transactional section: the server refuses, and the message says what to do.
  TempFolder other;
  other.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\nCREATE TYPE color AS ENUM ('red');\n");
  other.write("0002_concurrently.sql", "-- migrate:up\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n");
  try {
    migrator(migrate::MigrationSet::from_directory(other.path())).up();
    FAIL() << "CREATE INDEX CONCURRENTLY ran in a transaction";
  } catch (const migrate::MigrationFailed& e) {
    EXPECT_NE(std::string(e.what()).find("-- pgkit:no-transaction"), std::string::npos) << e.what();
  }
}

TEST_F(Migrations, NonTransactionalFailureIsRecordedAndBlocksUntilFixedOrRepaired) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n");
  const auto file = folder.write("0002_index.sql",
                                 "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY a_id"
                                 " ON a (id);\nCREATE INDEX CONCURRENTLY a_nope ON a (nope);\n");
  folder.write("0003_c.sql", "-- migrate:up\nCREATE TABLE c (id int);\n");
  auto set = migrate::MigrationSet::from_directory(folder.path());
  auto m = migrator(set);
  try {
    m.up();
    FAIL() << "the failing statement passed";
  } catch (const migrate::MigrationFailed& e) {
    EXPECT_EQ(e.where().statement, 2);
    EXPECT_EQ(e.where().line, 4);
  }
  EXPECT_TRUE(exists("a_id"));  // statement 1 ran: no transaction to undo it
  EXPECT_FALSE(exists("c"));
  const auto status = m.status();
  ASSERT_EQ(status.size(), 3U);
  EXPECT_EQ(status[1].state, migrate::State::failed);
  EXPECT_EQ(status[1].failed_statement, 2);
  EXPECT_NE(status[1].error.find("nope"), std::string::npos);
  // Blocked: the same file again is refused, naming the failure.
  try {
    migrator(set).up();
    FAIL() << "a failed migration did not block";
  } catch (const migrate::ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("migration 2 (index) failed at statement 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(m.validate(), migrate::ValidationError);
  EXPECT_THROW(m.repair(false), pgkit::InterfaceError);
  // down and redo are blocked too: rolling back 1 under the half-built 2 would drop what 2 built on.
  for (const auto& run : {std::function<void()>([&] { m.down_steps(1); }), std::function<void()>([&] { m.down_to(0); }),
                          std::function<void()>([&] { m.redo(); })}) {
    try {
      run();
      FAIL() << "a failed migration did not block down or redo";
    } catch (const migrate::ValidationError& e) {
      EXPECT_NE(std::string(e.what()).find("migration 2 (index) failed at statement 2"), std::string::npos) << e.what();
    }
  }
  EXPECT_TRUE(exists("a"));
  // Fixed: the changed file still starts with statement 1, so it resumes at statement 2 (statement 1,
  // not idempotent, would fail if it ran again), then the rest.
  folder.write("0002_index.sql", "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"
                                 "CREATE INDEX CONCURRENTLY a_id2 ON a (id);\n");
  set = migrate::MigrationSet::from_directory(folder.path());
  EXPECT_EQ(migrator(set).up().steps.size(), 2U);
  EXPECT_TRUE(exists("a_id2"));
  EXPECT_TRUE(exists("c"));
  migrator(set).validate();
}

TEST_F(Migrations, AFailedNonTransactionalMigrationWhoseDoneStatementsChangedIsRefused) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
  folder.write("0002_index.sql", "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"
                                 "SELECT 1/0;\n");
  EXPECT_THROW(migrator(migrate::MigrationSet::from_directory(folder.path())).up(), migrate::MigrationFailed);
  // Statement 1 (which ran) is not what the file says any more: resuming would be a guess.
  folder.write("0002_index.sql", "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id, id);\n"
                                 "SELECT 1;\n");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  try {
    migrator(set).up();
    FAIL() << "a changed done statement was not refused";
  } catch (const migrate::ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("ran statements 1 to 1 outside a transaction before it failed"),
              std::string::npos) << e.what();
  }
  // Repaired by hand: the next up runs the file from statement 1.
  conn().exec(sql::SQL("DROP INDEX {}").format(sql::Identifier(schema_, "a_id")));
  migrator(set).repair(true);
  EXPECT_EQ(migrator(set).up().steps.size(), 1U);
  EXPECT_TRUE(exists("a_id"));
}

TEST_F(Migrations, AMigratorKilledBetweenNonTransactionalStatementsIsResumedWhereItStopped) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\nCREATE TABLE armed ();\n");
  // Statement 2 ends the migrator's own session while the table `armed` exists: a kill between statements.
  folder.write("0002_index.sql", "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n"
                                 "SELECT pg_terminate_backend(pg_backend_pid()) WHERE to_regclass('armed') IS NOT NULL;\n"
                                 "CREATE INDEX CONCURRENTLY a_id2 ON a (id);\n");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  {
    auto doomed = connect();
    EXPECT_ANY_THROW(migrate::Migrator(doomed, set, options_).up());
  }
  const auto [state, done] = conn().query_one<std::string, int>(
      sql::SQL("SELECT state, statements_done FROM {} WHERE version = 2").format(sql::Identifier(schema_, options_.history_table)));
  EXPECT_EQ(state, "running");
  EXPECT_EQ(done, 1);
  EXPECT_THROW(migrator(set).down_steps(1), migrate::ValidationError);  // interrupted blocks down
  conn().exec(sql::SQL("DROP TABLE {}").format(sql::Identifier(schema_, "armed")));
  // The same file: statement 1 (its index exists) is not run again; 2 and 3 are.
  EXPECT_EQ(migrator(set).up().steps.size(), 1U);
  EXPECT_TRUE(exists("a_id2"));
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2}));
  migrator(set).validate();
}

TEST_F(Migrations, RepairClearsAFailureAndAcceptsChangedChecksums) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
  folder.write("0002_b.sql", "-- migrate:up\n-- pgkit:no-transaction\nSELECT 1/0;\n");
  auto set = migrate::MigrationSet::from_directory(folder.path());
  EXPECT_THROW(migrator(set).up(), migrate::MigrationFailed);
  folder.write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int); -- edited\n");
  set = migrate::MigrationSet::from_directory(folder.path());
  const auto report = migrator(set).repair(true);
  EXPECT_EQ(report.failed_removed, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(report.checksums_updated, (std::vector<std::int64_t>{1}));
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1}));
  migrator(set).validate();
}

TEST_F(Migrations, DryRunPrintsTheSqlAndChangesNothing) {
  TempFolder folder;
  write_three(folder);
  folder.write("0004_concurrently.sql",
               "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY users_name ON users (name);\n"
               "-- migrate:down\n-- pgkit:no-transaction\nDROP INDEX CONCURRENTLY users_name;\n");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  const std::string before = pgkit::testing::catalog_snapshot(conn());
  options_.dry_run = true;
  const auto report = migrator(set).up();
  EXPECT_EQ(pgkit::testing::catalog_snapshot(conn()), before);
  EXPECT_EQ(report.steps.size(), 4U);
  const std::string& text = report.sql;
  const std::string history_table = sql::Identifier(schema_, options_.history_table).str();
  // In order: search_path, the history table, then each migration in its transaction.
  const auto at = [&](const std::string& what) {
    const auto position = text.find(what);
    EXPECT_NE(position, std::string::npos) << what << " not in:\n" << text;
    return position;
  };
  EXPECT_LT(at("SET search_path TO \"" + schema_ + "\";"), at("CREATE TABLE " + history_table));
  EXPECT_LT(at("CREATE TABLE " + history_table), at("BEGIN;\nSET LOCAL lock_timeout = '10000ms';"));
  EXPECT_LT(at("CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL);"),
            at("INSERT INTO " + history_table + " (version"));
  EXPECT_LT(at("CREATE VIEW user_names AS SELECT name FROM users;"), at("SET lock_timeout = '10000ms';"));
  // A non-transactional section records its progress before and after each statement.
  const std::string progress = "INSERT INTO " + history_table +
                               " (version, name, checksum, down_sql, transactional, state, statements_done";
  EXPECT_LT(at("SET lock_timeout = '10000ms';\nSET statement_timeout = '1800000ms';\n" + progress),
            at("CREATE INDEX CONCURRENTLY users_name"));
  EXPECT_LT(at("CREATE INDEX CONCURRENTLY users_name ON users (name);\n" + progress), at("RESET lock_timeout;"));
  EXPECT_EQ(text.substr(text.size() - 25), "RESET statement_timeout;\n");

  // A dry-run down after a real up: the down statements and the history deletes, nothing changed.
  options_.dry_run = false;
  migrator(set).up();
  const std::string applied = pgkit::testing::catalog_snapshot(conn());
  options_.dry_run = true;
  const auto down = migrator(set).down_to(0);
  EXPECT_EQ(pgkit::testing::catalog_snapshot(conn()), applied);
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2, 3, 4}));
  EXPECT_LT(down.sql.find("DROP INDEX CONCURRENTLY users_name;"), down.sql.find("DROP VIEW user_names;"));
  EXPECT_NE(down.sql.find("DELETE FROM " + history_table + " WHERE version = 1;\nCOMMIT;"), std::string::npos)
      << down.sql;
}

TEST_F(Migrations, DownUsesTheDownTextStoredInHistoryWhenTheFileIsGone) {
  TempFolder folder;
  write_three(folder);
  migrator(migrate::MigrationSet::from_directory(folder.path())).up();
  std::filesystem::remove(folder.path() / "0003_user_names.sql");
  std::filesystem::remove(folder.path() / "0002_add_email.sql");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  auto m = migrator(set);
  const auto status = m.status();
  EXPECT_EQ(status[1].state, migrate::State::missing);
  EXPECT_EQ(status[2].state, migrate::State::missing);
  EXPECT_THROW(m.validate(), migrate::ValidationError);
  m.down_to(0);
  EXPECT_TRUE(history().empty());
  EXPECT_FALSE(exists("users"));
}

TEST_F(Migrations, ChangedMigrationIsAnErrorNamingVersionAndBothChecksums) {
  TempFolder folder;
  write_three(folder);
  auto set = migrate::MigrationSet::from_directory(folder.path());
  migrator(set).up();
  const std::string old_checksum = set.find(2)->checksum();
  folder.write("0002_add_email.sql", "-- migrate:up\nALTER TABLE users ADD COLUMN email varchar(200);\n");
  set = migrate::MigrationSet::from_directory(folder.path());
  const std::string new_checksum = set.find(2)->checksum();
  auto m = migrator(set);
  EXPECT_EQ(m.status()[1].state, migrate::State::changed);
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      attempt == 0 ? m.validate() : static_cast<void>(m.up());
      FAIL() << "a changed migration passed";
    } catch (const migrate::ValidationError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("migration 2 (add_email) changed"), std::string::npos) << what;
      EXPECT_NE(what.find(old_checksum), std::string::npos) << what;
      EXPECT_NE(what.find(new_checksum), std::string::npos) << what;
    }
  }
}

TEST_F(Migrations, OutOfOrderPendingIsRefusedUnlessAllowed) {
  migrate::MigrationSet set;
  set.add(1, "a", "CREATE TABLE a (id int)");
  set.add(3, "c", "CREATE TABLE c (id int)");
  migrator(set).up();
  set.add(2, "b", "CREATE TABLE b (id int)");
  try {
    migrator(set).up();
    FAIL() << "out of order passed";
  } catch (const migrate::ValidationError& e) {
    EXPECT_NE(std::string(e.what()).find("pending migrations 2 are below the highest applied version 3"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(exists("b"));
  options_.allow_out_of_order = true;
  EXPECT_EQ(migrator(set).up().steps.size(), 1U);
  EXPECT_TRUE(exists("b"));
}

TEST_F(Migrations, RedoRollsTheNewestBackAndAppliesItAgain) {
  TempFolder folder;
  write_three(folder);
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  auto m = migrator(set);
  m.up();
  conn().exec(sql::SQL("INSERT INTO {} VALUES (1, 'x')").format(sql::Identifier(schema_, "users")));
  const auto report = m.redo();
  ASSERT_EQ(report.steps.size(), 2U);
  EXPECT_EQ(report.steps[0].version, 3);
  EXPECT_FALSE(report.steps[0].up);
  EXPECT_TRUE(report.steps[1].up);
  EXPECT_TRUE(exists("user_names"));
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2, 3}));
}

TEST_F(Migrations, BaselineMarksAnExistingSchemaWithoutRunningIt) {
  TempFolder folder;
  write_three(folder);
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  conn().exec(sql::SQL("CREATE TABLE {} (id bigint PRIMARY KEY, name text NOT NULL, email text)")
                  .format(sql::Identifier(schema_, "users")));
  auto m = migrator(set);
  EXPECT_EQ(m.baseline(2), (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(m.up().steps.size(), 1U);
  EXPECT_TRUE(exists("user_names"));
  EXPECT_THROW(m.baseline(0), pgkit::InterfaceError);
}

TEST_F(Migrations, IrreversibleMigrationRollsNothingBack) {
  migrate::MigrationSet set;
  set.add(1, "a", "CREATE TABLE a (id int)", std::string("DROP TABLE a"));
  set.add(2, "b", "CREATE TABLE b (id int)");
  migrator(set).up();
  try {
    migrator(set).down_to(0);
    FAIL() << "an irreversible migration was rolled back";
  } catch (const migrate::IrreversibleMigration& e) {
    EXPECT_NE(std::string(e.what()).find("migration 2 (b) has no down section"), std::string::npos) << e.what();
  }
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2}));
  EXPECT_TRUE(exists("a"));
}

TEST_F(Migrations, FunctionMigrationsAndTheAllInOneTransactionMode) {
  migrate::MigrationSet set;
  set.add(1, "table", "CREATE TABLE t (id int)", std::string("DROP TABLE t"));
  set.add(2, "rows", [](pgkit::Connection& c) { c.exec("INSERT INTO t SELECT generate_series(1, 10)"); },
          [](pgkit::Connection& c) { c.exec("DELETE FROM t"); });
  set.add(3, "broken", [](pgkit::Connection& c) { c.exec("INSERT INTO t VALUES ('not a number')"); });
  options_.all_in_one_transaction = true;
  EXPECT_THROW(migrator(set).up(), migrate::MigrationFailed);
  EXPECT_TRUE(history().empty());
  EXPECT_FALSE(exists("t"));  // the whole run rolled back
  options_.all_in_one_transaction = false;
  EXPECT_THROW(migrator(set).up(), migrate::MigrationFailed);
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2}));  // each in its own transaction
  EXPECT_EQ(conn().query_value<std::int64_t>(sql::SQL("SELECT count(*) FROM {}").format(sql::Identifier(schema_, "t"))),
            10);
  migrator(set).down_steps(1);
  EXPECT_EQ(conn().query_value<std::int64_t>(sql::SQL("SELECT count(*) FROM {}").format(sql::Identifier(schema_, "t"))),
            0);
}

TEST_F(Migrations, LockTimeoutStopsAMigrationBlockedBehindALongTransaction) {
  migrate::MigrationSet set;
  set.add(1, "a", "CREATE TABLE a (id int)");
  migrator(set).up();
  set.add(2, "alter", "ALTER TABLE a ADD COLUMN b int");
  auto other = connect();
  other.execute_script("BEGIN");
  other.exec(sql::SQL("LOCK TABLE {} IN ACCESS SHARE MODE").format(sql::Identifier(schema_, "a")));
  options_.lock_timeout = 200ms;
  const auto started = std::chrono::steady_clock::now();
  try {
    migrator(set).up();
    FAIL() << "the migration did not time out";
  } catch (const migrate::MigrationFailed& e) {
    EXPECT_EQ(e.where().sqlstate, "55P03") << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  other.execute_script("ROLLBACK");
  EXPECT_EQ(migrator(set).up().steps.size(), 1U);
}

TEST_F(Migrations, HostileSchemaAndTableNames) {
  const std::string hostile_schema = "we\"ird'; DROP TABLE x; --";
  conn().exec(sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql::Identifier(hostile_schema)));
  options_.history_schema = hostile_schema;
  options_.create_schemas = true;
  options_.history_table = "hist\"ory 'x' ; --";
  options_.target_schema = hostile_schema;
  migrate::MigrationSet set;
  set.add(1, "a", "CREATE TABLE \"odd \"\"name\" (id int)", std::string("DROP TABLE \"odd \"\"name\""));
  auto m = migrator(set);
  EXPECT_EQ(m.up().steps.size(), 1U);
  EXPECT_TRUE(conn().query_value<bool>("SELECT to_regclass($1) IS NOT NULL",
                                       sql::Identifier(hostile_schema, "odd \"name").str()));
  EXPECT_EQ(m.status()[0].state, migrate::State::applied);
  m.validate();
  m.down_to(0);
  EXPECT_TRUE(m.status()[0].state == migrate::State::pending);
  conn().exec(sql::SQL("DROP SCHEMA {} CASCADE").format(sql::Identifier(hostile_schema)));
  options_.history_table = "";
  EXPECT_THROW(migrator(set), pgkit::InterfaceError);
  options_.history_table = std::string(64, 'x');
  EXPECT_THROW(migrator(set), pgkit::InterfaceError);
}

TEST_F(Migrations, AdoptsTheSeedsSchemaMigrationsTable) {
  // The seed's DDL, exactly (its versions are strings, its checksum an MD5 it never checked).
  const sql::Identifier seed(schema_, "schema_migrations");
  conn().exec(sql::SQL("CREATE TABLE {} (version VARCHAR(20) PRIMARY KEY, name VARCHAR(200) NOT NULL, checksum"
                       " VARCHAR(32) NOT NULL, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)")
                  .format(seed));
  conn().exec(sql::SQL("INSERT INTO {} (version, name, checksum) VALUES ('001', 'create_products', md5('a')),"
                       " ('002', 'add_price', md5('b'))")
                  .format(seed));
  conn().exec(sql::SQL("CREATE TABLE {} (id serial PRIMARY KEY, price numeric)").format(sql::Identifier(schema_, "products")));
  migrate::MigrationSet set;
  set.add(1, "create_products", "CREATE TABLE products (id serial PRIMARY KEY)");
  set.add(2, "add_price", "ALTER TABLE products ADD COLUMN price numeric(10, 2)");
  set.add(10, "add_name", "ALTER TABLE products ADD COLUMN name text", std::string("ALTER TABLE products DROP COLUMN name"));
  options_.history_table = "schema_migrations";
  auto m = migrator(set);
  // Read before adoption (status writes nothing): the seed's MD5s differ from pgkit's checksums.
  const auto before = m.status();
  ASSERT_EQ(before.size(), 3U);
  EXPECT_EQ(before[0].state, migrate::State::changed);
  EXPECT_EQ(before[1].state, migrate::State::changed);
  EXPECT_EQ(before[2].state, migrate::State::pending);
  EXPECT_THROW(m.up(), migrate::ValidationError);  // adopts the table, then refuses the changed rows
  EXPECT_EQ(m.repair(true).checksums_updated, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(m.up().steps.size(), 1U);
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2, 10}));
  EXPECT_EQ(conn().query_value<std::string>(
                "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)"
                " FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND attname IN"
                " ('version', 'checksum')",
                seed.str()),
            "version bigint, checksum text");
  m.validate();
  m.down_steps(1);  // 10, not 2 (varchar '10' < '2')
  EXPECT_EQ(history(), (std::vector<std::int64_t>{1, 2}));
}

}  // namespace
