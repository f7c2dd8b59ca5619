// A pool facing a server that dies, freezes, is not there yet, or turns read-only. Each test runs its
// own throwaway clusters: the shared test server is never killed or reconfigured.
#include "pool/pool_test_support.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/embedded.hpp>
#include <pgkit/pool.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <csignal>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <typeinfo>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::Connection;
using pgkit::Pool;
using pgkit::PoolOptions;
using pgkit::embedded::Cluster;
using pgkit::testing::elapsed_since;
using pgkit::testing::eventually;
using pgkit::testing::kHangLimit;
using pgkit::testing::raise_to;
using pgkit::testing::start_dedicated_cluster;
using pgkit::testing::ThreadGroup;
using pgkit::testing::unique_name;
using Clock = std::chrono::steady_clock;

// The error's class, for the test's messages: the most derived pgkit class the test expects.
std::string error_kind(const std::exception& e) {
  if (dynamic_cast<const pgkit::TooManyWaiters*>(&e) != nullptr) return "TooManyWaiters";
  if (dynamic_cast<const pgkit::PoolTimeout*>(&e) != nullptr) return "PoolTimeout";
  if (dynamic_cast<const pgkit::PoolClosed*>(&e) != nullptr) return "PoolClosed";
  if (dynamic_cast<const pgkit::ConnectionLost*>(&e) != nullptr) return "ConnectionLost";
  if (dynamic_cast<const pgkit::ConnectionFailure*>(&e) != nullptr) return "ConnectionFailure";
  if (dynamic_cast<const pgkit::QueryCanceled*>(&e) != nullptr) return "QueryCanceled";
  if (dynamic_cast<const pgkit::OperationalError*>(&e) != nullptr) return "OperationalError";
  return std::string("untyped ") + typeid(e).name();
}

PoolOptions resilient_options(const Cluster& cluster, std::string_view prefix) {
  PoolOptions options;
  options.connect.conninfo = cluster.uri();
  options.connect.connect_timeout = 2s;  // libpq's minimum
  options.name = unique_name(prefix);
  options.reconnect = {.initial_delay = 50ms, .max_delay = 400ms};
  return options;
}

// ---- kill -9 under load ------------------------------------------------------------------------

