#include "core/pool_access.hpp"
#include "pool/pool_core.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <set>

namespace pgkit {
namespace detail {
namespace {

// Settings the server reports whenever they change: a change seen on return means a SET pgkit did not
// see in the statement text (e.g. inside a function), so the connection is reset.
constexpr std::array reported_settings = {"is_superuser",
                                          "session_authorization",
                                          "TimeZone",
                                          "DateStyle",
                                          "IntervalStyle",
                                          "application_name",
                                          "client_encoding",
                                          "default_transaction_read_only",
                                          "standard_conforming_strings",
                                          "search_path"};

// The pool's connection settings: the caller's, plus what a pool needs to notice a dead network in
// seconds (TCP keepalives, tcp_user_timeout; ignored on Unix sockets) unless the caller chose otherwise.
ConnectOptions pool_connect_options(const PoolOptions& options) {
  ConnectOptions connect = options.connect;
  const auto keywords = conninfo_keywords(connect.conninfo, "PoolOptions::connect.conninfo");
  std::set<std::string> given(keywords.begin(), keywords.end());
  for (const auto& [keyword, value] : connect.parameters) given.insert(keyword);
  const auto add_default = [&](const char* keyword, const char* value) {
    if (!given.contains(keyword)) connect.parameters.emplace_back(keyword, value);
  };
  add_default("keepalives", "1");
  add_default("keepalives_idle", "5");
  add_default("keepalives_interval", "2");
  add_default("keepalives_count", "3");
  add_default("tcp_user_timeout", "10000");
  if (!connect.connect_timeout && !given.contains("connect_timeout")) connect.connect_timeout = std::chrono::seconds(5);
  if (connect.target_session_attrs.empty() && !given.contains("target_session_attrs")) {
    switch (options.role) {
      case ServerRole::any:
        break;
      case ServerRole::primary:
        connect.target_session_attrs = "read-write";
        break;
      case ServerRole::prefer_standby:
        connect.target_session_attrs = "prefer-standby";
        break;
      case ServerRole::standby:
        connect.target_session_attrs = "standby";
        break;
    }
  }
  if (connect.application_name.empty() && !given.contains("application_name")) {
    connect.application_name = "pgkit pool " + options.name;
  }
  return connect;
}

void validate(const PoolOptions& options) {
  const auto bad = [](const std::string& what) { throw InterfaceError("invalid PoolOptions: " + what); };
  if (options.max_size == 0) bad("max_size must be at least 1");
  if (options.min_size > options.max_size) {
    bad(fmt::format("min_size ({}) is larger than max_size ({})", options.min_size, options.max_size));
  }
  if (options.acquire_timeout.count() < 0) bad("acquire_timeout is negative");
  if (options.check_after_idle.count() < 0) bad("check_after_idle is negative");
  if (options.keepalive_interval.count() < 0) bad("keepalive_interval is negative");
  if (options.max_lifetime.count() < 0) bad("max_lifetime is negative");
  if (!(options.lifetime_jitter >= 0 && options.lifetime_jitter < 1)) bad("lifetime_jitter must be in [0, 1)");
  if (options.idle_timeout.count() < 0) bad("idle_timeout is negative");
  if (options.leak_threshold.count() < 0) bad("leak_threshold is negative");
  options.reconnect.validate("PoolOptions::reconnect");
  // Without a wait, a server that is down would be asked as fast as connections fail.
  if (options.reconnect.initial_delay.count() <= 0) bad("reconnect.initial_delay must be positive");
  if (options.reconnect.max_attempts != 0 || options.reconnect.deadline.count() != 0) {
    bad("reconnect.max_attempts and reconnect.deadline must be 0: the pool never stops reconnecting");
  }
  if (options.name.empty()) bad("name is empty");
  if (options.fairness_bound.count() <= 0 || options.fairness_bound > std::chrono::hours(1)) {
    bad("fairness_bound must be positive and at most an hour");
  }
}

std::string where_text(const std::source_location& where) {
  return fmt::format("{}:{} ({})", where.file_name(), where.line(), where.function_name());
}

double seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

PoolCore::PoolCore(PoolOptions options) : options_(std::move(options)), random_(std::random_device{}()) {
  validate(options_);
  options_.connect = pool_connect_options(options_);
  log_ = options_.logger ? options_.logger : spdlog::default_logger();
  reset_script_ =
      "RESET ALL; RESET SESSION AUTHORIZATION; RESET ROLE; CLOSE ALL; UNLISTEN *; "
      "SELECT pg_advisory_unlock_all(); DISCARD TEMP";
  if (options_.reset_prepared_statements) reset_script_ += "; DEALLOCATE ALL";
  counters_.acquire_wait.bounds_seconds.assign(wait_bounds.begin(), wait_bounds.end());
}

PoolCore::~PoolCore() {
  if (maintainer_.joinable()) {
    if (maintainer_.get_id() == std::this_thread::get_id()) {
      maintainer_.detach();
    } else {
      maintainer_.join();
    }
  }
}

void PoolCore::start() {
  maintainer_ = std::thread([self = shared_from_this()] {
    self->maintain();
    std::lock_guard lock(self->mutex_);
    self->maintainer_done_ = true;
    self->changed_.notify_all();
  });
}

// ---- borrowing ---------------------------------------------------------------------------------

PoolEntry* PoolCore::pop_usable_idle(std::unique_lock<std::mutex>& lock, Clock::time_point now) {
  while (!idle_.empty() && !closed_) {
    PoolEntry* entry = idle_.back();
    idle_.pop_back();
    if (!expired(*entry, now) && entry->generation == generation_ &&
        (now - entry->idle_since <= options_.check_after_idle || socket_alive(*entry))) {
      return entry;
    }
    if (!entry->conn.is_open()) {
      ++counters_.connections_broken;
      sweep_idle_ = true;
    }
    auto doomed = remove(entry);
    wake_maintainer_.notify_one();
    lock.unlock();
    doomed.reset();
    lock.lock();
  }
  return nullptr;
}

PoolEntry* PoolCore::acquire(std::chrono::milliseconds timeout, const std::source_location& where) {
  if (timeout.count() < 0) throw InterfaceError("acquire: the timeout is negative");
  std::unique_lock lock(mutex_);
  const auto start = Clock::now();
  const auto closed_error = [&] { return PoolClosed(fmt::format("pool {} is closed", options_.name)); };
  if (closed_) throw closed_error();
  if (waiters_.empty() || !first_waiter_owed(start)) {
    PoolEntry* entry = pop_usable_idle(lock, start);
    const bool ahead_of_waiters = !waiters_.empty();
    if (entry != nullptr && ahead_of_waiters && first_waiter_owed(Clock::now())) {
      // A waiter's turn came while unusable connections were closed (unlocked): it goes first.
      hand_over(entry, start);
      entry = nullptr;
    }
    if (entry != nullptr) {
      ++in_use_;
      entry->borrowed = true;
      lent(entry, start, where);
      ++wait_counts_[0];
      if (ahead_of_waiters) {
        ++counters_.served_ahead;
        // The waiters passed over may need a connection of their own.
        if (should_grow()) wake_maintainer_.notify_one();
      }
      return entry;
    }
    if (closed_) throw closed_error();
  }

  if (options_.max_waiters != 0 && waiters_.size() >= options_.max_waiters) {
    ++counters_.waiters_rejected;
    ++counters_.timeouts;
    throw TooManyWaiters(
        fmt::format("pool {}: {} borrowers are waiting already (max_waiters)", options_.name, waiters_.size()));
  }
  // Shared with whoever hands it a connection, who may signal it after unlocking (see give_back).
  // Its arrival is stamped now, not at `start`: the lock may have been let go since, and under
  // Fairness::throughput the queue must stay in arrival order for every waiter's turn to come.
  const auto waiter_ptr = std::make_shared<Waiter>(Clock::now());
  Waiter& waiter = *waiter_ptr;
  waiters_.push_back(waiter_ptr);
  wake_maintainer_.notify_one();
  const auto deadline = start + timeout;
  const auto sleep_until = [&](Clock::time_point until) {
    while (waiter.entry == nullptr && !waiter.closed) {
      if (waiter.ready.wait_until(lock, until) == std::cv_status::timeout) break;
    }
  };
  if (options_.fairness == Fairness::throughput) {
    // Returned connections may have gone idle, kept for borrowers served ahead that never came back for
    // them. When its turn comes the waiter hands them out itself, in arrival order (an older waiter
    // first), rather than sleep on beside them.
    sleep_until(std::min(deadline, start + std::chrono::duration_cast<Clock::duration>(options_.fairness_bound)));
    if (waiter.entry == nullptr && !waiter.closed) {
      const auto now = Clock::now();
      while (!waiters_.empty()) {
        PoolEntry* entry = pop_usable_idle(lock, now);
        if (entry == nullptr) break;
        hand_over(entry, now);
      }
    }
  }
  sleep_until(deadline);
  if (waiter.entry == nullptr) {
    std::erase(waiters_, waiter_ptr);
    if (waiter.closed)
      throw PoolClosed(fmt::format("pool {} was closed while waiting for a connection", options_.name));
    ++counters_.timeouts;
    record_wait(Clock::now() - start);
    throw_timeout(timeout);
  }
  const auto now = Clock::now();
  lent(waiter.entry, now, where);
  record_wait(now - start);
  return waiter.entry;
}

void PoolCore::lent(PoolEntry* entry, Clock::time_point now, const std::source_location& where) noexcept {
  entry->borrowed_at = now;
  entry->borrowed_from = where;
  entry->leak_reported = false;
  ++counters_.acquired;
}

void PoolCore::throw_timeout(std::chrono::milliseconds timeout) const {
  std::string message =
      fmt::format("pool {}: no connection within {} ms ({} open, {} in use, {} waiting, max {})", options_.name,
                  timeout.count(), entries_.size(), in_use_, waiters_.size(), options_.max_size);
  if (consecutive_failures_ > 0 && !counters_.last_connect_error.empty()) {
    message += fmt::format("; the last {} connection attempts failed: {}", consecutive_failures_,
                           counters_.last_connect_error);
  }
  throw PoolTimeout(message);
}

void PoolCore::record_wait(Clock::duration waited) noexcept {
  const double s = seconds(waited);
  const auto bucket = std::lower_bound(wait_bounds.begin(), wait_bounds.end(), s) - wait_bounds.begin();
  ++wait_counts_[static_cast<std::size_t>(bucket)];
  wait_sum_ += s;
}

void PoolCore::hand_over(PoolEntry* entry, Clock::time_point now, std::shared_ptr<Waiter>* wake_later) {
  if (!waiters_.empty()) {
    std::shared_ptr<Waiter> waiter = std::move(waiters_.front());
    waiters_.pop_front();
    ++in_use_;
    entry->borrowed = true;
    entry->borrowed_at = now;
    waiter->entry = entry;
    if (wake_later != nullptr) {
      *wake_later = std::move(waiter);
    } else {
      waiter->ready.notify_one();
    }
    return;
  }
  entry->idle_since = now;
  idle_.push_back(entry);
}

std::unique_ptr<PoolEntry> PoolCore::remove(PoolEntry* entry) {
  std::erase(idle_, entry);
  std::unique_ptr<PoolEntry> owned;
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->get() == entry) {
      owned = std::move(*it);
      entries_.erase(it);
      break;
    }
  }
  ++counters_.connections_closed;
  changed_.notify_all();
  return owned;
}

// ---- giving back -----------------------------------------------------------------------------

bool PoolCore::socket_alive(PoolEntry& entry) noexcept { return PoolAccess::socket_alive(entry.conn); }

bool PoolCore::clean(PoolEntry& entry) noexcept {
  try {
    Connection& conn = entry.conn;
    if (!conn.is_open() || PoolAccess::held(conn)) return false;  // a stream, pipeline or COPY still runs
    const auto status = conn.transaction_status();
    if (status == TransactionStatus::active || status == TransactionStatus::unknown) return false;
    if (status == TransactionStatus::in_transaction || status == TransactionStatus::in_error) {
      PoolAccess::housekeeping(conn, "ROLLBACK", housekeeping_timeout());
      std::lock_guard lock(mutex_);
      ++counters_.rollbacks;
    }
    SessionUse& use = entry.use;
    // Reported settings only change while libpq reads from the server, i.e. while statements ran.
    if (options_.role == ServerRole::primary && use.used && (use.read_only_refused || reports_read_only(conn))) {
      failover(use.read_only_refused ? "a write failed with SQLSTATE 25006 (read-only)"
                                     : "the server reports it is read-only");
      return false;
    }
    if (options_.reset == ResetPolicy::always || use.session_changed || (use.used && reported_changed(entry))) {
      if (options_.reset_prepared_statements) conn.clear_statement_cache();
      PoolAccess::housekeeping(conn, reset_script_, housekeeping_timeout());
      std::lock_guard lock(mutex_);
      ++counters_.resets;
    }
    use = SessionUse{};
    return conn.is_open();
  } catch (const std::exception& e) {
    log_->warn("pool {}: a returned connection could not be cleaned and is closed: {}", options_.name, e.what());
    return false;
  }
}

bool PoolCore::reports_read_only(const Connection& conn) noexcept {
  const char* standby = PoolAccess::reported_setting(conn, "in_hot_standby");
  const char* read_only = PoolAccess::reported_setting(conn, "default_transaction_read_only");
  return (standby != nullptr && std::string_view(standby) == "on") ||
         (read_only != nullptr && std::string_view(read_only) == "on");
}

bool PoolCore::reported_changed(const PoolEntry& entry) noexcept {
  return std::ranges::any_of(entry.reported, [&](const auto& setting) {
    const char* now = PoolAccess::reported_setting(entry.conn, setting.first);
    return setting.second != (now != nullptr ? now : "");
  });
}

void PoolCore::give_back(PoolEntry* entry, bool discard) noexcept {
  const bool keep = !discard && clean(*entry);
  std::unique_ptr<PoolEntry> doomed;
  // Signalled after unlocking: a waiter woken while the lock is still held would only block on it again,
  // one more context switch per hand-over on the busiest path.
  std::shared_ptr<Waiter> to_wake;
  {
    std::lock_guard lock(mutex_);
    --in_use_;
    entry->borrowed = false;
    const auto now = Clock::now();
    if (!keep || closed_ || entry->generation != generation_ || expired(*entry, now) ||
        entries_.size() > options_.max_size) {
      // A connection superseded by a failover (possibly found by clean() just now) is closed, not broken.
      if (!keep && !discard && entry->generation == generation_) {
        ++counters_.connections_broken;
        sweep_idle_ = true;
      }
      doomed = remove(entry);
      wake_maintainer_.notify_one();
    } else {
      entry->last_checked = now;
      if (!waiters_.empty() && !first_waiter_owed(now)) {
        // Fairness::throughput: kept for whoever asks next (often this very thread), no one woken.
        entry->idle_since = now;
        idle_.push_back(entry);
      } else {
        hand_over(entry, now, &to_wake);
      }
    }
  }
  if (to_wake) to_wake->ready.notify_one();
}

void PoolCore::failover(std::string_view why) {
  std::vector<std::unique_ptr<PoolEntry>> doomed;
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    ++counters_.failovers;
    while (!idle_.empty()) doomed.push_back(remove(idle_.back()));
    wake_maintainer_.notify_one();
  }
  log_->warn("pool {}: {}; closing its connections and reconnecting to find the primary", options_.name, why);
}

