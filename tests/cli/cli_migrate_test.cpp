// `pgkit migrate` run as a child process against the test server: every subcommand, exit codes, JSON,
// a failing migration's file and line, many schemas, and a migrator process killed holding the lock.
#include "cli_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/sql.hpp>

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::CliOptions;
using pgkit::testing::CliProcess;
using pgkit::testing::DatabaseTest;
using pgkit::testing::run_cli;

class CliMigrate : public DatabaseTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pgkit-cli-migrate-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    schema_ = "cli_" + name;
    auto conn = connect();
    conn.exec(pgkit::sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgkit::sql::Identifier(schema_)));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  // `pgkit migrate --dir D --history-schema S --schema S <args>` with DATABASE_URL set.
  pgkit::testing::CliResult migrate(std::vector<std::string> args) {
    std::vector<std::string> all{"migrate",  "--dir",    dir_.string(), "--history-schema",
                                 schema_,    "--schema", schema_,       "--create-schemas"};
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all, options());
  }
  CliOptions options() { return CliOptions{.env = {{"DATABASE_URL", database_url()}}}; }
  std::filesystem::path dir_;
  std::string schema_;
};

TEST_F(CliMigrate, EverySubcommandHasHelp) {
  for (const char* sub : {"status", "up", "down", "redo", "validate", "baseline", "repair", "new", "lint"}) {
    const auto r = run_cli({"migrate", sub, "--help"});
    EXPECT_EQ(r.exit_code, 0) << sub << ": " << r;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << ": " << r;
  }
  EXPECT_EQ(run_cli({"migrate"}).exit_code, 2);
  EXPECT_EQ(run_cli({"migrate", "up", "--bogus"}).exit_code, 2);
}

TEST_F(CliMigrate, InputErrorsExitTwoBeforeConnecting) {
  write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
  const std::string long_name(64, 'x');
  const std::vector<std::vector<std::string>> cases{
      {"up", "--to", "-1"},
      {"up", "--to", "99999999999999999999"},
      {"up", "--to", "1x"},
      {"down", "--steps", "0"},
      {"down", "--to", "-3"},
      {"baseline", "0"},
      {"new", "Bad Name"},
      {"--table", long_name, "status"},
      {"--table", "", "status"},
      {"--schema", long_name, "status"},
      {"up", "--schemas", "s1,,s2"},
      {"up", "--schemas", "s1," + long_name},
      {"--lock-wait", "soon", "status"},
  };
  for (const auto& args : cases) {
    const auto r = migrate(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << " " << args[1] << " " << args[2] << ": " << r;
  }
  // The system schemas are never a pattern's match: nothing matched.
  EXPECT_EQ(migrate({"up", "--schemas-like", "pg_%"}).exit_code, 2);
  EXPECT_EQ(migrate({"up", "--schemas-like", "information%"}).exit_code, 2);
  // --history-schema comes first in migrate(): run it directly.
  const auto r = run_cli({"migrate", "--dir", dir_.string(), "--history-schema", "", "status"}, options());
  EXPECT_EQ(r.exit_code, 2) << r;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "0002_bad name.sql"));
}

