// `pgkit db ...` as an operator runs it: exit codes, what reaches stdout and stderr, --json.
#include "embedded_test_support.hpp"

#include <nlohmann/json.hpp>

namespace {

using namespace pgkit::testing;

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `pgkit <arguments>` with PGKIT_HOME=`home` (paths here come from mkdtemp: no quoting needed).
Run pgkit_db(const fs::path& home, const std::string& arguments, const TempFolder& scratch) {
  const fs::path out = scratch.path() / "out";
  const fs::path err = scratch.path() / "err";
  const std::string command = fmt::format("env -u DATABASE_URL PGKIT_HOME='{}' '{}' {} >'{}' 2>'{}' </dev/null",
                                          home.string(), PGKIT_CLI, arguments, out.string(), err.string());
  const int status = std::system(command.c_str());
  return Run{WIFEXITED(status) ? WEXITSTATUS(status) : -1, file_text(out), file_text(err)};
}

TEST(DbCommand, UrlOfAMissingOrStoppedClusterFails) {
  TempFolder scratch;
  const fs::path home = scratch.path() / "deeper" / "cluster";
  auto url = pgkit_db(home, "db url", scratch);
  EXPECT_EQ(url.exit_code, 1);
  EXPECT_EQ(url.out, "");
  EXPECT_NE(url.err.find("not initialised"), std::string::npos) << url.err;

  auto start = pgkit_db(home, "db start --json", scratch);
  ASSERT_EQ(start.exit_code, 0) << start.err;
  const auto started = nlohmann::json::parse(start.out);
  EXPECT_EQ(started.at("state"), "running");
  EXPECT_EQ(started.at("already_running"), false);

  url = pgkit_db(home, "db url", scratch);
  ASSERT_EQ(url.exit_code, 0) << url.err;
  auto conn = pg_connect(url.out.substr(0, url.out.find('\n')));
  EXPECT_EQ(pg_value(conn.get(), "SELECT 1"), "1");
  conn.reset();
  EXPECT_EQ(pgkit_db(home, "db url --tcp", scratch).exit_code, 1) << "no TCP listener was asked for";

  const auto status = pgkit_db(home, "db status --json", scratch);
  EXPECT_EQ(status.exit_code, 0);
  EXPECT_EQ(nlohmann::json::parse(status.out).at("pid"), started.at("pid"));

  EXPECT_EQ(pgkit_db(home, "db stop", scratch).exit_code, 0);
  url = pgkit_db(home, "db url", scratch);
  EXPECT_EQ(url.exit_code, 1);
  EXPECT_NE(url.err.find("stopped"), std::string::npos) << url.err;
  EXPECT_EQ(pgkit_db(home, "db status", scratch).exit_code, 1);

  const auto unconfirmed = pgkit_db(home, "db destroy", scratch);
  EXPECT_EQ(unconfirmed.exit_code, 2);
  EXPECT_NE(unconfirmed.err.find("--yes"), std::string::npos) << unconfirmed.err;
  // (As root the scratch folder is out of the server account's reach: the data lives elsewhere.)
  const auto kept = nlohmann::json::parse(pgkit_db(home, "db status --json", scratch).out);
  EXPECT_EQ(kept.at("state"), "stopped");
  const fs::path data = kept.at("data").get<std::string>();
  EXPECT_TRUE(fs::exists(data / "PG_VERSION"));
  const auto destroyed = pgkit_db(home, "db destroy --yes", scratch);
  EXPECT_EQ(destroyed.exit_code, 0) << destroyed.err;
  EXPECT_FALSE(fs::exists(home));
  EXPECT_FALSE(fs::exists(data));
  EXPECT_EQ(pgkit_db(home, "db destroy --yes", scratch).out, "no cluster in " + home.string() + "\n");
}

TEST(DbCommand, RefusesToTakeOverFoldersItDidNotMake) {
  TempFolder scratch;
  auto root = pgkit_db("/", "db start", scratch);
  EXPECT_EQ(root.exit_code, 1);
  EXPECT_NE(root.err.find("'/' cannot be a cluster home"), std::string::npos) << root.err;
  TempFolder users(0750);
  std::ofstream(users.path() / "notes.txt") << "mine";
  const auto taken = pgkit_db(users.path(), "db start", scratch);
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("not empty"), std::string::npos) << taken.err;
  EXPECT_EQ(file_text(users.path() / "notes.txt"), "mine");
  struct stat info {};
  ASSERT_EQ(::stat(users.path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 07777, 0750u);
}

TEST(DbCommand, UsageErrorsExitTwo) {
  TempFolder scratch;
  EXPECT_EQ(pgkit_db(scratch.path() / "c", "db", scratch).exit_code, 2);
  EXPECT_EQ(pgkit_db(scratch.path() / "c", "db start --no-such-flag", scratch).exit_code, 2);
  const auto help = pgkit_db(scratch.path() / "c", "db url --help", scratch);
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--json"), std::string::npos);
}

}  // namespace
