// `pgkit pool-bench`: a closed-loop load through a pgkit::Pool, and `pgkit metrics --listen`: a pool's
// Prometheus metrics over HTTP.
#include "commands.hpp"
#include "error_class.hpp"
#include "metrics_http.hpp"
#include "target_database.hpp"
#include "worker_threads.hpp"

#include <pgkit/pool.hpp>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
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
  std::string metrics_listen;  // checked by listen_address_validator() while parsing
  int acquire_timeout_ms = 1000;
  int query_timeout_ms = 2000;
  int connect_timeout_s = 5;
  Fairness fairness = Fairness::fifo;
  int fairness_bound_us = 20000;
};

struct WorkerResult {
  std::vector<std::uint32_t> latencies_us;
  std::map<std::string, std::uint64_t> errors;
  std::string first_error;
};

// What a run measured, for the report and the exit code.
struct Outcome {
  std::vector<std::uint32_t> latencies_us;  // sorted
  std::map<std::string, std::uint64_t> errors;
  std::string first_error;
  std::uint64_t transactions = 0;
  std::uint64_t error_count = 0;
  std::uint64_t last_second_transactions = 0;
  std::uint64_t last_second_errors = 0;
  double measured_seconds = 0;  // the run's length: shorter than --seconds when a signal ended it
  bool all_finished = true;  // false: some workers were still blocked at the deadline
  std::string interrupted;   // "SIGINT" or "SIGTERM" when a signal ended the run early
  std::string failure;       // a worker thread that could not start, or failed outside a transaction
  [[nodiscard]] bool complete() const { return all_finished && interrupted.empty() && failure.empty(); }
};

std::string_view fairness_name(Fairness fairness) {
  return fairness == Fairness::fifo ? "fifo" : "throughput";
}

double percentile(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(index, sorted.size() - 1)] / 1000.0;
}

// A JSON string literal.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    } else {
      out += c;
    }
  }
  return out + '"';
}

