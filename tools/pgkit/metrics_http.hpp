// A pool's metrics as Prometheus text over HTTP (GET /metrics), served by cpp-httplib on a thread.
#pragma once

#include <pgkit/pool.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace httplib {
class Server;
}

namespace pgkit::cli {

// HOST:PORT, or [IPv6]:PORT; port 0 asks for any free port.
struct ListenAddress {
  std::string host;  // without brackets
  int port = 0;
  [[nodiscard]] std::string text() const;  // brackets around an IPv6 host
};

std::optional<ListenAddress> parse_listen_address(std::string_view text);

// For --listen and --metrics-listen: a malformed address is a usage error (exit 2), found while the
// command line is parsed, before anything (an embedded cluster) starts.
CLI::Validator listen_address_validator();

class MetricsHttpServer {
 public:
  // Throws OperationalError when it cannot listen there.
  MetricsHttpServer(const ListenAddress& listen, const Pool& pool);
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;
  ~MetricsHttpServer();
  [[nodiscard]] std::string address() const;  // HOST:PORT actually listened on (the real port for 0)

 private:
  std::unique_ptr<httplib::Server> server_;
  ListenAddress bound_;
  std::thread thread_;
};

}  // namespace pgkit::cli