// ---- the background thread ---------------------------------------------------------------------

bool PoolCore::should_grow() const noexcept {
  if (closed_ || opening_) return false;
  // Under Fairness::throughput idle connections and waiters can coexist for a moment; those waiters
  // need no new connection.
  const std::size_t waiters_without_idle = waiters_.size() > idle_.size() ? waiters_.size() - idle_.size() : 0;
  const std::size_t wanted =
      std::min(options_.max_size, std::max(options_.min_size, in_use_ + checking_ + waiters_without_idle));
  return entries_.size() < wanted;
}

std::chrono::milliseconds PoolCore::backoff_delay() {
  // uniform_real_distribution may round up to its upper bound; delay() wants [0, 1).
  const double draw = std::min(std::uniform_real_distribution<double>(0.0, 1.0)(random_), std::nextafter(1.0, 0.0));
  return std::chrono::duration_cast<std::chrono::milliseconds>(options_.reconnect.delay(consecutive_failures_, draw));
}

std::unique_ptr<PoolEntry> PoolCore::connect() {
  auto entry = std::make_unique<PoolEntry>(Connection(options_.connect));
  if (options_.on_connect) options_.on_connect(entry->conn);
  PoolAccess::watch(entry->conn, &entry->use);
  for (const char* name : reported_settings) {
    const char* value = PoolAccess::reported_setting(entry->conn, name);
    entry->reported.emplace_back(name, value != nullptr ? value : "");
  }
  return entry;
}

