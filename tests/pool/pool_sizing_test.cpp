// How many connections a pool keeps: resizing at run time, lifetime expiry with jitter, idle trimming,
// and reports of handles held too long.
#include "pool/pool_test_support.hpp"

#include <pgkit/pool.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <source_location>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::Pool;
using pgkit::PooledConnection;
using pgkit::testing::DatabaseTest;
using pgkit::testing::eventually;
using pgkit::testing::pool_options;
using pgkit::testing::server_sessions;
using Clock = std::chrono::steady_clock;

class PoolSizing : public DatabaseTest {};

TEST_F(PoolSizing, GrowsInTheBackgroundWhenMinSizeIsRaised) {
  auto options = pool_options(database_url());
  options.min_size = 1;
  options.max_size = 2;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));
  EXPECT_EQ(pool.metrics().size, 1u);

  pool.resize(4, 6);
  auto metrics = pool.metrics();
  EXPECT_EQ(metrics.min_size, 4u);
  EXPECT_EQ(metrics.max_size, 6u);
  ASSERT_TRUE(pool.wait_ready(10s));
  metrics = pool.metrics();
  EXPECT_EQ(metrics.size, 4u) << "the pool opens up to min_size, no more";
  EXPECT_EQ(metrics.idle, 4u);
  auto observer = connect();
  EXPECT_TRUE(eventually([&] { return server_sessions(observer, options.name) == 4; }, 10s));

  // The new max_size holds: six can be borrowed at once, a seventh waits.
  std::vector<PooledConnection> held;
  for (int i = 0; i < 6; ++i) held.push_back(pool.acquire(10s));
  EXPECT_EQ(pool.metrics().size, 6u);
  EXPECT_THROW(pool.acquire(100ms), pgkit::PoolTimeout);
  held.clear();
  EXPECT_EQ(pool.metrics().idle, 6u);
}

TEST_F(PoolSizing, ShrinksIdleConnectionsDownToTheNewMax) {
  auto options = pool_options(database_url());
  options.min_size = 5;
  options.max_size = 5;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));
  auto observer = connect();
  ASSERT_TRUE(eventually([&] { return server_sessions(observer, options.name) == 5; }, 10s));

  pool.resize(1, 2);
  auto metrics = pool.metrics();
  EXPECT_EQ(metrics.size, 2u) << "idle connections above the new max are closed by resize()";
  EXPECT_EQ(metrics.connections_closed, 3u);
  EXPECT_TRUE(eventually([&] { return server_sessions(observer, options.name) == 2; }, 10s));

  // Borrowed connections cannot be closed under their borrower: they go when they come back.
  auto first = pool.acquire(5s);
  auto second = pool.acquire(5s);
  pool.resize(1, 1);
  EXPECT_EQ(pool.metrics().size, 2u);
  EXPECT_EQ(first->query_value<int>("SELECT 1"), 1) << "a borrowed connection keeps working after a shrink";
  first.release();
  metrics = pool.metrics();
  EXPECT_EQ(metrics.size, 1u) << "a connection returned above max_size is closed";
  EXPECT_EQ(metrics.idle, 0u);
  second.release();
  metrics = pool.metrics();
  EXPECT_EQ(metrics.size, 1u);
  EXPECT_EQ(metrics.idle, 1u);
  EXPECT_TRUE(eventually([&] { return server_sessions(observer, options.name) == 1; }, 10s));
}