std::shared_ptr<spdlog::logger> quiet_logger() {
  // Warnings (failed attempts, failovers) to stderr, so stdout stays the report (or JSON).
  auto logger = std::make_shared<spdlog::logger>("pgkit-pool", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(spdlog::level::warn);
  return logger;
}

// SIGINT and SIGTERM blocked in this thread and every thread started after it, and taken synchronously
// by wait(): a signal then ends the run with its report instead of killing the process mid-line.
class SignalBlock {
 public:
  SignalBlock() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  }
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;
  ~SignalBlock() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

  // Waits until `until` or a signal; returns the signal's name, or "" when the time came.
  std::string wait_until(Clock::time_point until) const {
    for (;;) {
      const auto left = std::max(until - Clock::now(), Clock::duration::zero());
      if (left == Clock::duration::zero()) return {};
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
      timespec wait{};
      wait.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
      wait.tv_nsec = static_cast<long>(ns % 1'000'000'000);
      const int signal = sigtimedwait(&signals_, nullptr, &wait);
      if (signal == SIGINT) return "SIGINT";
      if (signal == SIGTERM) return "SIGTERM";
    }
  }

 private:
  sigset_t signals_{};
  sigset_t previous_{};
};

// Per-second counts of one run. An attempt that fails after the deadline still counts, in the last
// second (a statement that timed out is the run's most telling error); a success after the deadline
// lies outside the measured window and does not.
class Tally {
 public:
  Tally(Clock::time_point start, std::size_t seconds) : start_(start), ok_(seconds), errors_(seconds) {}
  void success(Clock::time_point done) { ok_[slot(done)].fetch_add(1, std::memory_order_relaxed); }
  void error(Clock::time_point done) { errors_[slot(done)].fetch_add(1, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t ok(std::size_t second) const { return ok_[second].load(); }
  [[nodiscard]] std::uint64_t errors(std::size_t second) const { return errors_[second].load(); }
  [[nodiscard]] std::size_t seconds() const { return ok_.size(); }

 private:
  std::size_t slot(Clock::time_point done) const {
    const auto second = static_cast<std::size_t>(std::max<Clock::rep>(0, (done - start_) / std::chrono::seconds(1)));
    return std::min(second, ok_.size() - 1);
  }
  Clock::time_point start_;
  std::vector<std::atomic<std::uint64_t>> ok_;
  std::vector<std::atomic<std::uint64_t>> errors_;
};

std::string message_of(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown error";
  }
}

// One run of the load: the workers, what they counted, and the clock. When workers are still blocked
// at the end, the caller leaves the process (std::_Exit) without destroying this, since they use it.
class LoadRun {
 public:
  LoadRun(const BenchOptions& options, Pool& pool)
      : options_(options),
        pool_(pool),
        start_(Clock::now()),
        end_(start_ + std::chrono::seconds(options.seconds)),
        tally_(start_, static_cast<std::size_t>(options.seconds)),
        results_(options.threads),
        workers_([this] { stop_ = true; }) {}

  Outcome execute(const SignalBlock& signals) {
    Outcome outcome;
    for (std::size_t t = 0; t < options_.threads; ++t) {
      if (!workers_.spawn([this, t] { work(results_[t]); })) break;
    }
    if (!workers_.first_failure()) outcome.interrupted = tick(signals);
    stop_ = true;
    outcome.measured_seconds = std::chrono::duration<double>(std::min(Clock::now(), end_) - start_).count();
    // Every call is bounded by the acquire and query timeouts (plus a cancel's grace): past that, a
    // worker is stuck in something the server does, and the report goes out without it.
    const auto grace = std::max(end_, Clock::now()) +
                       std::chrono::milliseconds(options_.acquire_timeout_ms + options_.query_timeout_ms + 1500);
    outcome.all_finished = workers_.wait_until(grace);
    if (outcome.all_finished) {
      workers_.join();
      merge(outcome);
    }
    if (const auto failure = workers_.first_failure()) outcome.failure = message_of(failure);
    for (std::size_t s = 0; s < tally_.seconds(); ++s) {
      outcome.transactions += tally_.ok(s);
      outcome.error_count += tally_.errors(s);
    }
    outcome.last_second_transactions = tally_.ok(tally_.seconds() - 1);
    outcome.last_second_errors = tally_.errors(tally_.seconds() - 1);
    return outcome;
  }

 private:
  void work(WorkerResult& mine) {
    mine.latencies_us.reserve(1 << 16);
    while (!stop_.load(std::memory_order_relaxed)) {
      const auto began = Clock::now();
      try {
        auto conn = pool_.acquire();
        conn.exec(options_.sql);
        const auto done = Clock::now();
        if (done >= end_) break;
        mine.latencies_us.push_back(
            static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(done - began).count()));
        tally_.success(done);
      } catch (const std::exception& e) {
        const auto done = Clock::now();
        tally_.error(done);
        ++mine.errors[error_class(e)];
        if (mine.first_error.empty()) mine.first_error = e.what();
        if (done >= end_) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));  // no hot loop against a dead server
      }
    }
  }

  // Until the end of the run, or a signal (returned), printing the timeline as each second passes.
  std::string tick(const SignalBlock& signals) {
    for (std::size_t second = 1; second <= tally_.seconds(); ++second) {
      if (auto signal = signals.wait_until(start_ + std::chrono::seconds(second)); !signal.empty()) return signal;
      if (!options_.timeline) continue;
      const auto ok = tally_.ok(second - 1);
      const auto errors = tally_.errors(second - 1);
      if (options_.json) {
        fmt::print("{{\"second\": {}, \"transactions\": {}, \"errors\": {}}}\n", second, ok, errors);
      } else {
        fmt::print("  second {:>3}: {:>8} transactions, {:>5} errors\n", second, ok, errors);
      }
      std::fflush(stdout);
    }
    return {};
  }

  void merge(Outcome& outcome) const {
    for (const auto& r : results_) {
      outcome.latencies_us.insert(outcome.latencies_us.end(), r.latencies_us.begin(), r.latencies_us.end());
      for (const auto& [name, count] : r.errors) outcome.errors[name] += count;
      if (outcome.first_error.empty()) outcome.first_error = r.first_error;
    }
    std::sort(outcome.latencies_us.begin(), outcome.latencies_us.end());
  }

  const BenchOptions& options_;
  Pool& pool_;
  const Clock::time_point start_;
  const Clock::time_point end_;
  Tally tally_;
  std::vector<WorkerResult> results_;
  std::atomic<bool> stop_{false};
  WorkerThreads workers_;  // last: joined before what the workers use is destroyed
};

// The exit code, and for a failed run why it failed.
std::pair<int, std::string> verdict(const Outcome& o) {
  const std::string first = o.first_error.empty() ? std::string() : fmt::format(" (first error: {})", o.first_error);
  if (!o.failure.empty()) return {exit_failure, o.failure};
  if (!o.all_finished) return {exit_failure, "some workers were still blocked at the deadline; the run ended without them"};
  if (!o.interrupted.empty()) return {exit_failure, fmt::format("interrupted by {}", o.interrupted)};
  if (o.transactions == 0) return {exit_failure, fmt::format("no transaction succeeded: {} errors{}", o.error_count, first)};
  if (o.last_second_transactions == 0 && o.last_second_errors > 0) {
    return {exit_failure, fmt::format("the server stopped serving: the last second of the run had {} errors and no "
                                      "transaction{}", o.last_second_errors, first)};
  }
  return {exit_ok, {}};
}

