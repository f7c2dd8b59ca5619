// `pgkit migrate lint` and the lint warning before `up`, run as a child process: exit codes, the
// file:line of a finding, JSON lines, acceptance comments, and down sections left out before `up`.
#include "cli_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/sql.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

using pgkit::testing::CliOptions;
using pgkit::testing::DatabaseTest;
using pgkit::testing::run_cli;

class CliMigrateLint : public DatabaseTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pgkit-cli-lint-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    schema_ = std::string("lint_") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    connect().exec(pgkit::sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(pgkit::sql::Identifier(schema_)));
    write("0001_create_users.sql",
          "-- migrate:up\nCREATE TABLE users (id int PRIMARY KEY, name text);\n"
          "CREATE INDEX users_name ON users (name);\n-- migrate:down\nDROP TABLE users;\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }
  pgkit::testing::CliResult migrate(std::vector<std::string> args) {
    std::vector<std::string> all{"migrate",  "--dir",    dir_.string(), "--history-schema",
                                 schema_,    "--schema", schema_,       "--create-schemas"};
    all.insert(all.end(), args.begin(), args.end());
    return run_cli(all, CliOptions{.env = {{"DATABASE_URL", database_url()}}});
  }
  static std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
  std::filesystem::path dir_;
  std::string schema_;
};

TEST_F(CliMigrateLint, CleanMigrationsExitZero) {
  // An index on a table the same file creates is not a finding.
  const auto r = migrate({"lint"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.out, "") << r;
}

TEST_F(CliMigrateLint, AFindingNamesFileLineRuleAndExitsOne) {
  write("0002_index_name.sql",
        "-- migrate:up\n\nCREATE UNIQUE INDEX users_name_u ON users (name);\n-- migrate:down\nDROP INDEX "
        "users_name_u;\n");
  auto r = migrate({"lint"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.out.find("0002_index_name.sql:3: lint [index-not-concurrent]"), std::string::npos) << r;
  EXPECT_NE(r.out.find("CREATE INDEX CONCURRENTLY"), std::string::npos) << r;
  r = migrate({"lint", "--json"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_EQ(count(r.out, "\n"), 1U) << r;
  EXPECT_NE(r.out.find("\"rule\":\"index-not-concurrent\""), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"line\":3"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"accepted\":false"), std::string::npos) << r;
}

TEST_F(CliMigrateLint, AnAcceptedFindingExitsZero) {
  write("0002_index_name.sql",
        "-- migrate:up\n-- pgkit:lint-ok index-not-concurrent\n-- users has a few hundred rows\n"
        "CREATE INDEX users_name_2 ON users (name);\n-- migrate:down\nDROP INDEX users_name_2;\n");
  auto r = migrate({"lint"});
  EXPECT_EQ(r.exit_code, 0) << r;
  r = migrate({"lint", "--json"});
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("\"accepted\":true"), std::string::npos) << r;
}

TEST_F(CliMigrateLint, UpWarnsAboutPendingUpSectionsAndStillRuns) {
  ASSERT_EQ(migrate({"up"}).exit_code, 0);
  write("0002_drop_name.sql",
        "-- migrate:up\nALTER TABLE users DROP COLUMN name;\n-- migrate:down\n"
        "ALTER TABLE users ADD COLUMN name text;\nCREATE INDEX users_name ON users (name);\n");
  auto r = migrate({"up"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.err.find("0002_drop_name.sql:2: lint [drop-column]"), std::string::npos) << r;
  // The down section's index is linted by `lint`, not announced before `up`; applied migrations are not linted.
  EXPECT_EQ(r.err.find("index-not-concurrent"), std::string::npos) << r;
  EXPECT_EQ(r.err.find("0001_create_users"), std::string::npos) << r;
  EXPECT_EQ(connect().query_value<std::int64_t>(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'users' AND "
                "column_name = 'name'",
                schema_),
            0);
  r = migrate({"lint"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.out.find("0002_drop_name.sql:5: lint [index-not-concurrent]"), std::string::npos) << r;
  // --no-lint silences the warning.
  write("0003_rename.sql", "-- migrate:up\nALTER TABLE users RENAME TO people;\n");
  r = migrate({"up", "--no-lint"});
  ASSERT_EQ(r.exit_code, 0) << r;
  EXPECT_EQ(r.err.find("rename-table"), std::string::npos) << r;
}

}  // namespace
