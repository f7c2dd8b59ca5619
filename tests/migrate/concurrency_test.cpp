// Migrators at once on one history table: the advisory lock serialises them, a waiting one gives up
// with a clear LockTimeout, and a migrator killed while holding the lock does not leave it held.
#include "migrate_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/migrate.hpp>
#include <pgkit/sql.hpp>

#include <gtest/gtest.h>
#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace migrate = pgkit::migrate;
namespace sql = pgkit::sql;
using pgkit::testing::DatabaseTest;

class MigrationLocking : public DatabaseTest {
 protected:
  static migrate::Options options_for(const std::string& schema) {
    migrate::Options options;
    options.history_schema = schema;
    options.target_schema = schema;
    return options;
  }
  // Five migrations, each logging itself into `applied_log` (a table the first creates); the first
  // sleeps so that the others arrive while it holds the lock.
  static migrate::MigrationSet logging_set() {
    migrate::MigrationSet set;
    set.add(1, "log", "CREATE TABLE applied_log (version int);\nSELECT pg_sleep(0.3);\nINSERT INTO applied_log VALUES (1);");
    for (int v = 2; v <= 5; ++v) {
      set.add(v, "step" + std::to_string(v), "INSERT INTO applied_log VALUES (" + std::to_string(v) + ")");
    }
    return set;
  }
  void reset_schema(const std::string& schema) {
    auto conn = connect();
    conn.exec(sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql::Identifier(schema)));
    conn.exec(sql::SQL("CREATE SCHEMA {}").format(sql::Identifier(schema)));
  }
};

TEST_F(MigrationLocking, EightMigratorsAtOnceApplyEachMigrationExactlyOnce) {
  for (const bool no_wait : {false, true}) {
    const std::string schema = no_wait ? "eight_no_wait" : "eight_waiting";
    reset_schema(schema);
    auto options = options_for(schema);
    options.lock_wait = 30s;
    options.no_wait = no_wait;
    const auto set = logging_set();
    std::array<std::string, 8> outcomes;
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
      threads.emplace_back([&, i] {
        try {
          auto conn = connect();
          migrate::Migrator(conn, set, options).up();
          outcomes[i] = "ok";
        } catch (const migrate::LockTimeout& e) {
          outcomes[i] = std::string("lock: ") + e.what();
        } catch (const std::exception& e) {
          outcomes[i] = std::string("error: ") + e.what();
        }
      });
    }
    for (auto& thread : threads) thread.join();
    int succeeded = 0;
    for (const auto& outcome : outcomes) {
      if (outcome == "ok") {
        ++succeeded;
      } else {
        ASSERT_TRUE(no_wait) << outcome;
        EXPECT_NE(outcome.find("the migration lock of \"" + schema + "\".\"pgkit_schema_migrations\" is held by pid"),
                  std::string::npos)
            << outcome;
      }
    }
    EXPECT_GE(succeeded, 1);
    if (!no_wait) {
      EXPECT_EQ(succeeded, 8);
    }
    auto conn = connect();
    EXPECT_EQ(conn.query_value<std::string>(sql::SQL("SELECT string_agg(version::text, ',' ORDER BY version) FROM {}")
                                                .format(sql::Identifier(schema, "applied_log"))),
              "1,2,3,4,5");
  }
}

TEST_F(MigrationLocking, AMigratorKilledWhileHoldingTheLockDoesNotBlockTheNext) {
  const std::string schema = "killed_holder";
  reset_schema(schema);
  std::array<int, 2> ready{};
  ASSERT_EQ(::pipe(ready.data()), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child takes the lock inside a migration that never ends, after saying so.
    try {
      auto conn = connect();
      migrate::MigrationSet set;
      set.add(1, "stuck", [&](pgkit::Connection& c) {
        const char byte = 'x';
        if (::write(ready[1], &byte, 1) != 1) _exit(3);
        c.exec("SELECT pg_sleep(60)");
      });
      auto options = options_for(schema);
      options.statement_timeout = 0ms;
      migrate::Migrator(conn, set, options).up();
    } catch (...) {
    }
    _exit(0);
  }
  ::close(ready[1]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);

  migrate::MigrationSet set;
  set.add(1, "stuck", [](pgkit::Connection& c) { c.exec("CREATE TABLE after_kill (id int)"); });
  auto options = options_for(schema);
  options.no_wait = true;
  auto conn = connect();
  try {
    migrate::Migrator(conn, set, options).up();
    FAIL() << "the lock was not held";
  } catch (const migrate::LockTimeout& e) {
    EXPECT_GT(e.holder_pid(), 0) << e.what();
    EXPECT_NE(std::string(e.what()).find("not waiting"), std::string::npos) << e.what();
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ::waitpid(child, &status, 0);
  options.no_wait = false;
  options.lock_wait = 20s;  // the server notices the closed socket and ends the session
  const auto report = migrate::Migrator(conn, set, options).up();
  EXPECT_EQ(report.steps.size(), 1U);
  EXPECT_TRUE(conn.query_value<bool>("SELECT to_regclass($1) IS NOT NULL", sql::Identifier(schema, "after_kill").str()));
}

TEST_F(MigrationLocking, WaitingGivesUpAfterTheLockWait) {
  const std::string schema = "lock_wait";
  reset_schema(schema);
  auto holder = connect();
  auto options = options_for(schema);
  const auto key = holder.query_value<std::int64_t>(
      "SELECT hashtextextended($1, 0)", sql::Identifier(schema, options.history_table).str());
  ASSERT_TRUE(holder.query_value<bool>("SELECT pg_try_advisory_lock($1)", key));
  holder.exec("SET application_name = 'the holder'");
  options.lock_wait = 300ms;
  migrate::MigrationSet set;
  set.add(1, "a", "CREATE TABLE a (id int)");
  auto conn = connect();
  const auto started = std::chrono::steady_clock::now();
  try {
    migrate::Migrator(conn, set, options).up();
    FAIL() << "the lock was not held";
  } catch (const migrate::LockTimeout& e) {
    EXPECT_EQ(e.holder_pid(), holder.backend_pid());
    EXPECT_EQ(e.holder_application(), "the holder");
    EXPECT_NE(std::string(e.what()).find("after waiting 300 ms"), std::string::npos) << e.what();
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 5s);
}

}  // namespace