double tps(const Outcome& o) {
  return o.measured_seconds > 0 ? static_cast<double>(o.transactions) / o.measured_seconds : 0.0;
}

std::string json_or_null(std::string_view text) { return text.empty() ? "null" : json_string(text); }

void print_json(const BenchOptions& options, const Outcome& o, const PoolMetrics& m, const std::string& metrics_address,
                const std::string& error) {
  std::string errors_json;
  for (const auto& [name, count] : o.errors) {
    errors_json += fmt::format("{}{}: {}", errors_json.empty() ? "" : ", ", json_string(name), count);
  }
  const auto& l = o.latencies_us;
  fmt::print(
      "{{\"tps\": {:.1f}, \"transactions\": {}, \"errors\": {}, \"seconds\": {}, \"measured_seconds\": {:.3f}, \"threads\": {}, \"connections\": {}, "
      "\"fairness\": \"{}\", \"latency_ms\": {{\"p50\": {:.3f}, \"p90\": {:.3f}, \"p99\": {:.3f}, \"max\": {:.3f}}}, "
      "\"errors_by_class\": {{{}}}, \"pool\": {{\"size\": {}, \"acquired\": {}, \"timeouts\": {}, "
      "\"connect_attempts\": {}, \"connect_failures\": {}, \"opened\": {}, \"closed\": {}, \"broken\": {}, "
      "\"resets\": {}, \"rollbacks\": {}, \"served_ahead\": {}}}, \"metrics_address\": {}, \"interrupted\": {}, "
      "\"error\": {}, \"complete\": {}}}\n",
      tps(o), o.transactions, o.error_count, options.seconds, o.measured_seconds,
      options.threads, options.connections, fairness_name(options.fairness), percentile(l, 0.5), percentile(l, 0.9),
      percentile(l, 0.99), l.empty() ? 0.0 : l.back() / 1000.0, errors_json, m.size, m.acquired, m.timeouts,
      m.connect_attempts, m.connect_failures, m.connections_opened, m.connections_closed, m.connections_broken,
      m.resets, m.rollbacks, m.served_ahead, json_or_null(metrics_address), json_or_null(o.interrupted),
      json_or_null(error), o.complete());
}

void print_table(const Outcome& o, const PoolMetrics& m) {
  const auto& l = o.latencies_us;
  fmt::print("transactions/s  {:.1f}  ({} in {:.1f} s, {} errors)\n", tps(o), o.transactions, o.measured_seconds,
             o.error_count);
  fmt::print("latency ms      p50 {:.3f}  p90 {:.3f}  p99 {:.3f}  max {:.3f}\n", percentile(l, 0.5), percentile(l, 0.9),
             percentile(l, 0.99), l.empty() ? 0.0 : l.back() / 1000.0);
  for (const auto& [name, count] : o.errors) fmt::print("errors          {:<20} {}\n", name, count);
  if (!o.first_error.empty()) fmt::print("first error     {}\n", o.first_error);
  fmt::print(
      "pool            size {}  acquired {}  timeouts {}  connect attempts {} (failed {})  opened {}  closed {}  "
      "broken {}  resets {}  rollbacks {}  served ahead of waiters {}\n",
      m.size, m.acquired, m.timeouts, m.connect_attempts, m.connect_failures, m.connections_opened,
      m.connections_closed, m.connections_broken, m.resets, m.rollbacks, m.served_ahead);
}

// A setup that failed (no server, a malformed URL, a port taken) still gets its JSON object.
int setup_failed(const BenchOptions& options, const std::exception& e) {
  std::cerr << "pgkit: " << e.what() << '\n';
  if (options.json) {
    fmt::print("{{\"complete\": false, \"error\": {}, \"error_class\": {}}}\n", json_string(e.what()), json_string(error_class(e)));
    std::fflush(stdout);
  }
  return exit_failure;
}

PoolOptions bench_pool_options(const BenchOptions& options, const std::string& url) {
  PoolOptions pool_options;
  pool_options.connect.conninfo = url;
  pool_options.connect.query_timeout = std::chrono::milliseconds(options.query_timeout_ms);
  pool_options.connect.connect_timeout = std::chrono::seconds(options.connect_timeout_s);
  pool_options.name = "pool-bench";
  pool_options.min_size = options.connections;
  pool_options.max_size = options.connections;
  pool_options.acquire_timeout = std::chrono::milliseconds(options.acquire_timeout_ms);
  pool_options.fairness = options.fairness;
  pool_options.fairness_bound = std::chrono::microseconds(options.fairness_bound_us);
  pool_options.logger = quiet_logger();
  return pool_options;
}