bool PoolCore::open_one(std::unique_lock<std::mutex>& lock) {
  opening_ = true;
  ++counters_.connect_attempts;
  lock.unlock();
  std::unique_ptr<PoolEntry> entry;
  std::string error;
  try {
    entry = connect();
  } catch (const std::exception& e) {
    error = e.what();
  }
  lock.lock();
  opening_ = false;
  const auto now = Clock::now();
  if (!entry) {
    ++counters_.connect_failures;
    counters_.last_connect_error = error;
    ++consecutive_failures_;
    const auto delay = backoff_delay();
    next_attempt_ = now + delay;
    log_->warn("pool {}: connection attempt {} failed, next in {} ms: {}", options_.name, consecutive_failures_,
               delay.count(), error);
    return false;
  }
  if (consecutive_failures_ > 0) {
    log_->info("pool {}: connected again after {} failed attempts", options_.name, consecutive_failures_);
  }
  consecutive_failures_ = 0;
  ++counters_.connections_opened;
  entry->opened = now;
  entry->last_checked = now;
  entry->generation = generation_;
  if (options_.max_lifetime.count() > 0) {
    std::uniform_real_distribution<double> cut(0.0, options_.lifetime_jitter);
    const auto lifetime = std::chrono::duration_cast<Clock::duration>(options_.max_lifetime * (1.0 - cut(random_)));
    entry->expires = now + lifetime;
  }
  PoolEntry* raw = entry.get();
  if (closed_) {
    lock.unlock();
    entry.reset();
    lock.lock();
    return false;
  }
  entries_.push_back(std::move(entry));
  log_->debug("pool {}: opened a connection ({} open, {} in use, {} waiting)", options_.name, entries_.size(), in_use_,
              waiters_.size());
  hand_over(raw, now);
  changed_.notify_all();
  return true;
}

