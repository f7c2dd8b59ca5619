// pgkit::Backoff: how long to wait between attempts, and when to give up. One value for every retry
// loop pgkit runs: transact()'s (RetryOptions::backoff), the pool's reconnects (PoolOptions::reconnect)
// and Pool::execute_with_retry().
//
//   pgkit::transact(conn, transfer, {.backoff = {.initial_delay = 10ms, .max_delay = 200ms, .max_attempts = 8}});
//
// The wait before retry n (n = 1 after the first failure) is the ceiling initial_delay * multiplier^(n-1),
// capped at max_delay, cut by a random share of up to `jitter` of it: 1 waits anywhere up to the
// ceiling ("full jitter"), 0.5 between half and all of it ("equal jitter"), 0 exactly the ceiling.
// Jitter keeps clients that failed together from retrying in step.
//
// Fields left out of a designated initializer take Backoff's defaults below, not those of the helper
// the value is given to (transact() starts at 5 ms by default; `{.max_attempts = 8}` starts at 50 ms).
#pragma once

#include <chrono>
#include <string_view>

namespace pgkit {

struct Backoff {
  std::chrono::milliseconds initial_delay{50};  // >= 0
  double multiplier = 2.0;                      // >= 1
  std::chrono::milliseconds max_delay{1'000};   // >= initial_delay
  double jitter = 0.5;                          // in [0, 1]
  int max_attempts = 0;                         // attempts in all, the first one included; 0: no limit
  std::chrono::milliseconds deadline{0};        // no retry starts later than this after the first attempt; 0: none

  // Throws InterfaceError naming `name` and the field when a field is out of its range:
  // "invalid PoolOptions::reconnect: multiplier must be at least 1 (got 0.5)".
  void validate(std::string_view name = "Backoff") const;

  // The wait before retry `retry` (1-based) before jitter: min(max_delay, initial_delay *
  // multiplier^(retry-1)). InterfaceError when retry < 1.
  [[nodiscard]] std::chrono::microseconds ceiling(int retry) const;
  // The wait before retry `retry`: the ceiling cut by jitter * draw of it, `draw` a uniform random
  // number in [0, 1) (the caller's generator, so that tests and pools can bring their own).
  [[nodiscard]] std::chrono::microseconds delay(int retry, double draw) const;
};

namespace detail {

// The attempts of one retry loop under a Backoff: counts them, keeps the deadline, sleeps between them.
class RetryClock {
 public:
  // Validates `backoff` (errors name `name`) and refuses one without max_attempts or deadline: a retry
  // loop that could never end.
  RetryClock(const Backoff& backoff, std::string_view name);

  // After a failed attempt: false when none is left (max_attempts made, or the wait would start the
  // next one past the deadline); otherwise sleeps the jittered delay and returns true.
  bool wait_for_next();
  [[nodiscard]] int attempts() const noexcept { return attempts_; }

 private:
  Backoff backoff_;
  std::chrono::steady_clock::time_point started_;
  int attempts_ = 1;
};

}  // namespace detail
}  // namespace pgkit