// Connections past their lifetime are replaced, each at its own time: the jitter cuts every lifetime by
// a random fraction so that connections opened together do not all reconnect together.
TEST_F(PoolSizing, ConnectionsAreReplacedAfterAJitteredLifetime) {
  constexpr auto lifetime = 500ms;
  constexpr double jitter = 0.5;  // lifetimes in (250, 500] ms
  auto options = pool_options(database_url());
  options.min_size = 4;
  options.max_size = 4;
  options.max_lifetime = lifetime;
  options.lifetime_jitter = jitter;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));

  // Borrow all four connections at once, over and over: each one is looked at every few milliseconds,
  // and the pool retires an expired one when it is borrowed or comes back, so it is seen until just
  // before it expired. For each backend: when it was first seen after being lent (>= when it was
  // opened) and the start of the last round that still got it (< when it expired).
  struct Seen {
    Clock::time_point first;
    Clock::time_point last_round;
  };
  std::map<int, Seen> seen;
  std::set<int> initial;
  const auto started = Clock::now();
  int round = 0;
  std::set<int> current;
  while (Clock::now() - started < 3s) {
    const auto round_start = Clock::now();
    std::vector<PooledConnection> all;
    current.clear();
    for (int i = 0; i < 4; ++i) {
      all.push_back(pool.acquire(10s));
      const int pid = all.back()->backend_pid();
      const auto now = Clock::now();
      auto [it, fresh] = seen.try_emplace(pid, Seen{now, round_start});
      if (!fresh) it->second.last_round = round_start;
      current.insert(pid);
      if (round == 0) initial.insert(pid);
    }
    all.clear();
    ++round;
    std::this_thread::sleep_for(5ms);
  }

  // Replacement happened, several times over.
  ASSERT_GT(seen.size(), 12u) << "expected the 4 connections to be replaced repeatedly in 3 s";
  const auto metrics = pool.metrics();
  EXPECT_GE(metrics.connections_closed, seen.size() - 4);
  EXPECT_GE(metrics.connections_opened, seen.size());
  EXPECT_EQ(metrics.connections_opened - metrics.connections_closed, metrics.size);
  EXPECT_EQ(metrics.connections_broken, 0u) << "expiry is not breakage";

  // The lifetimes of connections seen from birth to retirement (not the first ones, opened before the
  // loop, nor those still open at its end).
  std::vector<double> lifetimes_ms;
  for (const auto& [pid, s] : seen) {
    if (initial.contains(pid) || current.contains(pid)) continue;
    lifetimes_ms.push_back(std::chrono::duration<double, std::milli>(s.last_round - s.first).count());
  }
  ASSERT_GE(lifetimes_ms.size(), 12u);
  std::sort(lifetimes_ms.begin(), lifetimes_ms.end());
  const double shortest = lifetimes_ms.front();
  const double longest = lifetimes_ms.back();
  // Never lent past its lifetime (the bound is exact: both ends are measured inside the lifetime).
  EXPECT_LT(longest, 500.0);
  // Not cut by more than the jitter allows (250 ms), less a generous margin for a slow round.
  EXPECT_GT(shortest, 150.0);
  // The jitter at work: lifetimes spread over (250, 500] ms. Without jitter they would all be within a
  // few milliseconds of 500 (one round). With 12 or more uniform draws, a spread under 50 ms or none
  // below 450 ms has a probability below 1e-6.
  EXPECT_GT(longest - shortest, 50.0) << "lifetimes from " << shortest << " to " << longest << " ms";
  EXPECT_LT(shortest, 450.0);

  // Idle connections expire too: the background thread replaces them, keeping min_size open.
  auto observer = connect();
  const std::set<int> last_ones = current;
  EXPECT_TRUE(eventually(
      [&] {
        return std::none_of(last_ones.begin(), last_ones.end(),
                            [&](int pid) { return pgkit::testing::backend_exists(observer, pid); });
      },
      10s))
      << "idle connections past their lifetime were not closed";
  EXPECT_TRUE(pool.wait_ready(10s));
  EXPECT_TRUE(eventually([&] { return pool.metrics().size == 4; }, 10s));
}

TEST_F(PoolSizing, IdleConnectionsAboveMinSizeAreClosed) {
  auto options = pool_options(database_url());
  options.min_size = 1;
  options.max_size = 4;
  options.idle_timeout = 300ms;
  Pool pool(options);
  ASSERT_TRUE(pool.wait_ready(10s));
  {
    std::vector<PooledConnection> burst;
    for (int i = 0; i < 4; ++i) burst.push_back(pool.acquire(10s));
    EXPECT_EQ(pool.metrics().size, 4u);
  }
  EXPECT_EQ(pool.metrics().idle, 4u);
  auto observer = connect();

  EXPECT_TRUE(eventually([&] { return pool.metrics().size == 1; }, 10s)) << "size stayed at " << pool.metrics().size;
  EXPECT_TRUE(eventually([&] { return server_sessions(observer, options.name) == 1; }, 10s));
  EXPECT_EQ(pool.metrics().connections_closed, 3u);
  // min_size is kept however long the pool stays idle.
  std::this_thread::sleep_for(800ms);
  EXPECT_EQ(pool.metrics().size, 1u);
  EXPECT_EQ(server_sessions(observer, options.name), 1);
  auto conn = pool.acquire(1s);
  EXPECT_EQ(conn->query_value<int>("SELECT 1"), 1);
}

TEST_F(PoolSizing, AHandleHeldTooLongIsReportedOnceWithWhereItWasBorrowed) {
  pgkit::testing::CapturedLog log;
  std::uint32_t acquire_line = 0;
  {
    auto options = pool_options(database_url(), "leaky");
    options.leak_threshold = 100ms;
    options.logger = log.logger();
    Pool pool(options);
    {
      acquire_line = std::source_location::current().line() + 1;
      auto held = pool.acquire();
      const auto borrowed = Clock::now();
      EXPECT_TRUE(eventually([&] { return pool.metrics().leaks_reported >= 1; }, 10s));
      // Hold 400 ms at least, and through several of the background thread's rounds after the report:
      // the leak is reported once per loan, not once per round.
      std::this_thread::sleep_until(std::max(borrowed + 400ms, Clock::now() + 600ms));
      EXPECT_EQ(pool.metrics().leaks_reported, 1u);
    }
    // A short loan is not reported.
    {
      auto brief = pool.acquire();
      brief->exec("SELECT 1");
    }
    std::this_thread::sleep_for(400ms);
    EXPECT_EQ(pool.metrics().leaks_reported, 1u);
    pool.close();
  }
  const std::string text = log.text();
  const std::string where = std::string("pool_sizing_test.cpp:") + std::to_string(acquire_line);
  EXPECT_NE(text.find(where), std::string::npos) << "expected " << where << " in the log:\n" << text;
  EXPECT_NE(text.find("leak threshold"), std::string::npos) << text;
  EXPECT_NE(text.find("leaky"), std::string::npos) << text;
}

}  // namespace
