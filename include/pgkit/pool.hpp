// pgkit::Pool: connections shared between threads.
//
//   pgkit::Pool pool({.connect = {.conninfo = url}, .min_size = 2, .max_size = 16});
//   {
//     auto conn = pool.acquire();                  // waits up to acquire_timeout, then PoolTimeout
//     conn->exec("UPDATE ...");                    // conn is a pgkit::Connection while held
//   }                                              // back to the pool, rolled back and reset if needed
//   auto n = pool.execute_with_retry([](pgkit::Connection& c) { return c.query_value<long>("SELECT ..."); });
//
// A background thread keeps min_size connections open, opens more (one at a time, waiting
// PoolOptions::reconnect after failures) while borrowers wait, retires connections past their
// lifetime or idle too long, pings idle ones, and reports handles held too long. Borrowers are served
// first come, first served. Returned connections are rolled back if a transaction is open, reset when
// their session state may have changed, and thrown away when broken.
#pragma once

#include <pgkit/backoff.hpp>
#include <pgkit/connection.hpp>
#include <pgkit/errors.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace spdlog {
class logger;
}

namespace pgkit {

// No connection could be lent within the acquire timeout. The message says how the pool stood and the
// last connection error, if any. Transient (connections come back, a server restarts) and safe to
// retry (nothing ran); no connection was involved.
class PoolTimeout : public OperationalError {
 public:
  using OperationalError::OperationalError;
  [[nodiscard]] bool is_transient() const noexcept override { return true; }
  [[nodiscard]] bool safe_to_retry() const noexcept override { return true; }
  [[nodiscard]] bool poisons_connection() const noexcept override { return false; }
};
// The pool already had max_waiters borrowers waiting: refused at once rather than queued.
class TooManyWaiters : public PoolTimeout {
 public:
  using PoolTimeout::PoolTimeout;
};
// The pool is closed (or closing): nothing more is lent. Safe to retry (nothing ran), but not transient.
class PoolClosed : public OperationalError {
 public:
  using OperationalError::OperationalError;
  [[nodiscard]] bool is_transient() const noexcept override { return false; }
  [[nodiscard]] bool safe_to_retry() const noexcept override { return true; }
  [[nodiscard]] bool poisons_connection() const noexcept override { return false; }
};
// The connection was lost while Pool::run() did work that is not retried: it may or may not have taken
// effect on the server (safe_to_retry() is false, as for every ConnectionLost).
class OutcomeUnknown : public ConnectionLost {
 public:
  using ConnectionLost::ConnectionLost;
};

// Which servers of a multi-host conninfo the pool's connections go to (libpq's target_session_attrs).
enum class ServerRole {
  any,             // the first that accepts
  primary,         // read-write; a server that turns read-only (25006) makes the pool reconnect
  prefer_standby,  // a standby if there is one, else any
  standby,
};

enum class ResetPolicy {
  // Reset when a statement that may change session state ran (SET, RESET, SET ROLE, LISTEN, DECLARE,
  // set_config(), CREATE TEMP, ...; see docs/pool.md) or a reported setting changed. Cheap: most
  // returns cost no round trip. A function that changes settings internally is not noticed.
  when_changed,
  always,  // a round trip on every return, proof against anything
};

// How a returned connection finds its next borrower when borrowers are waiting.
enum class Fairness {
  // Straight to the borrower that has waited longest: first come, first served. Each hand-over wakes a
  // sleeping thread, which on a busy machine costs a context switch and leaves the connection unused
  // until that thread is scheduled.
  fifo,
  // To whoever asks next, usually the thread that gave it back and goes on without sleeping; waiters
  // are served in arrival order once the longest has waited `fairness_bound`. Much more throughput when
  // threads outnumber connections, for waits up to `fairness_bound` longer than under fifo.
  throughput,
};

struct PoolOptions {
  ConnectOptions connect;        // where and how; TCP keepalives and a 5 s connect timeout are added unless set
  std::string name = "default";  // in logs and metrics
  std::size_t min_size = 1;      // kept open, opened in the background
  std::size_t max_size = 10;
  std::chrono::milliseconds acquire_timeout{30'000};
  std::size_t max_waiters = 0;  // borrowers allowed to wait at once; 0: no cap
  Fairness fairness = Fairness::fifo;
  std::chrono::microseconds fairness_bound{20'000};  // under Fairness::throughput; (0, 1 h]
  // A connection idle longer than this is checked when borrowed: its socket is looked at (no round
  // trip) to catch a server that closed it.
  std::chrono::milliseconds check_after_idle{1'000};
  std::chrono::milliseconds keepalive_interval{30'000};  // idle connections get a round trip this often; 0: never
  std::chrono::milliseconds max_lifetime{30 * 60'000};   // 0: forever
  double lifetime_jitter =
      0.2;  // each connection's lifetime is cut by up to this fraction, so they do not all expire together
  std::chrono::milliseconds idle_timeout{10 *
                                         60'000};  // idle connections above min_size are closed after this; 0: never
  std::chrono::milliseconds leak_threshold{0};     // a handle held longer is logged once; 0: off
  // The wait after a failed connection attempt: 50 ms doubling up to 1 s, equal jitter. initial_delay
  // must be positive; max_attempts and deadline must stay 0 (the pool never stops reconnecting).
  Backoff reconnect;
  ResetPolicy reset = ResetPolicy::when_changed;
  bool reset_prepared_statements = false;  // also DEALLOCATE ALL when resetting
  ServerRole role = ServerRole::any;
  std::function<void(Connection&)> on_connect;  // runs on each new connection before it is lent
  std::shared_ptr<spdlog::logger> logger;       // default: spdlog's default logger
};

struct PoolMetrics {
  std::size_t size = 0;  // open connections (idle + in use)
  std::size_t idle = 0;
  std::size_t in_use = 0;
  std::size_t waiters = 0;
  std::size_t min_size = 0;
  std::size_t max_size = 0;
  std::uint64_t acquired = 0;
  std::uint64_t timeouts = 0;          // PoolTimeout, TooManyWaiters included
  std::uint64_t waiters_rejected = 0;  // TooManyWaiters
  std::uint64_t served_ahead = 0;      // acquires served ahead of waiters (Fairness::throughput)
  std::uint64_t connect_attempts = 0;
  std::uint64_t connect_failures = 0;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_closed = 0;  // for any reason, broken ones included
  std::uint64_t connections_broken = 0;  // found broken (on return, on borrow, by a keepalive)
  std::uint64_t rollbacks = 0;           // returned inside a transaction
  std::uint64_t resets = 0;
  std::uint64_t leaks_reported = 0;
  std::uint64_t failovers = 0;  // the server turned read-only under a primary pool
  std::string last_connect_error;
  // Time borrowers waited in acquire(): counts[i] is how many waited at most bounds_seconds[i] (and more
  // than the bound before it); the last count is the rest. Fast acquires land in the first bucket.
  struct Histogram {
    std::vector<double> bounds_seconds;
    std::vector<std::uint64_t> counts;
    double sum_seconds = 0;
    std::uint64_t count = 0;
  } acquire_wait;
};

// The metrics as Prometheus text exposition (one pool; `pool` is its name label).
std::string prometheus_text(const PoolMetrics& metrics, std::string_view pool);

namespace detail {
class PoolCore;
struct PoolEntry;
}  // namespace detail

// A borrowed connection: use it as a Connection (->, *), or through exec()/query() directly. Returns
// to the pool when destroyed or released.
class PooledConnection : public Executor<PooledConnection> {
 public:
  PooledConnection(PooledConnection&& other) noexcept;
  PooledConnection& operator=(PooledConnection&& other) noexcept;
  PooledConnection(const PooledConnection&) = delete;
  PooledConnection& operator=(const PooledConnection&) = delete;
  ~PooledConnection();

  Connection& connection() const;
  Connection& operator*() const { return connection(); }
  Connection* operator->() const { return &connection(); }
  explicit operator bool() const noexcept { return entry_ != nullptr; }

  // Gives the connection back now (the handle is empty afterwards).
  void release() noexcept;
  // Closes the connection instead of giving it back (e.g. after leaving it in an unknown state).
  void discard() noexcept;

 private:
  friend class Pool;
  friend class Executor<PooledConnection>;
  PooledConnection(std::shared_ptr<detail::PoolCore> core, detail::PoolEntry* entry) noexcept
      : core_(std::move(core)), entry_(entry) {}
  Result run(std::string_view sql, const Params& params);
  void run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor);
  Result run_prepared(const PreparedStatement& statement, const Params& params);
  Params& scratch_params();

  std::shared_ptr<detail::PoolCore> core_;
  detail::PoolEntry* entry_ = nullptr;
};

class Pool {
 public:
  // Validates the options (InterfaceError naming the bad one) and starts the background thread; does
  // not wait for connections (wait_ready() does).
  explicit Pool(PoolOptions options);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  // close() with a 5-second deadline.
  ~Pool();

  PooledConnection acquire(std::source_location where = std::source_location::current());
  PooledConnection acquire(std::chrono::milliseconds timeout,
                           std::source_location where = std::source_location::current());

  // Waits until min_size connections are open; false when the timeout passed first.
  bool wait_ready(std::chrono::milliseconds timeout);
  // New sizes; the pool grows in the background and shrinks as connections come back or idle out.
  void resize(std::size_t min_size, std::size_t max_size);
  // Stops lending (waiters get PoolClosed), closes idle connections, waits up to `deadline` for borrowed
  // ones to come back and closes them; those still out are closed when returned. True when all came
  // back in time.
  bool close(std::chrono::milliseconds deadline = std::chrono::milliseconds(5'000));

  [[nodiscard]] PoolMetrics metrics() const;
  [[nodiscard]] const std::string& name() const noexcept;

  // fn(Connection&) with a borrowed connection, once. A lost connection raises OutcomeUnknown: the work
  // may have been applied, so it is never retried behind the caller's back.
  template <class F>
  auto run(F&& fn, std::source_location where = std::source_location::current()) {
    PooledConnection conn = acquire(where);
    try {
      return fn(*conn);
    } catch (const OutcomeUnknown&) {
      throw;
    } catch (const ConnectionLost& e) {
      throw_outcome_unknown(e);
    }
  }

  // For idempotent work: fn(Connection&) on a borrowed connection, run again on a fresh one when it
  // throws a transient error (Error::is_transient(): a lost or refused connection, PoolTimeout, a
  // serialization failure or deadlock) or, under a primary pool, ReadOnlySqlTransaction (the server was
  // demoted), waiting `backoff` between attempts (3 attempts within 10 s by default). Because the work
  // is idempotent, a connection lost mid-way is retried although it is not safe_to_retry().
  template <class F>
  auto execute_with_retry(F&& fn, const Backoff& backoff = default_retry,
                          std::source_location where = std::source_location::current()) {
    detail::RetryClock retries(backoff, "execute_with_retry's backoff");
    for (;;) {
      try {
        PooledConnection conn = acquire(where);
        return fn(*conn);
      } catch (const Error& e) {
        if (!should_retry(e) || !retries.wait_for_next()) throw;
      }
    }
  }
  static constexpr Backoff default_retry{.max_attempts = 3, .deadline = std::chrono::seconds(10)};

 private:
  [[noreturn]] static void throw_outcome_unknown(const ConnectionLost& error);
  [[nodiscard]] bool should_retry(const Error& error) const noexcept;

  std::shared_ptr<detail::PoolCore> core_;
};

}  // namespace pgkit