std::vector<std::unique_ptr<PoolEntry>> PoolCore::take_unwanted_idle(Clock::time_point now) {
  std::vector<std::unique_ptr<PoolEntry>> doomed;
  for (std::size_t i = 0; i < idle_.size();) {
    PoolEntry* entry = idle_[i];
    const bool idle_too_long = options_.idle_timeout.count() > 0 && entries_.size() > options_.min_size &&
                               now - entry->idle_since >= options_.idle_timeout;
    const bool dead = sweep_idle_ && !socket_alive(*entry);
    if (dead) ++counters_.connections_broken;
    if (dead || idle_too_long || expired(*entry, now) || entry->generation != generation_) {
      doomed.push_back(remove(entry));
    } else {
      ++i;
    }
  }
  sweep_idle_ = false;
  return doomed;
}

void PoolCore::report_leaks(Clock::time_point now) {
  if (options_.leak_threshold.count() == 0) return;
  for (const auto& entry : entries_) {
    if (entry->borrowed && !entry->leak_reported && now - entry->borrowed_at >= options_.leak_threshold) {
      entry->leak_reported = true;
      ++counters_.leaks_reported;
      log_->warn("pool {}: a connection has been held for {:.1f} s (leak threshold {} ms); borrowed at {}",
                 options_.name, seconds(now - entry->borrowed_at), options_.leak_threshold.count(),
                 where_text(entry->borrowed_from));
    }
  }
}

