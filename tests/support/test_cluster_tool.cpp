// ctest's fixture for the test run: `start <home>` creates a fresh, non-durable cluster there (removing
// any left by an earlier run); `stop <home>` stops it and removes it. As root, a home the server
// account cannot reach (a clone under /root) is relocated safely (see docs/embedded.md).
#include <pgkit/embedded.hpp>

#include <fmt/format.h>

#include <filesystem>
#include <string_view>

namespace {

pgkit::embedded::Cluster open_cluster(const std::filesystem::path& home) {
  pgkit::embedded::ClusterOptions options;
  options.home = std::filesystem::absolute(home);
  options.durable = false;
  // Test binaries run two at a time, and pool tests open many connections.
  options.settings = {{"max_connections", "300"}};
  return pgkit::embedded::Cluster(std::move(options));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 || (std::string_view(argv[1]) != "start" && std::string_view(argv[1]) != "stop")) {
    fmt::print(stderr, "usage: {} start|stop <home>\n", argv[0]);
    return 2;
  }
  const std::filesystem::path home = argv[2];
  try {
    open_cluster(home).destroy();
    if (std::string_view(argv[1]) == "start") {
      auto cluster = open_cluster(home);
      cluster.start();
      fmt::print("test cluster running: {}\n", cluster.uri());
    }
    return 0;
  } catch (const std::exception& e) {
    fmt::print(stderr, "pgkit_test_cluster: {}\n", e.what());
    return 1;
  }
}
