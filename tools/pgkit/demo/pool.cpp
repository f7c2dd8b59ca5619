// The seed's pools, done right: one thread-safe pool serving concurrent workers, and the same pool
// riding out a restart of the server while the workers keep going.
#include "../error_class.hpp"
#include "../target_database.hpp"
#include "../worker_threads.hpp"
#include "demo.hpp"

#include <pgkit/pool.hpp>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace pgkit::cli::demo {
namespace {

using Clock = std::chrono::steady_clock;

PoolOptions demo_pool_options(const std::string& conninfo) {
  PoolOptions options;
  options.connect.conninfo = conninfo;
  options.connect.parameters = {{"options", "-c search_path=pgkit_demo"}};
  options.connect.query_timeout = std::chrono::milliseconds(2'000);
  options.connect.connect_timeout = std::chrono::seconds(5);
  options.name = "demo";
  options.min_size = 2;
  options.max_size = 4;
  options.acquire_timeout = std::chrono::milliseconds(1'000);
  // The demo prints its own story; the pool's warnings (failed reconnects) would only repeat it.
  options.logger = std::make_shared<spdlog::logger>("demo-pool", std::make_shared<spdlog::sinks::null_sink_mt>());
  return options;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

}  // namespace

namespace {

// Eight threads through one pool. A worker's failure (the server died or froze) stops the others and,
// once all are joined, ends the demo with it.
void shared_by_threads(Pool& pool) {
  constexpr int workers = 8;
  constexpr int views_each = 250;
  const auto started = Clock::now();
  {
    std::atomic<bool> failed{false};
    WorkerThreads threads([&failed] { failed = true; });
    for (int w = 0; w < workers; ++w) {
      const bool started_one = threads.spawn([&pool, &failed, w] {
        for (int i = 0; i < views_each && !failed; ++i) {
          pool.execute_with_retry([w](Connection& conn) { conn.exec("INSERT INTO page_views (worker) VALUES ($1)", w); });
        }
      });
      if (!started_one) break;
    }
    threads.join();
    if (const auto failure = threads.first_failure()) std::rethrow_exception(failure);
  }
  const double seconds = ms_between(started, Clock::now()) / 1000;
  auto m = pool.metrics();
  say("{} workers, {} connections at most: {} inserts, each its own committed transaction, in {:.2f} s ({:.0f}/s)", workers, m.max_size,
      pool.execute_with_retry([](Connection& conn) { return conn.query_value<long>("SELECT count(*) FROM page_views"); }),
      seconds, workers * views_each / seconds);
  std::uint64_t slow = 0;
  for (std::size_t i = 0; i < m.acquire_wait.counts.size(); ++i) {
    if (i >= m.acquire_wait.bounds_seconds.size() || m.acquire_wait.bounds_seconds[i] > 0.001) {
      slow += m.acquire_wait.counts[i];
    }
  }
  say("pool: {} open, {} borrows; {} of {} acquires waited more than 1 ms for a connection", m.size, m.acquired, slow,
      m.acquire_wait.count);

  // Session state never leaks between borrowers.
  {
    auto conn = pool.acquire();
    conn->exec("SET statement_timeout = '1ms'");
  }
  say("a borrower set statement_timeout = 1ms; the next one sees {}",
      pool.acquire().query_value<std::string>("SHOW statement_timeout"));
}

// Four workers inserting through the pool while the embedded server restarts. Their errors during the
// restart are the story; anything else a worker throws stops them all and ends the demo.
void rides_out_a_restart(Pool& pool, embedded::Cluster& cluster) {
  std::atomic<bool> stop{false};
  std::atomic<long> ok{0};
  std::atomic<long> failed{0};
  std::mutex errors_mutex;
  std::map<std::string, int> errors;
  WorkerThreads threads([&stop] { stop = true; });
  for (int w = 0; w < 4; ++w) {
    const bool started_one = threads.spawn([&, w] {
      while (!stop) {
        try {
          pool.run([w](Connection& conn) { conn.exec("INSERT INTO page_views (worker) VALUES ($1)", 100 + w); });
          ++ok;
        } catch (const Error& e) {
          ++failed;
          const std::lock_guard lock(errors_mutex);
          ++errors[error_class(e)];
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
      }
    });
    if (!started_one) break;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long before = ok;
  const auto restart_began = Clock::now();
  try {
    cluster.restart();
  } catch (...) {
    stop = true;  // the workers stop before the exception leaves, and the threads are joined
    throw;
  }
  const auto accepting = Clock::now();
  // Recovered: the first successful insert after the server accepts again.
  const long at_restart = ok;
  while (ok == at_restart && !stop && Clock::now() - accepting < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const auto recovered = Clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  stop = true;
  threads.join();
  if (const auto failure = threads.first_failure()) std::rethrow_exception(failure);
  say("4 workers inserting through the pool; {} inserts before the restart", before);
  say("restart took {:.0f} ms; the pool served again {:.0f} ms after the server accepted connections",
      ms_between(restart_began, accepting), ms_between(accepting, recovered));
  std::string by_class;
  for (const auto& [kind, count] : errors) by_class += fmt::format("{}{} {}", by_class.empty() ? "" : ", ", count, kind);
  say("errors seen by the workers: {} ({}); inserts in all: {}", failed.load(), by_class.empty() ? "none" : by_class,
      ok.load());
  const auto m = pool.metrics();
  say("pool: {} connections opened, {} found broken, {} connection attempts failed", m.connections_opened,
      m.connections_broken, m.connect_failures);
}

}  // namespace

void pooled_workers(TargetDatabase& target) {
  heading("A pool shared by threads");
  {
    Connection setup = connect(target.url);
    setup.exec("CREATE TABLE page_views (id bigserial PRIMARY KEY, worker int NOT NULL, at timestamptz DEFAULT now())");
  }
  Pool pool(demo_pool_options(target.url));
  pool.wait_ready(std::chrono::seconds(5));
  shared_by_threads(pool);

  heading("The pool rides out a server restart");
  if (!target.cluster) {
    say("skipped: the database comes from DATABASE_URL, which the demo will not restart");
    return;
  }
  rides_out_a_restart(pool, *target.cluster);
}

}  // namespace pgkit::cli::demo