void PoolCore::maintain() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    auto now = Clock::now();
    auto doomed = take_unwanted_idle(now);
    report_leaks(now);
    if (!doomed.empty()) {
      lock.unlock();
      doomed.clear();
      lock.lock();
      continue;
    }

    // Keepalive: one idle connection at a time, out of the idle list while it is pinged.
    if (options_.keepalive_interval.count() > 0 && waiters_.empty()) {
      const auto due = std::find_if(idle_.begin(), idle_.end(), [&](PoolEntry* entry) {
        return now - entry->last_checked >= options_.keepalive_interval;
      });
      if (due != idle_.end()) {
        PoolEntry* entry = *due;
        idle_.erase(due);
        ++checking_;
        lock.unlock();
        bool alive = true;
        try {
          PoolAccess::housekeeping(entry->conn, "SELECT 1", housekeeping_timeout());
        } catch (const std::exception& e) {
          alive = false;
          log_->warn("pool {}: an idle connection failed its keepalive and is closed: {}", options_.name, e.what());
        }
        lock.lock();
        --checking_;
        now = Clock::now();
        if (alive && !closed_) {
          entry->last_checked = now;
          hand_over(entry, now);
        } else {
          if (!alive) ++counters_.connections_broken;
          auto gone = remove(entry);
          lock.unlock();
          gone.reset();
          lock.lock();
        }
        continue;
      }
    }

    if (should_grow() && now >= next_attempt_) {
      open_one(lock);
      continue;
    }

    // Sleep until something is due; hand-backs, waiters and close() wake the thread earlier.
    auto next = now + std::chrono::milliseconds(250);
    if (should_grow()) next = std::max(now + std::chrono::milliseconds(1), std::min(next, next_attempt_));
    wake_maintainer_.wait_until(lock, next);
  }
}