TEST(PoolResilience, ServesAgainSoonAfterTheServerWasKilledUnderLoad) {
  auto cluster = start_dedicated_cluster();
  auto options = resilient_options(cluster, "killed");
  options.connect.query_timeout = 1s;
  options.acquire_timeout = 500ms;
  options.min_size = 2;
  options.max_size = 4;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));

  constexpr int workers = 4;
  const pgkit::Backoff retry{.initial_delay = 50ms, .max_delay = 200ms, .max_attempts = 3, .deadline = 2s};
  // No call may take longer than its retries allow: attempts start within the retry deadline, and each
  // is bounded by the acquire timeout, plus the query timeout and as long again for the cancel.
  const auto call_bound = retry.deadline + options.acquire_timeout + 2 * *options.connect.query_timeout + 2s;

  std::array<std::atomic<long>, workers> successes{};
  std::atomic<long> errors{0};
  std::atomic<long> longest_call_ms{0};
  std::atomic<Clock::rep> server_back{0};          // when start() returned; 0 until then
  std::atomic<Clock::rep> first_success_after{0};  // the first query served after that
  std::mutex mutex;
  std::map<std::string, int> error_kinds;
  std::vector<std::string> untyped;

  std::atomic<bool> stop{false};
  ThreadGroup threads([&] { stop = true; });
  for (int w = 0; w < workers; ++w) {
    threads.spawn([&, w] {
      for (long i = 0; !stop; ++i) {
        const auto started = Clock::now();
        try {
          int value = 0;
          if (i % 2 == 0) {
            value = pool.execute_with_retry([](Connection& c) { return c.query_value<int>("SELECT 1"); }, retry);
          } else {
            auto conn = pool.acquire();
            value = conn->query_value<int>("SELECT 1");
          }
          if (value == 1) ++successes[static_cast<std::size_t>(w)];
          const auto now = Clock::now().time_since_epoch().count();
          const auto back = server_back.load();
          if (back != 0 && now > back) {
            Clock::rep none = 0;
            first_success_after.compare_exchange_strong(none, now);
          }
        } catch (const pgkit::OperationalError& e) {
          ++errors;
          std::lock_guard lock(mutex);
          ++error_kinds[error_kind(e)];
        } catch (const std::exception& e) {
          std::lock_guard lock(mutex);
          untyped.push_back(error_kind(e) + ": " + e.what());
        }
        raise_to(longest_call_ms, static_cast<long>(elapsed_since(started).count()));
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  const auto all_served = [&](long at_least) {
    return std::all_of(successes.begin(), successes.end(), [&](const auto& n) { return n.load() >= at_least; });
  };
  ASSERT_TRUE(eventually([&] { return all_served(3); }, 10s));
  EXPECT_EQ(errors.load(), 0) << "errors before the server was killed";

  pgkit::testing::kill_server_tree(*cluster.postmaster_pid());
  EXPECT_TRUE(eventually([&] { return errors.load() > 0; }, 10s)) << "nobody noticed the server was gone";
  std::this_thread::sleep_for(300ms);  // the pool now meets refused connections for a while

  cluster.start();
  server_back = Clock::now().time_since_epoch().count();
  ASSERT_TRUE(eventually([&] { return first_success_after.load() != 0; }, 10s)) << "the pool never served again";
  const auto recovery = std::chrono::duration_cast<std::chrono::milliseconds>(
      Clock::duration(first_success_after.load() - server_back.load()));
  EXPECT_LT(recovery, 2s) << "the pool took " << recovery.count() << " ms to serve again";

  // Every worker is served again (none is stuck), then the load stops.
  std::array<long, workers> before{};
  for (int w = 0; w < workers; ++w) before[static_cast<std::size_t>(w)] = successes[static_cast<std::size_t>(w)];
  EXPECT_TRUE(eventually(
      [&] {
        for (int w = 0; w < workers; ++w) {
          if (successes[static_cast<std::size_t>(w)] < before[static_cast<std::size_t>(w)] + 5) return false;
        }
        return true;
      },
      10s));
  threads.join();

  std::string kinds;
  for (const auto& [kind, count] : error_kinds) kinds += fmt::format("{} x{}; ", kind, count);
  EXPECT_TRUE(untyped.empty()) << untyped.front();
  EXPECT_LT(std::chrono::milliseconds(longest_call_ms.load()), call_bound) << "a call hung; errors: " << kinds;
  EXPECT_GE(pool.metrics().connections_broken, 1u) << kinds;
  // The maintainer may still be in its reconnect backoff for the last connections: it refills the
  // pool to min_size soon, not necessarily by the time the load ends.
  EXPECT_TRUE(eventually([&] { return pool.metrics().size >= options.min_size; }, 10s))
      << "size " << pool.metrics().size << " of min " << options.min_size;
  RecordProperty("recovery_ms", static_cast<int>(recovery.count()));
  RecordProperty("errors", kinds);
}

// ---- a frozen server ---------------------------------------------------------------------------

TEST(PoolResilience, AFrozenServerGivesBorrowersAnErrorInBoundedTime) {
  auto cluster = start_dedicated_cluster();
  auto options = resilient_options(cluster, "frozen");
  options.connect.query_timeout = 500ms;
  options.acquire_timeout = 1s;
  options.min_size = 2;
  options.max_size = 2;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));
  EXPECT_EQ(pool.acquire()->query_value<int>("SELECT 1"), 1);
  const auto bound = options.acquire_timeout + *options.connect.query_timeout + 2s;

  struct Outcome {
    std::string kind;
    std::chrono::milliseconds took;
  };
  std::mutex mutex;
  std::vector<Outcome> outcomes;
  {
    pgkit::testing::FrozenServer frozen(*cluster.postmaster_pid());
    EXPECT_GT(frozen.processes(), 3u) << "expected the postmaster and its background processes";
    // Four borrowers for two connections: two run a statement on a frozen backend, two wait for a
    // connection that cannot be opened.
    ThreadGroup threads;
    for (int i = 0; i < 4; ++i) {
      threads.spawn([&] {
        const auto started = Clock::now();
        std::string kind = "succeeded";
        try {
          auto conn = pool.acquire();
          conn->query_value<int>("SELECT 1");
        } catch (const std::exception& e) {
          kind = error_kind(e);
        }
        std::lock_guard lock(mutex);
        outcomes.push_back({kind, elapsed_since(started)});
      });
    }
    threads.join();
    frozen.thaw();
  }

  std::map<std::string, int> kinds;
  for (const auto& outcome : outcomes) {
    ++kinds[outcome.kind];
    EXPECT_LT(outcome.took, bound) << outcome.kind << " after " << outcome.took.count() << " ms";
  }
  ASSERT_EQ(outcomes.size(), 4u);
  EXPECT_EQ(kinds["succeeded"], 0);
  EXPECT_EQ(kinds["PoolTimeout"], 2) << "the borrowers without a connection";
  EXPECT_EQ(kinds["QueryCanceled"] + kinds["ConnectionLost"], 2) << "the borrowers on a frozen backend";

  // Thawed, the server answers again and so does the pool.
  EXPECT_TRUE(eventually(
      [&] {
        try {
          return pool.acquire(1s)->query_value<int>("SELECT 1") == 1;
        } catch (const pgkit::OperationalError&) {
          return false;
        }
      },
      15s));
  EXPECT_GE(pool.metrics().connections_broken, 2u);
}

// ---- nobody listening --------------------------------------------------------------------------

// How many connection attempts the pool can have started `elapsed` after it was created, when every
// attempt fails at once: the first starts at once, and the k-th failure is followed by a delay of at
// least half of min(initial * 2^(k-1), max) (the jitter takes up to half of it away).
std::uint64_t most_attempts_within(std::chrono::milliseconds elapsed, const pgkit::Backoff& backoff) {
  std::uint64_t attempts = 1;
  double next_start = 0;
  for (int failures = 1;; ++failures) {
    // The shortest wait: the ceiling cut by all of the jitter (a millisecond less, as the pool rounds down).
    const double ceiling = std::chrono::duration<double, std::milli>(backoff.ceiling(failures)).count();
    next_start += std::max(0.0, ceiling * (1 - backoff.jitter) - 1);
    if (next_start > static_cast<double>(elapsed.count())) return attempts;
    ++attempts;
  }
}

// Giving back a connection left inside a transaction runs a ROLLBACK (and a dirty session a reset): on a
// frozen server process those are bounded by the connections' query_timeout, not by a fixed 5 s.
TEST(PoolResilience, GivingBackToAFrozenServerProcessTakesTheQueryTimeout) {
  auto cluster = start_dedicated_cluster();
  auto options = resilient_options(cluster, "frozen_return");
  options.connect.query_timeout = 300ms;
  options.min_size = 1;
  options.max_size = 1;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));
  std::chrono::milliseconds took{};
  {
    auto conn = pool.acquire();
    conn->exec("BEGIN");
    conn->exec("SET search_path = pg_catalog");  // a reset is due too
    const pid_t backend = conn->backend_pid();
    ASSERT_EQ(::kill(backend, SIGSTOP), 0) << "cannot signal the server process (not its owner or root?)";
    const auto started = Clock::now();
    conn.release();
    took = elapsed_since(started);
    ::kill(backend, SIGCONT);
  }
  std::printf("giving back a connection in a transaction on a frozen server process (query_timeout 300 ms): %lld ms\n",
              static_cast<long long>(took.count()));
  // The ROLLBACK's timeout, then its cancel's grace period (as long again), and slack for a busy machine;
  // with the fixed 5 s it took about 6 s.
  EXPECT_LT(took, 3s);
  const auto metrics = pool.metrics();
  EXPECT_EQ(metrics.connections_broken, 1u);
  EXPECT_EQ(metrics.rollbacks, 0u);  // the ROLLBACK never completed
  // A fresh connection replaces it.
  EXPECT_EQ(pool.acquire(10s)->query_value<int>("SELECT 1"), 1);
}

