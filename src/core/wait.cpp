#include "wait.hpp"

#include "connection_impl.hpp"

#include <fmt/format.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace pgkit::detail {

Waiter::Waiter(Connection::Impl& conn, std::optional<std::chrono::milliseconds> timeout, std::string_view what,
               OnDeadline on_deadline)
    : conn_(conn), timeout_(timeout), what_(what), on_deadline_(on_deadline) {
  if (timeout_) deadline_ = deadline_after(*timeout_);
}

bool Waiter::wait(bool want_write) {
  if (conn_.conn == nullptr) return false;
  const auto now = Clock::now();
  std::optional<Clock::time_point> until = deadline_;
  if (deadline_ && now >= *deadline_ && !cancel_) {
    if (on_deadline_ == OnDeadline::stop) return false;
    timed_out_ = true;
    start_cancel(now);
    return true;  // a sender stops here; the next wait waits for the server's answer
  }
  if (cancel_) {
    if (now >= give_up_at_) give_up();
    until = give_up_at_;
  }
  pollfd fd{PQsocket(conn_.conn), static_cast<short>(POLLIN | (want_write ? POLLOUT : 0)), 0};
  if (fd.fd < 0) return false;
  if (::poll(&fd, 1, until ? poll_milliseconds(*until) : -1) < 0 && errno != EINTR) {
    throw OperationalError(fmt::format("poll failed while waiting for the server: {}", std::strerror(errno)));
  }
  return PQconsumeInput(conn_.conn) != 0;
}

bool Waiter::expired() {
  if (!timed_out_ && deadline_ && !cancel_) {
    const auto now = Clock::now();
    if (now >= *deadline_ && on_deadline_ == OnDeadline::cancel) {
      timed_out_ = true;
      start_cancel(now);
    }
  }
  return timed_out_;
}

void Waiter::cancel() {
  if (!cancel_) start_cancel(Clock::now());
}

void Waiter::answered() {
  if (!cancel_) return;
  cancel_.reset();
  // Not before a grace period from now: a statement of a later group still running then gets its own
  // cancel. The deadline stays the whole operation's.
  if (deadline_) deadline_ = std::max(*deadline_, Clock::now() + cancel_grace(*timeout_));
}

void Waiter::settle() noexcept {
  if (!cancel_ || conn_.conn == nullptr) return;
  if (!cancel_->wait_until(Clock::now() + std::chrono::seconds(1))) {
    conn_.mark_broken("a cancel request could not be delivered");
  }
}

void Waiter::start_cancel(Clock::time_point now) {
  cancel_.emplace(conn_.cancel_object());
  // Without a timeout of its own (an abandoned stream), the server gets the longest grace.
  give_up_at_ = now + cancel_grace(timeout_.value_or(std::chrono::seconds(1)));
}

void Waiter::give_up() {
  const std::string happened = timed_out_ ? fmt::format("{} timed out after {} ms", what_, timeout_->count())
                                          : fmt::format("{} was cancelled", what_);
  conn_.give_up_after_unanswered_cancel(happened);
}

}  // namespace pgkit::detail