// ---- control --------------------------------------------------------------------------------------

bool PoolCore::wait_ready(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return closed_ || entries_.size() >= options_.min_size; }) && !closed_;
}

void PoolCore::resize(std::size_t min_size, std::size_t max_size) {
  if (max_size == 0) throw InterfaceError("resize: max_size must be at least 1");
  if (min_size > max_size) {
    throw InterfaceError(fmt::format("resize: min_size ({}) is larger than max_size ({})", min_size, max_size));
  }
  std::vector<std::unique_ptr<PoolEntry>> doomed;
  {
    std::lock_guard lock(mutex_);
    options_.min_size = min_size;
    options_.max_size = max_size;
    while (entries_.size() > max_size && !idle_.empty()) doomed.push_back(remove(idle_.front()));
    wake_maintainer_.notify_one();
  }
  log_->info("pool {}: resized to min {} max {}", options_.name, min_size, max_size);
}

bool PoolCore::close(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  std::vector<std::unique_ptr<PoolEntry>> doomed;
  std::unique_lock lock(mutex_);
  const bool first = !closed_;
  closed_ = true;
  for (const auto& waiter : waiters_) {
    waiter->closed = true;
    waiter->ready.notify_one();
  }
  waiters_.clear();
  while (!idle_.empty()) doomed.push_back(remove(idle_.back()));
  lock.unlock();
  doomed.clear();
  if (first) log_->info("pool {}: closing", options_.name);
  lock.lock();
  const bool all_back = changed_.wait_until(lock, until, [&] { return in_use_ == 0 && checking_ == 0; });
  stopping_ = true;
  wake_maintainer_.notify_all();
  lock.unlock();
  // The maintainer may be inside a connection attempt (up to the connect timeout): wait for it until
  // the deadline, then let it finish on its own (it owns a reference to this core).
  if (maintainer_.joinable() && maintainer_.get_id() != std::this_thread::get_id()) {
    std::unique_lock done_lock(mutex_);
    const bool finished = changed_.wait_until(done_lock, std::max(until, Clock::now() + std::chrono::milliseconds(100)),
                                              [&] { return maintainer_done_; });
    done_lock.unlock();
    if (finished) {
      maintainer_.join();
    } else {
      maintainer_.detach();
    }
  }
  if (!all_back) {
    log_->warn("pool {}: closed with {} connection(s) still borrowed; they close when returned", options_.name,
               in_use_);
  }
  return all_back;
}