TEST(PoolResilience, RefusedConnectionsBackOffInsteadOfStorming) {
  auto cluster = Cluster::make_throwaway();
  cluster.start();  // initialised once, then stopped: its socket is gone, every connection is refused
  cluster.stop();
  EXPECT_THROW(Connection{cluster.uri()}, pgkit::ConnectionFailure);

  auto options = resilient_options(cluster, "refused");
  options.min_size = 1;
  options.max_size = 8;
  const auto created = Clock::now();
  Pool pool(options);

  // Eight borrowers, each asking for a connection for 1 s, twice: about 2 s of pressure.
  std::mutex mutex;
  std::vector<std::string> timeouts;
  std::vector<std::string> unexpected;
  {
    ThreadGroup threads;
    for (int i = 0; i < 8; ++i) {
      threads.spawn([&] {
        for (int round = 0; round < 2; ++round) {
          try {
            pool.acquire(1s);
            std::lock_guard lock(mutex);
            unexpected.emplace_back("served while no server was running");
          } catch (const pgkit::PoolTimeout& e) {
            std::lock_guard lock(mutex);
            timeouts.emplace_back(e.what());
          } catch (const std::exception& e) {
            std::lock_guard lock(mutex);
            unexpected.push_back(error_kind(e) + ": " + e.what());
          }
        }
      });
    }
  }
  const auto elapsed = elapsed_since(created);
  const auto metrics = pool.metrics();
  EXPECT_TRUE(unexpected.empty()) << unexpected.front();
  EXPECT_EQ(timeouts.size(), 16u);
  EXPECT_EQ(metrics.timeouts, 16u);
  for (const auto& message : timeouts) {
    EXPECT_NE(message.find("connection attempts failed"), std::string::npos) << message;
    EXPECT_NE(message.find(metrics.last_connect_error.substr(0, 40)), std::string::npos) << message;
  }
  EXPECT_FALSE(metrics.last_connect_error.empty());
  if (!timeouts.empty()) RecordProperty("timeout_message", timeouts.front());

  // No storm: sixteen borrowers waiting do not make the pool try harder. With 50 ms initial and 400 ms
  // maximum backoff, the shortest delays are 25, 50, 100, 200, 200, ... ms: attempts start at 0, >= 25,
  // 75, 175, 375, 575, ... ms, so at most 13 by 2 s (about 9 on average, the jitter being uniform).
  const auto bound = most_attempts_within(elapsed, options.reconnect);
  EXPECT_LE(metrics.connect_attempts, bound) << "after " << elapsed.count() << " ms";
  EXPECT_GE(metrics.connect_attempts, 3u) << "the pool stopped trying";
  EXPECT_EQ(metrics.connect_failures, metrics.connect_attempts);
  EXPECT_EQ(metrics.connections_opened, 0u);
  RecordProperty("connect_attempts", static_cast<int>(metrics.connect_attempts));
  RecordProperty("attempt_bound", static_cast<int>(bound));

  // Once the server is there, the pool fills without being asked.
  cluster.start();
  EXPECT_TRUE(pool.wait_ready(10s));
  EXPECT_EQ(pool.acquire(5s)->query_value<int>("SELECT 1"), 1);
  EXPECT_GE(pool.metrics().connections_opened, 1u);
}

