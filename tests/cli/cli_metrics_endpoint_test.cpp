// `pgkit metrics`: idle keep-alive sockets and a request with a bogus Content-Length do not starve the
// endpoint.
#include "cli/cli_test_support.hpp"

namespace pgkit::testing {
namespace {

TEST(CliMetricsEndpoint, AnswersDespiteFiftyIdleKeepAliveSocketsAndABogusContentLength) {
  CliProcess metrics({"metrics", "--listen", "127.0.0.1:0", "--connections", "1", "--seconds", "120"},
                     {.env = {{"DATABASE_URL", server_conninfo()}}});
  ASSERT_TRUE(eventually([&] { return metrics_port_in(metrics.out()) || !metrics.running(); }, 30s));
  const auto said = metrics_port_in(metrics.out());
  ASSERT_TRUE(said) << metrics.finish(1s);
  const int port = *said;

  std::vector<Socket> idle;
  for (int i = 0; i < 50; ++i) {
    idle.emplace_back(port);
    // Half asked once and keep the connection open (keep-alive), half never send a byte.
    if (i % 2 == 0) {
      ASSERT_TRUE(idle.back().send(kMetricsGet));
      EXPECT_NE(idle.back().receive("pgkit_pool", 10s).find("200 OK"), std::string::npos);
    }
  }
  Socket bogus(port);
  ASSERT_TRUE(bogus.send("GET /metrics HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n"));

  // Generous for a hang check: before the fix this took 8 workers x 5 s per idle socket in the queue.
  Socket fresh(port);
  ASSERT_TRUE(fresh.send(kMetricsGet));
  const std::string answer = fresh.receive("pgkit_pool", 3s);
  EXPECT_NE(answer.find("HTTP/1.1 200 OK"), std::string::npos) << answer;
  EXPECT_NE(answer.find("pgkit_pool"), std::string::npos) << answer;
  EXPECT_NE(bogus.receive("\r\n\r\n", 3s).find("HTTP/1.1 400"), std::string::npos);

  metrics.send(SIGTERM);
  const auto r = metrics.finish(30s);
  EXPECT_EQ(r.exit_code, 0) << r;
}

}  // namespace
}  // namespace pgkit::testing
