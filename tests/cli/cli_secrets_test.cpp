// Passwords never reach what the CLI prints, logs or serves, nor the argv and environment of the
// processes it starts.
#include "cli/cli_test_support.hpp"
#include "pool/malformed_conninfo.hpp"

namespace pgkit::testing {
namespace {

constexpr int kClosedPort = 1;  // nothing listens there: connection attempts fail at once

// Runs `args` once per malformed DATABASE_URL, all at the same time, and checks each run's output and
// the argv and environment of every process it started (sampled while it runs).
void check_command_keeps_the_password(const std::vector<std::string>& args) {
  const auto conninfos = malformed_conninfos(kClosedPort);
  std::vector<std::unique_ptr<CliProcess>> runs;
  for (const auto& conninfo : conninfos) {
    runs.push_back(std::make_unique<CliProcess>(args, CliOptions{.env = {{"DATABASE_URL", conninfo}}}));
  }
  std::vector<std::string> children_seen(runs.size());
  const auto deadline = Clock::now() + 60s;
  for (bool any_running = true; any_running && Clock::now() < deadline;) {
    any_running = false;
    for (std::size_t i = 0; i < runs.size(); ++i) {
      if (!runs[i]->running()) continue;
      any_running = true;
      for (const pid_t child : descendants(runs[i]->pid())) {
        if (!is_the_cli_itself(child)) children_seen[i] += process_cmdline_and_environ(child);
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    SCOPED_TRACE(conninfos[i]);
    const auto r = runs[i]->finish(5s);
    EXPECT_FALSE(r.timed_out) << r;
    EXPECT_EQ(r.exit_code, 1) << r;
    EXPECT_FALSE(shows_leaky_password(r.out)) << r;
    EXPECT_FALSE(shows_leaky_password(r.err)) << r;
    EXPECT_FALSE(shows_leaky_password(children_seen[i])) << children_seen[i];
    EXPECT_FALSE(r.err.empty()) << "a failure without a message: " << r;
  }
}

TEST(CliSecrets, PoolBenchWithMalformedUrlsNeverShowsThePassword) {
  check_command_keeps_the_password({"pool-bench", "--seconds", "1", "--threads", "1", "--connections", "1",
                                    "--acquire-timeout-ms", "200", "--json"});
}

TEST(CliSecrets, MetricsWithMalformedUrlsNeverShowsThePassword) {
  // The ones that parse keep failing to connect while the endpoint serves: scrape it meanwhile.
  const auto conninfos = malformed_conninfos(kClosedPort);
  std::vector<std::unique_ptr<CliProcess>> runs;
  for (const auto& conninfo : conninfos) {
    runs.push_back(std::make_unique<CliProcess>(
        std::vector<std::string>{"metrics", "--listen", "127.0.0.1:0", "--connections", "1", "--seconds", "30"},
        CliOptions{.env = {{"DATABASE_URL", conninfo}}}));
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    SCOPED_TRACE(conninfos[i]);
    auto& metrics = *runs[i];
    std::string scraped;
    if (eventually([&] { return metrics_port_in(metrics.out()) || !metrics.running(); }, 30s)) {
      if (const auto port = metrics_port_in(metrics.out())) {
        const Socket scrape(*port);
        if (scrape.send(kMetricsGet)) scraped = scrape.receive("pgkit_pool_acquire_wait_seconds_count", 5s);
        EXPECT_NE(scraped.find("200 OK"), std::string::npos) << scraped;
      }
    }
    metrics.send(SIGTERM);
    const auto r = metrics.finish(60s);
    EXPECT_FALSE(shows_leaky_password(scraped)) << scraped;
    EXPECT_FALSE(r.timed_out) << r;
    EXPECT_EQ(r.signal, 0) << r;
    EXPECT_FALSE(shows_leaky_password(r.out)) << r;
    EXPECT_FALSE(shows_leaky_password(r.err)) << r;
  }
}

TEST(CliSecrets, DemoWithMalformedUrlsNeverShowsThePassword) {
  check_command_keeps_the_password({"demo"});
}

TEST(CliSecrets, ProcessesTheEmbeddedClusterStartsCarryNoPassword) {
  // PGPASSWORD and DATABASE_URL-like secrets of the user's environment stay in the CLI: the server it
  // starts (initdb, pg_ctl, postgres) gets neither in argv nor in its environment.
  const std::string secret = fmt::format("Pgkit-Child-Secret-{}-{}", ::getpid(), Clock::now().time_since_epoch().count());
  const TempHome temp;
  const CliOptions options{.env = {{"PGKIT_HOME", temp.home().string()}, {"PGPASSWORD", secret}}};
  CliProcess bench({"pool-bench", "--seconds", "1", "--threads", "1", "--connections", "1"}, options);
  std::vector<pid_t> carrying;
  while (bench.running() && carrying.empty()) {
    carrying = processes_carrying(secret, {::getpid(), bench.pid()});
    std::this_thread::sleep_for(20ms);
  }
  const auto r = bench.finish(120s);
  EXPECT_EQ(r.exit_code, 0) << r;
  // The server keeps running after the CLI: look at it too.
  if (carrying.empty()) carrying = processes_carrying(secret, {::getpid()});
  std::string seen;
  for (const pid_t pid : carrying) seen += process_cmdline_and_environ(pid) + "\n";
  EXPECT_TRUE(carrying.empty()) << seen;
  EXPECT_FALSE(r.out.find(secret) != std::string::npos || r.err.find(secret) != std::string::npos) << r;
  const auto stop = run_cli({"db", "stop"}, {.env = {{"PGKIT_HOME", temp.home().string()}}});
  EXPECT_EQ(stop.exit_code, 0) << stop;
}

}  // namespace
}  // namespace pgkit::testing