// ---- a primary that turns read-only --------------------------------------------------------------

void set_read_only(Cluster& cluster, bool read_only) {
  Connection admin(cluster.uri());
  admin.exec(read_only ? "ALTER SYSTEM SET default_transaction_read_only = on"
                       : "ALTER SYSTEM RESET default_transaction_read_only");
  admin.exec("SELECT pg_reload_conf()");
  // A new session sees the new setting once the postmaster reloaded, which it does before passing the
  // reload on to the sessions already open: from then on, their next statement runs with it.
  const std::string expected = read_only ? "on" : "off";
  ASSERT_TRUE(eventually(
      [&] {
        return Connection(cluster.uri()).query_value<std::string>("SHOW default_transaction_read_only") == expected;
      },
      10s));
}

std::int64_t rows_on(const Cluster& cluster) {
  return Connection(cluster.uri()).query_value<std::int64_t>("SELECT count(*) FROM failover_log");
}

TEST(PoolFailover, WritesMoveToTheServerThatIsStillWritable) {
  auto a = start_dedicated_cluster();
  auto b = start_dedicated_cluster();
  std::string hosts;
  std::string ports;
  for (const Cluster* cluster : {&a, &b}) {
    Connection direct(cluster->uri());
    direct.exec("CREATE TABLE failover_log (note text)");
    const auto socket = cluster->socket_directory().string();
    ASSERT_EQ(socket.find_first_of(" ,'\\"), std::string::npos) << socket;
    hosts += (hosts.empty() ? "" : ",") + socket;
    ports += (ports.empty() ? "" : ",") + direct.query_value<std::string>("SHOW port");
  }
  auto options = resilient_options(a, "failover");
  options.connect.conninfo =
      fmt::format("host={} port={} user={} dbname=postgres", hosts, ports, a.options().superuser);
  options.role = pgkit::ServerRole::primary;
  options.min_size = 1;
  options.max_size = 2;
  options.acquire_timeout = 5s;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));

  const auto data_directory = [](Connection& conn) {
    return std::filesystem::path(conn.query_value<std::string>("SELECT current_setting('data_directory')"));
  };
  const auto on = [&](const std::filesystem::path& server, const Cluster& cluster) {
    return std::filesystem::equivalent(server, cluster.data_directory());
  };
  {
    auto conn = pool.acquire();
    ASSERT_TRUE(on(data_directory(*conn), a)) << "the pool should start on the first host";
    conn->exec("INSERT INTO failover_log VALUES ('before')");
  }

  // A turns read-only: the write fails there, is retried on a fresh connection, which goes to B.
  set_read_only(a, true);
  std::vector<std::filesystem::path> attempts;
  pool.execute_with_retry([&](Connection& conn) {
    attempts.push_back(data_directory(conn));
    conn.exec("INSERT INTO failover_log VALUES ('retried')");
  });
  ASSERT_EQ(attempts.size(), 2u) << "expected one failed attempt on A, then success on B";
  EXPECT_TRUE(on(attempts[0], a));
  EXPECT_TRUE(on(attempts[1], b));
  EXPECT_EQ(pool.metrics().failovers, 1u);
  EXPECT_EQ(rows_on(a), 1);
  EXPECT_EQ(rows_on(b), 1);
  // Later writes land on B.
  for (int i = 0; i < 3; ++i) pool.acquire()->exec("INSERT INTO failover_log VALUES ('after')");
  EXPECT_EQ(rows_on(b), 4);
  EXPECT_EQ(rows_on(a), 1);

  // And back: A writable again, B read-only. A plain write on the pool's connection to B fails with
  // ReadOnlySqlTransaction (no retry without execute_with_retry); the pool reconnects, to A.
  set_read_only(a, false);
  set_read_only(b, true);
  {
    auto conn = pool.acquire();
    ASSERT_TRUE(on(data_directory(*conn), b));
    EXPECT_THROW(conn->exec("INSERT INTO failover_log VALUES ('refused')"), pgkit::ReadOnlySqlTransaction);
  }
  EXPECT_EQ(pool.metrics().failovers, 2u);
  {
    auto conn = pool.acquire();
    EXPECT_TRUE(on(data_directory(*conn), a));
    conn->exec("INSERT INTO failover_log VALUES ('failed back')");
  }
  EXPECT_EQ(rows_on(a), 2);
  EXPECT_EQ(rows_on(b), 4);
  EXPECT_EQ(pool.metrics().connections_broken, 0u) << "a read-only server is not a broken connection";
}

}  // namespace
