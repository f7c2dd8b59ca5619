#include "metrics_http.hpp"

#include <httplib.h>

#include <fmt/format.h>

#include <charconv>

namespace pgkit::cli {
namespace {

// cpp-httplib gives each connection a worker from a fixed pool until the client has sent a request or
// its keep-alive wait ends, so idle sockets can starve the endpoint: many workers, short waits, and
// nothing read beyond the request head.
constexpr std::size_t kWorkers = 64;
constexpr time_t kWaitSeconds = 1;  // for the first byte of a request, the next read, a write
constexpr std::size_t kKeepAliveRequests = 8;

// A request with a body (GET /metrics has none) or a Content-Length that is no plain small number is
// answered at once, before cpp-httplib would try to read or skip that body.
bool has_unwanted_body(const httplib::Request& request) {
  if (request.has_header("Transfer-Encoding")) return true;
  if (!request.has_header("Content-Length")) return false;
  const std::string length = request.get_header_value("Content-Length");
  return length.empty() || length.find_first_not_of('0') != std::string::npos;
}

}  // namespace

std::string ListenAddress::text() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

std::optional<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress address;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return std::nullopt;
    address.host = std::string(text.substr(1, close - 1));
    if (address.host.find(':') == std::string::npos) return std::nullopt;  // brackets are for IPv6
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    address.host = std::string(text.substr(0, colon));
    if (address.host.find(':') != std::string::npos) return std::nullopt;  // IPv6 needs brackets
    port_text = text.substr(colon + 1);
  }
  if (address.host.empty() || address.host.find_first_of("[] \t/") != std::string::npos) return std::nullopt;
  if (port_text.empty() || port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  std::from_chars(port_text.data(), port_text.data() + port_text.size(), address.port);
  if (address.port > 65535) return std::nullopt;
  return address;
}

CLI::Validator listen_address_validator() {
  return CLI::Validator(
      [](const std::string& text) -> std::string {
        if (parse_listen_address(text)) return {};
        return fmt::format("wants HOST:PORT or [IPv6]:PORT with a port from 0 to 65535, not \"{}\"", text);
      },
      "HOST:PORT");
}

MetricsHttpServer::MetricsHttpServer(const ListenAddress& listen, const Pool& pool)
    : server_(std::make_unique<httplib::Server>()), bound_(listen) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server_->set_keep_alive_timeout(kWaitSeconds);
  server_->set_keep_alive_max_count(kKeepAliveRequests);
  server_->set_read_timeout(kWaitSeconds, 0);
  server_->set_write_timeout(kWaitSeconds, 0);
  server_->set_payload_max_length(0);
  server_->set_pre_routing_handler([](const httplib::Request& request, httplib::Response& response) {
    if (!has_unwanted_body(request)) return httplib::Server::HandlerResponse::Unhandled;
    response.status = 400;
    response.set_header("Connection", "close");
    response.set_content("a request body is not accepted here\n", "text/plain");
    return httplib::Server::HandlerResponse::Handled;
  });
  server_->Get("/metrics", [&pool](const httplib::Request&, httplib::Response& response) {
    response.set_content(prometheus_text(pool.metrics(), pool.name()), "text/plain; version=0.0.4");
  });
  bound_.port = listen.port == 0 ? server_->bind_to_any_port(listen.host)
                                 : (server_->bind_to_port(listen.host, listen.port) ? listen.port : -1);
  if (bound_.port < 0) throw OperationalError(fmt::format("cannot listen on {}", listen.text()));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

MetricsHttpServer::~MetricsHttpServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string MetricsHttpServer::address() const { return bound_.text(); }

}  // namespace pgkit::cli
