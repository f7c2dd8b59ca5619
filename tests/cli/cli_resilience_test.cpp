// A server that freezes (SIGSTOP) or dies (SIGKILL) under `pgkit demo` or `pgkit pool-bench`: the command
// ends with exit 1 and a message, within its deadlines, never with an abort or a hang.
#include "cli/cli_test_support.hpp"

namespace pgkit::testing {
namespace {

// Far above the commands' own deadlines (pool timeouts, connect timeouts, cancel grace, close).
constexpr auto kLimit = 90s;

enum class Fate { frozen, killed };

// The server's sessions, for a failure message.
std::string activity(Connection& observer) {
  std::string out;
  for (const auto& [name, state, wait, query] : observer.query<std::tuple<std::string, std::string, std::string, std::string>>(
           "SELECT application_name, coalesce(state, ''), coalesce(wait_event_type, ''), left(query, 60) "
           "FROM pg_stat_activity WHERE backend_type = 'client backend'")) {
    out += fmt::format("{} | {} | {} | {}\n", name, state, wait, query);
  }
  return out;
}

// Makes every insert into the demo's page_views (created by the demo's pool part) wait for advisory
// lock 4242, taken here by `observer`: the pool's inserts are then surely waiting on the server when
// it freezes or dies, whatever the machine's speed.
void pin_the_pool_part(Connection& observer) {
  observer.exec(R"sql(
    CREATE FUNCTION public.pgkit_test_wait() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_advisory_lock_shared(4242);
      PERFORM pg_advisory_unlock_shared(4242);
      RETURN NEW;
    END $$)sql");
  observer.exec(R"sql(
    CREATE FUNCTION public.pgkit_test_on_create() RETURNS event_trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF EXISTS (SELECT FROM pg_event_trigger_ddl_commands() WHERE object_identity = 'pgkit_demo.page_views'
                 AND command_tag = 'CREATE TABLE') THEN
        CREATE TRIGGER pgkit_test_wait BEFORE INSERT ON pgkit_demo.page_views
          FOR EACH ROW EXECUTE FUNCTION public.pgkit_test_wait();
      END IF;
    END $$)sql");
  observer.exec("CREATE EVENT TRIGGER pgkit_test_pin ON ddl_command_end EXECUTE FUNCTION public.pgkit_test_on_create()");
  observer.exec("SELECT pg_advisory_lock(4242)");
}

// A dedicated server, frozen or killed while the demo's pool part waits on it.
void demo_loses_its_server_in_the_pool_part(Fate fate) {
  auto cluster = start_dedicated_cluster();
  const pid_t postmaster = cluster.postmaster_pid().value();
  Connection observer(cluster.uri());
  pin_the_pool_part(observer);
  CliProcess demo({"demo"}, {.env = {{"DATABASE_URL", cluster.uri()}}});
  ASSERT_TRUE(eventually(
      [&] {
        return !demo.running() || observer.query_value<bool>(
                                      "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE application_name = "
                                      "'pgkit pool demo' AND wait_event_type = 'Lock')");
      },
      60s))
      << activity(observer);
  ASSERT_TRUE(demo.running()) << demo.finish(1s);
  std::optional<FrozenServer> frozen;
  if (fate == Fate::frozen) {
    frozen.emplace(postmaster);
  } else {
    kill_server_tree(postmaster);
  }
  const auto r = demo.finish(kLimit);
  if (frozen) frozen->thaw();
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.signal, 0) << r;
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("pgkit: "), std::string::npos) << r;
  EXPECT_EQ(r.out.find("pgkit demo: done"), std::string::npos) << r;
}

TEST(CliResilience, DemoEndsWithExitOneWhenTheServerFreezesInThePoolPart) {
  demo_loses_its_server_in_the_pool_part(Fate::frozen);
}

TEST(CliResilience, DemoEndsWithExitOneWhenTheServerDiesInThePoolPart) {
  demo_loses_its_server_in_the_pool_part(Fate::killed);
}

TEST(CliResilience, PoolBenchEndsWithExitOneWhenTheServerFreezes) {
  auto cluster = start_dedicated_cluster();
  CliProcess bench({"pool-bench", "--seconds", "3", "--threads", "4", "--connections", "2", "--json"},
                   {.env = {{"DATABASE_URL", cluster.uri()}}});
  Connection observer(cluster.uri());
  ASSERT_TRUE(eventually(
      [&] {
        return observer.query_value<std::int64_t>(
                   "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgkit pool pool-bench'") == 2;
      },
      20s));
  FrozenServer frozen(cluster.postmaster_pid().value());
  const auto r = bench.finish(kLimit);
  frozen.thaw();
  EXPECT_FALSE(r.timed_out) << r;
  EXPECT_EQ(r.signal, 0) << r;
  EXPECT_EQ(r.exit_code, 1) << r;
  // Frozen after the first transactions (the usual case) or before any: either way a failed run.
  EXPECT_TRUE(r.err.find("the server stopped serving") != std::string::npos ||
              r.err.find("no transaction succeeded") != std::string::npos)
      << r;
  EXPECT_NE(r.out.find("\"tps\""), std::string::npos) << r;
}

}  // namespace
}  // namespace pgkit::testing
