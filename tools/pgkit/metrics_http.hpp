// A pool's metrics as Prometheus text over HTTP (GET /metrics), served by cpp-httplib on a thread.
#pragma once

#include <pgkit/pool.hpp>

#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace pgkit::cli {

class MetricsHttpServer {
 public:
  // `listen` is HOST:PORT (port 0: any free port). Throws InterfaceError for a malformed address and
  // OperationalError when it cannot listen there.
  MetricsHttpServer(const std::string& listen, const Pool& pool);
  MetricsHttpServer(const MetricsHttpServer&) = delete;
  MetricsHttpServer& operator=(const MetricsHttpServer&) = delete;
  ~MetricsHttpServer();
  [[nodiscard]] std::string address() const;  // HOST:PORT actually listened on

 private:
  std::unique_ptr<httplib::Server> server_;
  std::string host_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace pgkit::cli
