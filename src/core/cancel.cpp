// Deadlines and cancel requests: the timing rules, the asynchronous cancel, and CancelHandle.
#include "connection_impl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <thread>

namespace pgkit {
namespace detail {

// When a wait of `timeout` from now ends; nullopt when that lies beyond what the clock can represent
// (milliseconds::max() as "no limit" must not overflow into a deadline in the past).
std::optional<Clock::time_point> deadline_after(std::chrono::milliseconds timeout) {
  const auto now = Clock::now();
  if (timeout >= std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now)) {
    return std::nullopt;
  }
  return now + timeout;
}

// poll()'s timeout for waiting until `until`: 0 to INT_MAX milliseconds.
int poll_milliseconds(Clock::time_point until) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, std::numeric_limits<int>::max()));
}

std::chrono::milliseconds checked_timeout(std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) throw InterfaceError("a timeout cannot be negative");
  return timeout;
}

Clock::duration cancel_grace(std::chrono::milliseconds timeout) noexcept {
  return std::clamp<Clock::duration>(timeout, std::chrono::milliseconds(100), std::chrono::seconds(1));
}

AsyncCancel::AsyncCancel(std::shared_ptr<PGcancel> cancel) : shared_(std::make_shared<Shared>()) {
  std::thread([shared = shared_, cancel = std::move(cancel)] {
    if (cancel) {
      char error[256];
      PQcancel(cancel.get(), error, sizeof error);
    }
    const std::lock_guard lock(shared->mutex);
    shared->done = true;
    shared->done_cv.notify_all();
  }).detach();
}

bool AsyncCancel::wait_until(Clock::time_point deadline) {
  std::unique_lock lock(shared_->mutex);
  return shared_->done_cv.wait_until(lock, deadline, [&] { return shared_->done; });
}

}  // namespace detail

void Connection::Impl::give_up_after_unanswered_cancel(std::string_view happened) {
  mark_broken("the server did not answer a cancel request");
  PQfinish(conn);
  conn = nullptr;
  throw QueryCanceled(fmt::format("{} and the server did not answer the cancel request; the connection to {} was closed",
                                  happened, description));
}

std::shared_ptr<PGcancel> Connection::Impl::cancel_object() {
  const std::lock_guard lock(cancel_state->mutex);
  if (!cancel_state->cancel && conn != nullptr) {
    cancel_state->cancel = std::shared_ptr<PGcancel>(PQgetCancel(conn), &PQfreeCancel);
  }
  return cancel_state->cancel;
}

CancelHandle Connection::cancel_handle() {
  if (live().conn == nullptr) throw InterfaceError("the connection is closed");
  live().cancel_object();
  return CancelHandle(live().cancel_state);
}

bool CancelHandle::cancel(std::string* error) const {
  std::shared_ptr<PGcancel> cancel;
  {
    const std::lock_guard lock(state_->mutex);
    cancel = state_->cancel;
  }
  if (!cancel) {
    if (error != nullptr) *error = "the connection is closed";
    return false;
  }
  char buffer[256] = {};
  if (PQcancel(cancel.get(), buffer, sizeof buffer) != 0) return true;
  if (error != nullptr) *error = buffer;
  return false;
}

}  // namespace pgkit
