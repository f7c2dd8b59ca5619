// Prometheus text exposition (version 0.0.4) of a pool's metrics.
#include <pgkit/pool.hpp>

#include <fmt/format.h>

namespace pgkit {
namespace {

// A label value with \, " and newlines escaped, as the format requires.
std::string label_value(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string prometheus_text(const PoolMetrics& m, std::string_view pool) {
  const std::string label = fmt::format("pool=\"{}\"", label_value(pool));
  std::string out;
  const auto metric = [&](std::string_view name, std::string_view type, std::string_view help, auto value,
                          std::string_view extra_label = {}) {
    out += fmt::format("# HELP pgkit_pool_{} {}\n# TYPE pgkit_pool_{} {}\n", name, help, name, type);
    out += fmt::format("pgkit_pool_{}{{{}{}}} {}\n", name, label, extra_label, value);
  };
  metric("connections", "gauge", "Open connections (idle and in use).", m.size);
  metric("connections_idle", "gauge", "Idle connections.", m.idle);
  metric("connections_in_use", "gauge", "Borrowed connections.", m.in_use);
  metric("waiters", "gauge", "Borrowers waiting for a connection.", m.waiters);
  metric("min_size", "gauge", "Configured minimum size.", m.min_size);
  metric("max_size", "gauge", "Configured maximum size.", m.max_size);
  metric("acquired_total", "counter", "Connections lent.", m.acquired);
  metric("timeouts_total", "counter", "Acquires that gave up (PoolTimeout, TooManyWaiters).", m.timeouts);
  metric("waiters_rejected_total", "counter", "Acquires refused because max_waiters were waiting.", m.waiters_rejected);
  metric("served_ahead_total", "counter", "Acquires served ahead of waiters (throughput fairness).", m.served_ahead);
  metric("connect_attempts_total", "counter", "Connection attempts.", m.connect_attempts);
  metric("connect_failures_total", "counter", "Failed connection attempts.", m.connect_failures);
  metric("connections_opened_total", "counter", "Connections opened.", m.connections_opened);
  metric("connections_closed_total", "counter", "Connections closed, for any reason.", m.connections_closed);
  metric("connections_broken_total", "counter", "Connections found broken.", m.connections_broken);
  metric("rollbacks_total", "counter", "Connections returned inside a transaction and rolled back.", m.rollbacks);
  metric("resets_total", "counter", "Session resets on return.", m.resets);
  metric("leaks_total", "counter", "Connections held longer than the leak threshold.", m.leaks_reported);
  metric("failovers_total", "counter", "Times the server turned read-only under a primary pool.", m.failovers);

  out += "# HELP pgkit_pool_acquire_wait_seconds Time borrowers waited for a connection.\n";
  out += "# TYPE pgkit_pool_acquire_wait_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < m.acquire_wait.counts.size(); ++i) {
    cumulative += m.acquire_wait.counts[i];
    const std::string bound =
        i < m.acquire_wait.bounds_seconds.size() ? fmt::format("{}", m.acquire_wait.bounds_seconds[i]) : "+Inf";
    out += fmt::format("pgkit_pool_acquire_wait_seconds_bucket{{{},le=\"{}\"}} {}\n", label, bound, cumulative);
  }
  out += fmt::format("pgkit_pool_acquire_wait_seconds_sum{{{}}} {}\n", label, m.acquire_wait.sum_seconds);
  out += fmt::format("pgkit_pool_acquire_wait_seconds_count{{{}}} {}\n", label, m.acquire_wait.count);
  return out;
}

}  // namespace pgkit
