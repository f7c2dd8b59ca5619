// pgkit::Backoff: the sequence of waits, the jitter's bounds, validation naming the field, and
// transact() waiting and stopping as its Backoff says, against real serialization failures.
#include "connection_helpers.hpp"

#include <pgkit/backoff.hpp>
#include <pgkit/transaction.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::Backoff;
using pgkit::testing::DatabaseTest;

std::vector<std::chrono::microseconds> ceilings(const Backoff& backoff, int retries) {
  std::vector<std::chrono::microseconds> out;
  for (int retry = 1; retry <= retries; ++retry) out.push_back(backoff.ceiling(retry));
  return out;
}

TEST(BackoffSequence, GrowsByTheMultiplierUpToTheCap) {
  const Backoff backoff{.initial_delay = 10ms, .multiplier = 3.0, .max_delay = 200ms};
  EXPECT_EQ(ceilings(backoff, 5), (std::vector<std::chrono::microseconds>{10ms, 30ms, 90ms, 200ms, 200ms}));
  const Backoff flat{.initial_delay = 7ms, .multiplier = 1.0, .max_delay = 1s};
  EXPECT_EQ(ceilings(flat, 3), (std::vector<std::chrono::microseconds>{7ms, 7ms, 7ms}));
  const Backoff none{.initial_delay = 0ms, .max_delay = 0ms};
  EXPECT_EQ(none.ceiling(1000), 0ms);
}

TEST(BackoffSequence, IsCappedEvenWhenTheGrowthOverflows) {
  // 10^1999 overflows a double to infinity; only the cap keeps the wait finite.
  const Backoff backoff{.initial_delay = 1ms, .multiplier = 10.0, .max_delay = 2ms};
  EXPECT_EQ(backoff.ceiling(2000), 2ms);
  EXPECT_EQ(backoff.ceiling(std::numeric_limits<int>::max()), 2ms);
  const Backoff from_zero{.initial_delay = 0ms, .multiplier = 10.0, .max_delay = 2ms};
  EXPECT_EQ(from_zero.ceiling(2000), 0ms) << "0 * infinity must not become NaN";
}

TEST(BackoffJitter, CutsAtMostItsShareOfTheCeiling) {
  for (const double jitter : {0.0, 0.25, 0.5, 1.0}) {
    SCOPED_TRACE(jitter);
    const Backoff backoff{.initial_delay = 100ms, .max_delay = 1s, .jitter = jitter};
    for (int retry = 1; retry <= 6; ++retry) {
      const auto top = backoff.ceiling(retry);
      const auto floor =
          std::chrono::microseconds(static_cast<std::int64_t>(static_cast<double>(top.count()) * (1 - jitter)));
      for (const double draw : {0.0, 0.1, 0.5, 0.9, 0.999999}) {
        const auto wait = backoff.delay(retry, draw);
        EXPECT_LE(wait, top);
        EXPECT_GE(wait, floor);
      }
      EXPECT_EQ(backoff.delay(retry, 0.0), top) << "a zero draw waits the whole ceiling";
    }
  }
  // Equal jitter: between half and all of the ceiling; full jitter: anywhere below it.
  const Backoff equal{.initial_delay = 100ms, .jitter = 0.5};
  EXPECT_EQ(equal.delay(1, 0.5), 75ms);
  const Backoff full{.initial_delay = 100ms, .jitter = 1.0};
  EXPECT_EQ(full.delay(1, 0.75), 25ms);
}

TEST(BackoffJitter, RefusesBadArguments) {
  const Backoff backoff;
  EXPECT_THROW((void)backoff.ceiling(0), pgkit::InterfaceError);
  EXPECT_THROW((void)backoff.delay(1, 1.0), pgkit::InterfaceError);
  EXPECT_THROW((void)backoff.delay(1, -0.1), pgkit::InterfaceError);
  EXPECT_THROW((void)backoff.delay(1, std::numeric_limits<double>::quiet_NaN()), pgkit::InterfaceError);
}

// The message of validate()'s error for `backoff`, or "" when it is valid.
std::string refusal(const Backoff& backoff) {
  try {
    backoff.validate("TestOptions::backoff");
  } catch (const pgkit::InterfaceError& e) {
    return e.what();
  }
  return "";
}

TEST(BackoffValidation, NamesTheBadField) {
  EXPECT_EQ(refusal(Backoff{}), "");
  EXPECT_EQ(refusal({.initial_delay = 0ms, .max_delay = 0ms, .jitter = 0.0}), "");
  EXPECT_EQ(refusal({.initial_delay = -1ms}), "invalid TestOptions::backoff: initial_delay is negative (-1 ms)");
  EXPECT_EQ(refusal({.multiplier = 0.5}), "invalid TestOptions::backoff: multiplier must be at least 1 (got 0.5)");
  EXPECT_NE(refusal({.multiplier = std::numeric_limits<double>::quiet_NaN()}).find("multiplier"), std::string::npos);
  EXPECT_NE(refusal({.multiplier = std::numeric_limits<double>::infinity()}).find("multiplier"), std::string::npos);
  EXPECT_EQ(refusal({.initial_delay = 20ms, .max_delay = 10ms}),
            "invalid TestOptions::backoff: max_delay (10 ms) is smaller than initial_delay (20 ms)");
  EXPECT_EQ(refusal({.max_delay = -1ms}).find("max_delay"), std::string("invalid TestOptions::backoff: ").size());
  EXPECT_EQ(refusal({.jitter = 1.01}), "invalid TestOptions::backoff: jitter must be in [0, 1] (got 1.01)");
  EXPECT_NE(refusal({.jitter = -0.5}).find("jitter"), std::string::npos);
  EXPECT_EQ(refusal({.max_attempts = -1}), "invalid TestOptions::backoff: max_attempts is negative (-1)");
  EXPECT_EQ(refusal({.deadline = -5ms}), "invalid TestOptions::backoff: deadline is negative (-5 ms)");
}