int run_pool_bench(const BenchOptions& options) {
  std::optional<TargetDatabase> target;
  std::optional<SignalBlock> signals;
  std::optional<Pool> pool;
  std::optional<MetricsHttpServer> server;
  try {
    target.emplace(resolve_target_database());
    signals.emplace();  // before the pool's and the server's threads start: they inherit the block
    pool.emplace(bench_pool_options(options, target->url));
    if (!options.metrics_listen.empty()) server.emplace(*parse_listen_address(options.metrics_listen), *pool);
  } catch (const std::exception& e) {
    return setup_failed(options, e);
  }
  const std::string metrics_address = server ? server->address() : std::string();
  if (options.json) {
    if (server) fmt::print(stderr, "pgkit pool-bench: serving metrics at http://{}/metrics\n", metrics_address);
  } else {
    fmt::print("pool-bench: {} threads over {} connections ({} fairness) for {} s against {}\n", options.threads,
               options.connections, fairness_name(options.fairness), options.seconds, target->describe());
    if (server) fmt::print("metrics: http://{}/metrics\n", metrics_address);
  }
  std::fflush(stdout);
  pool->wait_ready(std::chrono::milliseconds(std::min(5'000, options.seconds * 1000)));

  LoadRun run(options, *pool);
  const Outcome outcome = run.execute(*signals);
  const auto [code, why] = verdict(outcome);
  const auto metrics = pool->metrics();
  if (options.json) {
    print_json(options, outcome, metrics, metrics_address, why);
  } else {
    print_table(outcome, metrics);
  }
  std::fflush(stdout);
  if (!why.empty()) std::cerr << "pgkit pool-bench: " << why << '\n';
  if (!outcome.all_finished) std::_Exit(exit_failure);  // stuck workers hold the pool and the run: leave now
  server.reset();
  pool->close(std::chrono::milliseconds(1000));
  return code;
}

int run_metrics(const ListenAddress& listen, std::size_t connections, int seconds) {
  auto target = resolve_target_database();
  PoolOptions pool_options;
  pool_options.connect.conninfo = target.url;
  pool_options.connect.connect_timeout = std::chrono::seconds(5);
  pool_options.connect.query_timeout = std::chrono::seconds(5);
  pool_options.name = "pgkit-metrics";
  pool_options.min_size = connections;
  pool_options.max_size = connections;
  pool_options.keepalive_interval = std::chrono::milliseconds(5'000);
  pool_options.logger = quiet_logger();
  const SignalBlock signals;  // before the pool's and the server's threads start: they inherit the block
  Pool pool(pool_options);
  MetricsHttpServer server(listen, pool);
  fmt::print("pgkit metrics: serving http://{}/metrics for pool {} against {}\n", server.address(), pool.name(),
             target.describe());
  std::fflush(stdout);
  const auto until = Clock::now() + (seconds > 0 ? std::chrono::seconds(seconds) : std::chrono::hours(24 * 365));
  (void)signals.wait_until(until);
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
  bench->add_option("--metrics-listen", options->metrics_listen, "Serve Prometheus metrics at HOST:PORT meanwhile")
      ->check(listen_address_validator());
  bench->add_option("--acquire-timeout-ms", options->acquire_timeout_ms, "Pool acquire timeout")
      ->check(CLI::Range(1, 600000));
  bench->add_option("--query-timeout-ms", options->query_timeout_ms, "Per-statement timeout")
      ->check(CLI::Range(1, 600000));
  bench->add_option("--connect-timeout-s", options->connect_timeout_s, "Timeout of each connection attempt")
      ->check(CLI::Range(1, 600));
  bench->callback([&action, options] { action = [options] { return run_pool_bench(*options); }; });

  auto listen = std::make_shared<std::string>();
  auto connections = std::make_shared<std::size_t>(2);
  auto seconds = std::make_shared<int>(0);
  auto* metrics = app.add_subcommand("metrics", "Serve a pool's Prometheus metrics over HTTP");
  metrics->add_option("--listen", *listen, "HOST:PORT or [IPv6]:PORT to listen on (port 0: any free port)")
      ->required()
      ->check(listen_address_validator());
  metrics->add_option("--connections", *connections, "Pool size")->check(CLI::Range(1, 1000));
  metrics->add_option("--seconds", *seconds, "Stop after this long (default: until SIGINT/SIGTERM)")
      ->check(CLI::Range(0, 86400 * 365));
  metrics->callback([&action, listen, connections, seconds] {
    action = [listen, connections, seconds] {
      return run_metrics(*parse_listen_address(*listen), *connections, *seconds);
    };
  });
}

}  // namespace pgkit::cli
