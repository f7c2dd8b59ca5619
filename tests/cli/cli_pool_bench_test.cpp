// `pgkit pool-bench` and `pgkit metrics`: addresses checked before anything starts, honest exit codes
// and error counts, and a report (JSON when asked) however the run ends.
#include "cli/cli_test_support.hpp"


namespace pgkit::testing {
namespace {

CliOptions against_test_server() { return {.env = {{"DATABASE_URL", server_conninfo()}}}; }

TEST(CliAddresses, MalformedAddressesAreUsageErrorsFoundBeforeAnyClusterStarts) {
  const TempHome temp;
  const CliOptions no_server{.env = {{"PGKIT_HOME", temp.home().string()}}};
  for (const std::string address : {"localhost:x", "::1:9187", "[::1]", "[::1]:", "127.0.0.1:70000", ":9187",
                                    "[127.0.0.1]:80", "127.0.0.1", "host:-1"}) {
    SCOPED_TRACE(address);
    const auto metrics = run_cli({"metrics", "--listen", address, "--seconds", "1"}, no_server);
    EXPECT_EQ(metrics.exit_code, 2) << metrics;
    const auto bench = run_cli({"pool-bench", "--seconds", "1", "--metrics-listen", address}, no_server);
    EXPECT_EQ(bench.exit_code, 2) << bench;
    EXPECT_NE(bench.err.find("HOST:PORT"), std::string::npos) << bench;
  }
  EXPECT_FALSE(std::filesystem::exists(temp.home())) << "a cluster was set up before the address was checked";
}

TEST(CliAddresses, MetricsListenOnPortZeroSaysThePortForIPv4AndIPv6) {
  for (const std::string address : {"127.0.0.1:0", "[::1]:0"}) {
    SCOPED_TRACE(address);
    const auto bench = run_cli({"pool-bench", "--seconds", "1", "--threads", "1", "--connections", "1", "--json",
                                "--metrics-listen", address},
                               against_test_server());
    EXPECT_EQ(bench.exit_code, 0) << bench;
    const std::string host = address.substr(0, address.rfind(':'));
    const auto port = metrics_port_text_in(bench.err, host);
    ASSERT_TRUE(port.has_value()) << bench;
    EXPECT_NE(*port, "0");
    EXPECT_NE(bench.out.find("\"metrics_address\": \"" + host + ":" + *port + "\""), std::string::npos) << bench;
  }
}

TEST(CliPoolBench, ExitsOneWhenNoTransactionSucceededAndCountsErrorsEndingAfterTheDeadline) {
  // Every statement outlives both the run (1 s) and its timeout (1.5 s): each worker's only error
  // arrives after the deadline, and must still be counted.
  const auto r = run_cli({"pool-bench", "--seconds", "1", "--threads", "2", "--connections", "2", "--json", "--sql",
                          "SELECT pg_sleep(30)", "--query-timeout-ms", "1500"},
                         against_test_server());
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.out.find("\"transactions\": 0,"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"errors\": 2,"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"QueryCanceled\": 2"), std::string::npos) << r;
  EXPECT_NE(r.err.find("no transaction succeeded"), std::string::npos) << r;
}

TEST(CliPoolBench, SucceedsWhenTransactionsSucceed) {
  const auto r = run_cli({"pool-bench", "--seconds", "1", "--threads", "2", "--connections", "2", "--json"},
                         against_test_server());
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_NE(r.out.find("\"complete\": true"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"error\": null"), std::string::npos) << r;
}

TEST(CliPoolBench, JsonReportOnSetupFailure) {
  const auto r = run_cli({"pool-bench", "--seconds", "1", "--json"},
                         {.env = {{"DATABASE_URL", "postgresql://u@127.0.0.1:1/db?bogus_parameter=1"}}});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_TRUE(r.out.starts_with("{\"complete\": false, \"error\": ")) << r;
  EXPECT_NE(r.out.find("\"error_class\": \"InterfaceError\""), std::string::npos) << r;
}

TEST(CliPoolBench, JsonReportOnSigintAndSigterm) {
  for (const int signal : {SIGINT, SIGTERM}) {
    SCOPED_TRACE(signal);
    CliProcess bench({"pool-bench", "--seconds", "60", "--threads", "2", "--connections", "2", "--json"},
                     against_test_server());
    std::this_thread::sleep_for(1500ms);  // into the run (setting up takes well under that here)
    bench.send(signal);
    const auto r = bench.finish(30s);
    EXPECT_EQ(r.signal, 0) << r;
    EXPECT_EQ(r.exit_code, 1) << r;
    const std::string name = signal == SIGINT ? "SIGINT" : "SIGTERM";
    EXPECT_NE(r.out.find("\"interrupted\": \"" + name + "\""), std::string::npos) << r;
    EXPECT_NE(r.out.find("\"complete\": false"), std::string::npos) << r;
    EXPECT_LT(r.elapsed, 30s) << r;
  }
}

TEST(CliPoolBench, AWorkerThreadThatCannotStartIsReportedNotAnAbort) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer reserves terabytes of address space: a 1 GiB limit stops it before main()";
#endif
  // 10,000 threads of 8 MiB stacks cannot fit in 1 GiB of address space: thread creation fails.
  CliOptions options = against_test_server();
  options.address_space = rlim_t{1} << 30;
  const auto r = run_cli({"pool-bench", "--seconds", "2", "--threads", "10000", "--connections", "1", "--json"},
                         options);
  EXPECT_EQ(r.signal, 0) << r;
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("cannot start worker thread"), std::string::npos) << r;
  EXPECT_NE(r.out.find("\"complete\": false"), std::string::npos) << r;
}

}  // namespace
}  // namespace pgkit::testing