TEST(RetryClock, CountsAttemptsAndStopsAtTheLimit) {
  pgkit::detail::RetryClock clock({.initial_delay = 0ms, .max_delay = 0ms, .max_attempts = 3}, "test");
  EXPECT_EQ(clock.attempts(), 1);
  EXPECT_TRUE(clock.wait_for_next());
  EXPECT_TRUE(clock.wait_for_next());
  EXPECT_EQ(clock.attempts(), 3);
  EXPECT_FALSE(clock.wait_for_next());
  EXPECT_EQ(clock.attempts(), 3);
  EXPECT_THROW(pgkit::detail::RetryClock({.max_attempts = 0}, "test"), pgkit::InterfaceError)
      << "no limit at all: the loop could never end";
}

TEST(RetryClock, WaitsAtLeastTheJitteredFloorAndStopsBeforeTheDeadline) {
  pgkit::detail::RetryClock clock({.initial_delay = 40ms, .max_delay = 40ms, .jitter = 0.5, .max_attempts = 3}, "t");
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(clock.wait_for_next());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 20ms);
  // The shortest wait (100 ms) already ends past the deadline: no retry starts.
  pgkit::detail::RetryClock late({.initial_delay = 200ms, .max_delay = 200ms, .deadline = 100ms}, "t");
  const auto asked = std::chrono::steady_clock::now();
  EXPECT_FALSE(late.wait_for_next());
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 100ms) << "it must not sleep before giving up";
}

// ---- transact() under its Backoff, against real serialization failures --------------------------

class TransactBackoff : public DatabaseTest {
 protected:
  void SetUp() override {
    conn_.emplace(connect());
    other_.emplace(connect());
    conn().exec("CREATE TABLE IF NOT EXISTS counters (id int PRIMARY KEY, n int)");
    conn().exec("TRUNCATE counters");
    conn().exec("INSERT INTO counters VALUES (1, 0)");
  }
  pgkit::Connection& conn() { return *conn_; }
  // A serializable transaction that conflicts with another session in its first `conflicts` attempts.
  int run(const Backoff& backoff, int conflicts, int& attempts) {
    pgkit::RetryOptions options{.backoff = backoff, .transaction = {.isolation = pgkit::IsolationLevel::serializable}};
    return pgkit::transact(
        conn(),
        [&](pgkit::Connection& c) {
          ++attempts;
          (void)c.query_value<int>("SELECT n FROM counters WHERE id = 1");  // the snapshot
          if (attempts <= conflicts) other_->exec("UPDATE counters SET n = n + 100 WHERE id = 1");
          return c.query_value<int>("UPDATE counters SET n = n + 1 WHERE id = 1 RETURNING n");
        },
        options);
  }

 private:
  std::optional<pgkit::Connection> conn_;
  std::optional<pgkit::Connection> other_;
};

TEST_F(TransactBackoff, WaitsTheBackoffBetweenAttempts) {
  int attempts = 0;
  const auto started = std::chrono::steady_clock::now();
  const int n =
      run({.initial_delay = 30ms, .multiplier = 2.0, .max_delay = 1s, .jitter = 0.0, .max_attempts = 5}, 2, attempts);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(attempts, 3);
  EXPECT_EQ(n, 201);
  EXPECT_GE(elapsed, 90ms) << "30 ms then 60 ms without jitter";
}

TEST_F(TransactBackoff, StopsAtMaxAttemptsWithTheServersError) {
  int attempts = 0;
  EXPECT_THROW(run({.initial_delay = 0ms, .max_delay = 0ms, .max_attempts = 2}, 5, attempts),
               pgkit::SerializationFailure);
  EXPECT_EQ(attempts, 2);
}

TEST_F(TransactBackoff, StopsAtTheDeadline) {
  int attempts = 0;
  // Every wait is at least 150 ms, past the 100 ms deadline: one attempt only.
  EXPECT_THROW(run({.initial_delay = 300ms, .max_delay = 300ms, .deadline = 100ms}, 5, attempts),
               pgkit::SerializationFailure);
  EXPECT_EQ(attempts, 1);
}

TEST_F(TransactBackoff, DoesNotRetryNonRetryableErrors) {
  int attempts = 0;
  // A statement timeout: not transient.
  EXPECT_THROW(pgkit::transact(conn(),
                               [&](pgkit::Connection& c) {
                                 ++attempts;
                                 c.exec("SET LOCAL statement_timeout = '20ms'");
                                 c.exec("SELECT pg_sleep(5)");
                               },
                               {.backoff = {.initial_delay = 0ms, .max_delay = 0ms, .max_attempts = 5}}),
               pgkit::QueryCanceled);
  EXPECT_EQ(attempts, 1);
  // A terminated backend: transient, but the connection is gone and the work may have committed.
  auto victim = connect();
  auto admin = connect();
  attempts = 0;
  EXPECT_THROW(pgkit::transact(victim,
                               [&](pgkit::Connection& c) {
                                 ++attempts;
                                 (void)admin.query_value<bool>("SELECT pg_terminate_backend($1, 10000)",
                                                               c.backend_pid());
                                 c.exec("SELECT 1");
                               },
                               {.backoff = {.initial_delay = 0ms, .max_delay = 0ms, .max_attempts = 5}}),
               pgkit::ConnectionLost);
  EXPECT_EQ(attempts, 1);
}

}  // namespace