TEST_F(CliMigrate, AMissingSchemaIsAnErrorUnlessCreateSchemas) {
  write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
  const auto url = options();
  auto r = run_cli({"migrate", "--dir", dir_.string(), "--schema", schema_, "up"}, url);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("schema \"" + schema_ + "\" does not exist"), std::string::npos) << r;
  r = run_cli({"migrate", "--dir", dir_.string(), "up", "--schemas", schema_ + "_typo"}, url);
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r;
  auto conn = connect();
  EXPECT_FALSE(conn.query_value<bool>("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema_ + "_typo"));
  EXPECT_EQ(migrate({"up"}).exit_code, 0);  // with --create-schemas
}

TEST_F(CliMigrate, TheWholeCycle) {
  auto r = migrate({"new", "create_users"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("0001_create_users.sql"), std::string::npos) << r;
  write("0001_create_users.sql", "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n");
  write("0002_add_name.sql", "-- migrate:up\nALTER TABLE users ADD COLUMN name text;\n-- migrate:down\nALTER TABLE users DROP COLUMN name;\n");
  r = migrate({"status"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("0002             pending"), std::string::npos) << r;
  r = migrate({"up", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("BEGIN;"), std::string::npos) << r;
  EXPECT_NE(migrate({"status", "--json"}).out.find("\"state\":\"pending\""), std::string::npos);
  r = migrate({"up", "--to", "1"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("applied 0001 create_users"), std::string::npos) << r;
  r = migrate({"up", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("\"name\":\"add_name\""), std::string::npos) << r;
  EXPECT_EQ(migrate({"validate"}).exit_code, 0);
  r = migrate({"redo"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("rolled back 0002 add_name"), std::string::npos) << r;
  EXPECT_EQ(migrate({"down"}).exit_code, 2);  // neither --to nor --steps
  r = migrate({"down", "--steps", "1"});
  EXPECT_EQ(r.exit_code, 0) << r;
  // A changed file: validate fails naming the version; repair wants --yes.
  write("0001_create_users.sql", "-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY);\n-- migrate:down\nDROP TABLE users;\n");
  r = migrate({"validate"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("migration 1 (create_users) changed"), std::string::npos) << r;
  EXPECT_EQ(migrate({"repair"}).exit_code, 2);
  EXPECT_EQ(migrate({"repair", "--yes"}).exit_code, 0);
  EXPECT_EQ(migrate({"validate"}).exit_code, 0);
  r = migrate({"down", "--to", "0"});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = migrate({"baseline", "2"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("marked as applied: 1, 2"), std::string::npos) << r;
  r = migrate({"lint"});
  EXPECT_EQ(r.exit_code, 0) << r;
}

TEST_F(CliMigrate, AFailingMigrationNamesItsFileAndLine) {
  write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n\nSELECT *\n  FROM nowhere;\n");
  const auto r = migrate({"up"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find((dir_ / "0001_a.sql").string() + ":5: migration 1 (a) up, statement 2:"), std::string::npos)
      << r;
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r;
  // --json: the failure is a JSON line on stdout as well.
  const auto json = migrate({"--json", "up"});
  EXPECT_EQ(json.exit_code, 1) << json;
  EXPECT_EQ(std::count(json.out.begin(), json.out.end(), '\n'), 1) << json;
  const std::vector<std::string> parts{"\"ok\":false", "\"line\":5", "\"version\":1", "\"statement\":2",
                                       "\"sqlstate\":\"42P01\"", "\"file\":\"" + (dir_ / "0001_a.sql").string() + "\""};
  for (const auto& part : parts) {
    EXPECT_NE(json.out.find(part), std::string::npos) << part << ": " << json;
  }
  const auto bad = std::filesystem::path(dir_) / "0002_b.up.sql";
  write("0002_b.up.sql", "SELECT 1;\n");
  const auto rejected = migrate({"status"});
  EXPECT_EQ(rejected.exit_code, 1) << rejected;
  EXPECT_NE(rejected.err.find(bad.string() + ": separate up/down files"), std::string::npos) << rejected;
}

TEST_F(CliMigrate, ManySchemasReportOneJsonLineEach) {
  write("0001_a.sql", "-- migrate:up\nCREATE TABLE a (id int);\n");
  const std::string list = schema_ + "_1," + schema_ + "_2," + schema_ + "_3";
  auto r = run_cli({"migrate", "--dir", dir_.string(), "--json", "--create-schemas", "up", "--schemas", list, "--workers", "2"},
                   options());
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r;
  EXPECT_NE(r.out.find("\"applied\":1"), std::string::npos) << r;
  r = run_cli({"migrate", "--dir", dir_.string(), "up", "--schemas-like", schema_ + "\\_%"}, options());
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("3 schemas: 3 up to date, 0 migrated, 0 failed"), std::string::npos) << r;
  auto conn = connect();
  for (int i = 1; i <= 3; ++i) {
    conn.exec(pgkit::sql::SQL("DROP SCHEMA {} CASCADE").format(pgkit::sql::Identifier(schema_ + "_" + std::to_string(i))));
  }
}

TEST_F(CliMigrate, AMigratorProcessKilledHoldingTheLockLetsTheNextProceed) {
  write("0001_slow.sql", "-- migrate:up\nCREATE TABLE slow (id int);\nSELECT pg_sleep(60);\n");
  CliProcess first({"migrate", "--dir", dir_.string(), "--history-schema", schema_, "--schema", schema_,
                    "--create-schemas", "up"},
                   options());
  auto conn = connect();
  // Wait until the first holds the lock (its pg_sleep is running).
  bool sleeping = false;
  for (int i = 0; i < 200 && !sleeping; ++i) {
    sleeping = conn.query_value<bool>(
        "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'pgkit migrate'"
        " AND query LIKE 'SELECT pg_sleep(60)%')");
    if (!sleeping) std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(sleeping);
  auto busy = migrate({"--no-wait", "up"});
  EXPECT_EQ(busy.exit_code, 1) << busy;
  EXPECT_NE(busy.err.find("is held by pid"), std::string::npos) << busy;
  first.send(SIGKILL);
  write("0001_slow.sql", "-- migrate:up\nCREATE TABLE slow (id int);\nSELECT pg_sleep(0);\n");
  const auto next = migrate({"--lock-wait", "20s", "up"});
  EXPECT_EQ(next.exit_code, 0) << next;
  EXPECT_NE(next.out.find("applied 0001 slow"), std::string::npos) << next;
}

}  // namespace
