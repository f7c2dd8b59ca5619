// The shared state behind pgkit::Pool and its handles. Handles keep it alive, so a handle returned after
// the Pool object is gone only closes its connection.
//
// Locking: one mutex guards the lists, counters and waiters. Nothing slow happens under it: connecting,
// rolling back, resetting, pinging and closing all run unlocked, on an entry that is out of every list
// while it is worked on (borrowed, being opened, or being checked by the maintainer).
#pragma once

#include <pgkit/pool.hpp>

#include "core/session_use.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace pgkit::detail {

using Clock = std::chrono::steady_clock;

struct PoolEntry {
  explicit PoolEntry(Connection connection) : conn(std::move(connection)) {}
  Connection conn;
  Clock::time_point opened{};
  Clock::time_point expires = Clock::time_point::max();
  Clock::time_point idle_since{};    // when it was last given back (or opened)
  Clock::time_point last_checked{};  // the last round trip or use: keepalives are due from here
  Clock::time_point borrowed_at{};
  std::source_location borrowed_from;
  std::uint64_t generation = 0;  // connections of an older generation are closed when they come back
  bool borrowed = false;
  bool leak_reported = false;
  // Reported settings at connect time, compared on return to notice SETs pgkit could not see.
  std::vector<std::pair<const char*, std::string>> reported;
  SessionUse use;  // what the borrower ran, noted by the core (PoolAccess::watch); cleared on return
};

class PoolCore : public std::enable_shared_from_this<PoolCore> {
 public:
  explicit PoolCore(PoolOptions options);
  ~PoolCore();
  void start();

  PoolEntry* acquire(std::chrono::milliseconds timeout, const std::source_location& where);
  void give_back(PoolEntry* entry, bool discard) noexcept;
  bool wait_ready(std::chrono::milliseconds timeout);
  void resize(std::size_t min_size, std::size_t max_size);
  bool close(std::chrono::milliseconds deadline);
  PoolMetrics metrics() const;

  const PoolOptions& options() const noexcept { return options_; }

 private:
  struct Waiter {
    explicit Waiter(Clock::time_point arrived) : since(arrived) {}
    std::condition_variable ready;
    Clock::time_point since;
    PoolEntry* entry = nullptr;
    bool closed = false;
  };

  // Takes the most recently returned usable connection out of the idle list; nullptr when none is left
  // or the pool was closed meanwhile (unusable ones are closed on the way, unlocked). Lock held.
  PoolEntry* pop_usable_idle(std::unique_lock<std::mutex>& lock, Clock::time_point now);
  // Whether the longest waiter must get the next connection, or a borrower may be served ahead of it
  // (Fairness::throughput, until it has waited fairness_bound). Lock held, waiters_ not empty.
  [[nodiscard]] bool first_waiter_owed(Clock::time_point now) const noexcept {
    return options_.fairness == Fairness::fifo || now - waiters_.front()->since >= options_.fairness_bound;
  }
  // The bookkeeping of a connection lent at `now` to the borrower at `where`. Lock held.
  void lent(PoolEntry* entry, Clock::time_point now, const std::source_location& where) noexcept;
  void maintain();
  // Takes out of the pool the idle connections it no longer wants: the dead (looked at after a broken
  // one came back), the expired, the superseded, and the oldest idle ones above min_size. The caller
  // destroys them after unlocking. Lock held.
  std::vector<std::unique_ptr<PoolEntry>> take_unwanted_idle(Clock::time_point now);
  // Logs, once each, connections borrowed for longer than leak_threshold. Lock held.
  void report_leaks(Clock::time_point now);
  bool open_one(std::unique_lock<std::mutex>& lock);
  std::unique_ptr<PoolEntry> connect();
  // Lends `entry` to the first waiter, or makes it idle. Lock held.
  // With `wake_later`, the waiter served is stored there for the caller to signal after unlocking.
  void hand_over(PoolEntry* entry, Clock::time_point now, std::shared_ptr<Waiter>* wake_later = nullptr);
  // Removes `entry` from the pool; the caller destroys the returned pointer after unlocking.
  std::unique_ptr<PoolEntry> remove(PoolEntry* entry);
  // Checks the socket of an idle connection without a round trip; false when the server closed it.
  static bool socket_alive(PoolEntry& entry) noexcept;
  // Rolls back, resets and checks a returned connection; false when it must be closed.
  bool clean(PoolEntry& entry) noexcept;
  // Whether the server says it is read-only (a standby, or default_transaction_read_only).
  static bool reports_read_only(const Connection& conn) noexcept;
  // Whether a reported setting differs from what it was at connect time (a SET pgkit could not see).
  static bool reported_changed(const PoolEntry& entry) noexcept;
  void failover(std::string_view why);
  [[nodiscard]] bool expired(const PoolEntry& entry, Clock::time_point now) const noexcept {
    return entry.expires <= now;
  }
  [[nodiscard]] bool should_grow() const noexcept;
  // The limit on the pool's own statements (ROLLBACK and the reset of a returned connection, the
  // keepalive): the connections' query_timeout, else 5 s.
  [[nodiscard]] std::chrono::milliseconds housekeeping_timeout() const noexcept {
    return options_.connect.query_timeout.value_or(std::chrono::seconds(5));
  }
  void record_wait(Clock::duration waited) noexcept;
  [[noreturn]] void throw_timeout(std::chrono::milliseconds timeout) const;
  std::chrono::milliseconds backoff_delay();

  PoolOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  std::string reset_script_;

  mutable std::mutex mutex_;
  std::condition_variable wake_maintainer_;
  std::condition_variable changed_;                // size changes (wait_ready, close)
  std::list<std::unique_ptr<PoolEntry>> entries_;  // every open connection
  std::vector<PoolEntry*> idle_;                   // most recently returned last
  std::deque<std::shared_ptr<Waiter>> waiters_;
  std::size_t in_use_ = 0;
  std::size_t checking_ = 0;  // taken out of idle by the maintainer
  bool opening_ = false;
  bool closed_ = false;
  bool stopping_ = false;
  bool sweep_idle_ = false;
  bool maintainer_done_ = false;  // a broken connection came back: look at the idle ones' sockets
  std::uint64_t generation_ = 0;
  int consecutive_failures_ = 0;
  Clock::time_point next_attempt_{};
  std::mt19937_64 random_;
  std::thread maintainer_;

  // Metrics (under mutex_)
  PoolMetrics counters_;
  static constexpr std::array<double, 16> wait_bounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                         0.025,   0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0};
  std::array<std::uint64_t, wait_bounds.size() + 1> wait_counts_{};
  double wait_sum_ = 0;
};

}  // namespace pgkit::detail
