// Pool overhead with Google Benchmark: acquire + release of a pooled connection, no statement, against
// DATABASE_URL or a throwaway embedded cluster. Target: under 200 ns uncontended.
#include <pgkit/embedded.hpp>
#include <pgkit/pool.hpp>

#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <optional>

namespace {

// The server every benchmark shares, started on first use.
const pgkit::embedded::ServerForThisRun& server() {
  static const pgkit::embedded::ServerForThisRun instance;
  return instance;
}

pgkit::PoolOptions options(std::size_t size) {
  pgkit::PoolOptions o;
  o.connect.conninfo = server().conninfo();
  o.min_size = size;
  o.max_size = size;
  o.logger = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  return o;
}

void acquire_release(benchmark::State& state) {
  pgkit::Pool pool(options(1));
  pool.wait_ready(std::chrono::seconds(10));
  for (auto _ : state) {
    auto conn = pool.acquire();
    benchmark::DoNotOptimize(conn);
  }
}
BENCHMARK(acquire_release);

// Several threads sharing one pool with as many connections as threads: the lock's cost under contention.
void acquire_release_shared(benchmark::State& state) {
  static std::optional<pgkit::Pool> pool;
  if (state.thread_index() == 0) {
    pool.emplace(options(static_cast<std::size_t>(state.threads())));
    pool->wait_ready(std::chrono::seconds(10));
  }
  for (auto _ : state) {
    auto conn = pool->acquire();
    benchmark::DoNotOptimize(conn);
  }
  if (state.thread_index() == 0) pool.reset();
}
BENCHMARK(acquire_release_shared)->Threads(2)->UseRealTime();

// A borrowed connection running SELECT 1: the pool's share of a real round trip.
void acquire_select1_release(benchmark::State& state) {
  pgkit::Pool pool(options(1));
  pool.wait_ready(std::chrono::seconds(10));
  for (auto _ : state) {
    auto conn = pool.acquire();
    benchmark::DoNotOptimize(conn.query_value<int>("SELECT 1"));
  }
}
BENCHMARK(acquire_select1_release);

}  // namespace

BENCHMARK_MAIN();
