// `pgkit pool-bench`: a closed-loop load through a pgkit::Pool, and `pgkit metrics --listen`: a pool's
// Prometheus metrics over HTTP.
#include "commands.hpp"
#include "error_class.hpp"
#include "metrics_http.hpp"
#include "target_database.hpp"

#include <pgkit/pool.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace pgkit::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::size_t connections = 8;
  std::size_t threads = 16;
  int seconds = 10;
  std::string sql = "SELECT 1";
  bool json = false;
  bool timeline = false;
  std::string metrics_listen;
  int acquire_timeout_ms = 1000;
  int query_timeout_ms = 2000;
  Fairness fairness = Fairness::fifo;
  int fairness_bound_us = 20000;
};

struct WorkerResult {
  std::vector<std::uint32_t> latencies_us;
  std::map<std::string, std::uint64_t> errors;
  std::string first_error;
};

std::string_view fairness_name(Fairness fairness) {
  return fairness == Fairness::fifo ? "fifo" : "throughput";
}

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

std::shared_ptr<spdlog::logger> quiet_logger() {
  // Warnings (failed attempts, failovers) to stderr, so stdout stays the report (or JSON).
  auto logger = std::make_shared<spdlog::logger>("pgkit-pool", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::warn);
  return logger;
}

int run_pool_bench(const BenchOptions& options) {
  auto target = resolve_target_database();
  PoolOptions pool_options;
  pool_options.connect.conninfo = target.url;
  pool_options.connect.query_timeout = std::chrono::milliseconds(options.query_timeout_ms);
  pool_options.name = "pool-bench";
  pool_options.min_size = options.connections;
  pool_options.max_size = options.connections;
  pool_options.acquire_timeout = std::chrono::milliseconds(options.acquire_timeout_ms);
  pool_options.fairness = options.fairness;
  pool_options.fairness_bound = std::chrono::microseconds(options.fairness_bound_us);
  pool_options.logger = quiet_logger();
  Pool pool(pool_options);
  std::optional<MetricsHttpServer> server;
  if (!options.metrics_listen.empty()) server.emplace(options.metrics_listen, pool);
  if (!options.json) {
    fmt::print("pool-bench: {} threads over {} connections ({} fairness) for {} s against {}\n", options.threads,
               options.connections, fairness_name(options.fairness), options.seconds, target.describe());
  }
  pool.wait_ready(std::chrono::milliseconds(std::min(5'000, options.seconds * 1000)));

  const auto seconds = static_cast<std::size_t>(options.seconds);
  std::vector<std::atomic<std::uint64_t>> per_second_ok(seconds + 1);
  std::vector<std::atomic<std::uint64_t>> per_second_errors(seconds + 1);
  std::vector<WorkerResult> results(options.threads);
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> finished{0};
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(options.seconds);
  std::vector<std::thread> workers;
  for (std::size_t t = 0; t < options.threads; ++t) {
    workers.emplace_back([&, t] {
      WorkerResult& mine = results[t];
      mine.latencies_us.reserve(1 << 16);
      while (!stop.load(std::memory_order_relaxed)) {
        const auto began = Clock::now();
        try {
          auto conn = pool.acquire();
          conn.exec(options.sql);
          const auto done = Clock::now();
          if (done >= end) break;
          mine.latencies_us.push_back(
              static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(done - began).count()));
          per_second_ok[static_cast<std::size_t>((done - start) / std::chrono::seconds(1))].fetch_add(
              1, std::memory_order_relaxed);
        } catch (const std::exception& e) {
          const auto done = Clock::now();
          if (done >= end) break;
          ++mine.errors[error_class(e)];
          if (mine.first_error.empty()) mine.first_error = e.what();
          per_second_errors[static_cast<std::size_t>((done - start) / std::chrono::seconds(1))].fetch_add(
              1, std::memory_order_relaxed);
          std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no hot loop against a dead server
        }
      }
      finished.fetch_add(1);
    });
  }

  for (std::size_t second = 1; second <= seconds; ++second) {
    std::this_thread::sleep_until(start + std::chrono::seconds(second));
    if (!options.timeline) continue;
    const auto ok = per_second_ok[second - 1].load();
    const auto errors = per_second_errors[second - 1].load();
    if (options.json) {
      fmt::print("{{\"second\": {}, \"transactions\": {}, \"errors\": {}}}\n", second, ok, errors);
    } else {
      fmt::print("  second {:>3}: {:>8} transactions, {:>5} errors\n", second, ok, errors);
    }
    std::fflush(stdout);
  }
  stop = true;
  // Every call is bounded by the acquire and query timeouts (plus a cancel's grace): past that, a worker
  // is stuck in something the server does, and the report goes out without it.
  const auto grace = end + std::chrono::milliseconds(options.acquire_timeout_ms + options.query_timeout_ms + 1500);
  while (finished.load() < workers.size() && Clock::now() < grace)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool all_finished = finished.load() == workers.size();
  if (all_finished) {
    for (auto& worker : workers) worker.join();
  }

  std::vector<std::uint32_t> latencies;
  std::map<std::string, std::uint64_t> errors;
  std::string first_error;
  if (all_finished) {
    for (auto& r : results) {
      latencies.insert(latencies.end(), r.latencies_us.begin(), r.latencies_us.end());
      for (const auto& [name, count] : r.errors) errors[name] += count;
      if (first_error.empty()) first_error = r.first_error;
    }
  }
  std::sort(latencies.begin(), latencies.end());
  std::uint64_t transactions = 0;
  std::uint64_t error_count = 0;
  for (std::size_t s = 0; s < seconds; ++s) {
    transactions += per_second_ok[s].load();
    error_count += per_second_errors[s].load();
  }
  const double tps = static_cast<double>(transactions) / options.seconds;
  const auto m = pool.metrics();
  if (options.json) {
    std::string errors_json;
    for (const auto& [name, count] : errors) {
      errors_json += fmt::format("{}\"{}\": {}", errors_json.empty() ? "" : ", ", name, count);
    }
    fmt::print(
        "{{\"tps\": {:.1f}, \"transactions\": {}, \"errors\": {}, \"seconds\": {}, \"threads\": {}, \"connections\": "
        "{}, "
        "\"fairness\": \"{}\", "
        "\"latency_ms\": {{\"p50\": {:.3f}, \"p90\": {:.3f}, \"p99\": {:.3f}, \"max\": {:.3f}}}, "
        "\"errors_by_class\": {{{}}}, \"pool\": {{\"size\": {}, \"acquired\": {}, \"timeouts\": {}, "
        "\"connect_attempts\": {}, \"connect_failures\": {}, \"opened\": {}, \"closed\": {}, \"broken\": {}, "
        "\"resets\": {}, \"rollbacks\": {}, \"served_ahead\": {}}}, \"complete\": {}}}\n",
        tps, transactions, error_count, options.seconds, options.threads, options.connections,
        fairness_name(options.fairness), percentile(latencies, 0.5), percentile(latencies, 0.9),
        percentile(latencies, 0.99), latencies.empty() ? 0.0 : latencies.back() / 1000.0, errors_json, m.size,
        m.acquired, m.timeouts, m.connect_attempts, m.connect_failures, m.connections_opened, m.connections_closed,
        m.connections_broken, m.resets, m.rollbacks, m.served_ahead, all_finished);
  } else {
    fmt::print("transactions/s  {:.1f}  ({} in {} s, {} errors)\n", tps, transactions, options.seconds, error_count);
    fmt::print("latency ms      p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  max {:.3f}\n", percentile(latencies, 0.5),
               percentile(latencies, 0.9), percentile(latencies, 0.99),
               latencies.empty() ? 0.0 : latencies.back() / 1000.0);
    for (const auto& [name, count] : errors) fmt::print("errors          {:<20} {}\n", name, count);
    if (!first_error.empty()) fmt::print("first error     {}\n", first_error);
    fmt::print(
        "pool            size {}  acquired {}  timeouts {}  connect attempts {} (failed {})  opened {}  closed {}  "
        "broken {}  resets {}  rollbacks {}  served ahead of waiters {}\n",
        m.size, m.acquired, m.timeouts, m.connect_attempts, m.connect_failures, m.connections_opened,
        m.connections_closed, m.connections_broken, m.resets, m.rollbacks, m.served_ahead);
    if (!all_finished) fmt::print("some workers were still blocked at the deadline; the run ended without them\n");
  }
  std::fflush(stdout);
  if (!all_finished) std::_Exit(exit_failure);  // stuck workers hold the pool: leave without waiting
  server.reset();
  pool.close(std::chrono::milliseconds(1000));
  return exit_ok;
}

int run_metrics(const std::string& listen, std::size_t connections, int seconds) {
  auto target = resolve_target_database();
  PoolOptions pool_options;
  pool_options.connect.conninfo = target.url;
  pool_options.name = "pgkit-metrics";
  pool_options.min_size = connections;
  pool_options.max_size = connections;
  pool_options.keepalive_interval = std::chrono::milliseconds(5'000);
  pool_options.logger = quiet_logger();
  // Signals are taken synchronously by this thread; the server's threads must not receive them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  Pool pool(pool_options);
  MetricsHttpServer server(listen, pool);
  fmt::print("pgkit metrics: serving http://{}/metrics for pool {} against {}\n", server.address(), pool.name(),
             target.describe());
  std::fflush(stdout);
  timespec wait{};
  wait.tv_sec = seconds > 0 ? seconds : 365L * 24 * 3600;
  sigtimedwait(&signals, nullptr, &wait);
  return exit_ok;
}

}  // namespace

void add_pool_commands(CLI::App& app, Action& action) {
  auto options = std::make_shared<BenchOptions>();
  auto* bench = app.add_subcommand("pool-bench", "Closed-loop load through a pgkit::Pool; prints tps, latency, errors");
  bench->add_option("--connections", options->connections, "Pool size")->check(CLI::Range(1, 1000));
  bench->add_option("--threads", options->threads, "Worker threads")->check(CLI::Range(1, 10000));
  bench->add_option("--seconds", options->seconds, "Duration")->check(CLI::Range(1, 86400));
  bench->add_option("--sql", options->sql, "Statement each transaction runs (default SELECT 1)");
  bench->add_option("--fairness", options->fairness, "How returned connections reach waiters: fifo or throughput")
      ->transform(CLI::CheckedTransformer(
          std::map<std::string, Fairness>{{"fifo", Fairness::fifo}, {"throughput", Fairness::throughput}},
          CLI::ignore_case));
  bench
      ->add_option("--fairness-bound-us", options->fairness_bound_us,
                   "Under throughput fairness, how long a waiter may be passed over (default 20000)")
      ->check(CLI::Range(1, 10'000'000));
  bench->add_flag("--json", options->json, "One JSON summary object (and timeline objects) instead of a table");
  bench->add_flag("--timeline", options->timeline, "One line per second with its transactions and errors");
  bench->add_option("--metrics-listen", options->metrics_listen, "Serve Prometheus metrics at HOST:PORT meanwhile");
  bench->add_option("--acquire-timeout-ms", options->acquire_timeout_ms, "Pool acquire timeout")
      ->check(CLI::Range(1, 600000));
  bench->add_option("--query-timeout-ms", options->query_timeout_ms, "Per-statement timeout")
      ->check(CLI::Range(1, 600000));
  bench->callback([&action, options] { action = [options] { return run_pool_bench(*options); }; });

  auto listen = std::make_shared<std::string>();
  auto connections = std::make_shared<std::size_t>(2);
  auto seconds = std::make_shared<int>(0);
  auto* metrics = app.add_subcommand("metrics", "Serve a pool's Prometheus metrics over HTTP");
  metrics->add_option("--listen", *listen, "HOST:PORT to listen on (port 0: any free port)")->required();
  metrics->add_option("--connections", *connections, "Pool size")->check(CLI::Range(1, 1000));
  metrics->add_option("--seconds", *seconds, "Stop after this long (default: until SIGINT/SIGTERM)")
      ->check(CLI::Range(0, 86400 * 365));
  metrics->callback([&action, listen, connections, seconds] {
    action = [listen, connections, seconds] { return run_metrics(*listen, *connections, *seconds); };
  });
}

}  // namespace pgkit::cli