PoolMetrics PoolCore::metrics() const {
  std::lock_guard lock(mutex_);
  PoolMetrics m = counters_;
  m.size = entries_.size();
  m.idle = idle_.size();
  m.in_use = in_use_;
  m.waiters = waiters_.size();
  m.min_size = options_.min_size;
  m.max_size = options_.max_size;
  m.acquire_wait.counts.assign(wait_counts_.begin(), wait_counts_.end());
  m.acquire_wait.sum_seconds = wait_sum_;
  m.acquire_wait.count = 0;
  for (auto c : wait_counts_) m.acquire_wait.count += c;
  return m;
}

}  // namespace detail

// ---- Pool and PooledConnection -------------------------------------------------------------------------

Pool::Pool(PoolOptions options) : core_(std::make_shared<detail::PoolCore>(std::move(options))) {
  core_->start();
}

Pool::~Pool() {
  if (core_) core_->close(std::chrono::milliseconds(5'000));
}

PooledConnection Pool::acquire(std::source_location where) {
  return acquire(core_->options().acquire_timeout, where);
}

PooledConnection Pool::acquire(std::chrono::milliseconds timeout, std::source_location where) {
  detail::PoolEntry* entry = core_->acquire(timeout, where);
  return PooledConnection(core_, entry);
}

bool Pool::wait_ready(std::chrono::milliseconds timeout) {
  return core_->wait_ready(timeout);
}
void Pool::resize(std::size_t min_size, std::size_t max_size) {
  core_->resize(min_size, max_size);
}
bool Pool::close(std::chrono::milliseconds deadline) {
  return core_->close(deadline);
}
PoolMetrics Pool::metrics() const {
  return core_->metrics();
}
const std::string& Pool::name() const noexcept {
  return core_->options().name;
}
bool Pool::should_retry(const Error& error) const noexcept {
  if (error.is_transient()) return true;
  // Under a primary pool a read-only refusal means the server was demoted: the pool is reconnecting to
  // the new primary, so the next attempt can succeed. Elsewhere it is the caller's read-only transaction.
  const auto* refused = dynamic_cast<const DatabaseError*>(&error);
  return refused != nullptr && refused->sqlstate() == sqlstate::read_only_sql_transaction &&
         core_->options().role == ServerRole::primary;
}

void Pool::throw_outcome_unknown(const ConnectionLost& error) {
  throw OutcomeUnknown(fmt::format("{} (Pool::run does not retry: the work may or may not have taken effect; use "
                                   "execute_with_retry for idempotent work)",
                                   error.what()),
                       std::make_shared<Diagnostics>(error.diagnostics()));
}

PooledConnection::PooledConnection(PooledConnection&& other) noexcept
    : core_(std::move(other.core_)), entry_(std::exchange(other.entry_, nullptr)) {}

PooledConnection& PooledConnection::operator=(PooledConnection&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    entry_ = std::exchange(other.entry_, nullptr);
  }
  return *this;
}

PooledConnection::~PooledConnection() {
  release();
}

Connection& PooledConnection::connection() const {
  if (entry_ == nullptr) throw InterfaceError("this pooled connection was given back already");
  return entry_->conn;
}

void PooledConnection::release() noexcept {
  if (entry_ == nullptr) return;
  core_->give_back(std::exchange(entry_, nullptr), false);
  core_.reset();
}

void PooledConnection::discard() noexcept {
  if (entry_ == nullptr) return;
  core_->give_back(std::exchange(entry_, nullptr), true);
  core_.reset();
}

Result PooledConnection::run(std::string_view sql, const Params& params) {
  return connection().run(sql, params);
}
void PooledConnection::run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor) {
  connection().run_rows(sql, params, visitor);
}
Result PooledConnection::run_prepared(const PreparedStatement& statement, const Params& params) {
  return connection().run_prepared(statement, params);
}
Params& PooledConnection::scratch_params() {
  return connection().scratch_params();
}

}  // namespace pgkit
