#include "metrics_http.hpp"

#include <httplib.h>

#include <fmt/format.h>

#include <charconv>

namespace pgkit::cli {

MetricsHttpServer::MetricsHttpServer(const std::string& listen, const Pool& pool)
    : server_(std::make_unique<httplib::Server>()) {
  const auto colon = listen.rfind(':');
  int port = -1;
  if (colon != std::string::npos && colon > 0) {
    const char* first = listen.data() + colon + 1;
    const char* last = listen.data() + listen.size();
    const auto [end, error] = std::from_chars(first, last, port);
    if (error != std::errc() || end != last || first == last) port = -1;
  }
  if (port < 0 || port > 65535) {
    throw InterfaceError(fmt::format("--listen wants HOST:PORT with a port from 0 to 65535, not \"{}\"", listen));
  }
  host_ = listen.substr(0, colon);
  server_->Get("/metrics", [&pool](const httplib::Request&, httplib::Response& response) {
    response.set_content(prometheus_text(pool.metrics(), pool.name()), "text/plain; version=0.0.4");
  });
  port_ = port == 0 ? server_->bind_to_any_port(host_) : (server_->bind_to_port(host_, port) ? port : -1);
  if (port_ < 0) throw OperationalError(fmt::format("cannot listen on {}", listen));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsHttpServer::~MetricsHttpServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string MetricsHttpServer::address() const { return fmt::format("{}:{}", host_, port_); }

}  // namespace pgkit::cli
