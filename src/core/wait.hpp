// The one wait on a connection's socket. Every operation that waits for the server (a statement, a row
// stream, COPY in and out, a pipeline, a wait for notifications) owns a Waiter: it holds the deadline,
// sends the cancel request when the deadline passes, and gives the connection up when the server does
// not answer that cancel within its grace period. (taoPQ's connection::wait and pgx's ctxwatch do the
// same job: one place decides what a deadline means.)
#pragma once

#include <pgkit/connection.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

namespace pgkit::detail {

using Clock = std::chrono::steady_clock;

// When a wait of `timeout` from now ends; nullopt when that lies beyond what the clock can represent.
std::optional<Clock::time_point> deadline_after(std::chrono::milliseconds timeout);
// poll()'s timeout for waiting until `until`: 0 to INT_MAX milliseconds.
int poll_milliseconds(Clock::time_point until);
// Throws InterfaceError for a negative timeout.
std::chrono::milliseconds checked_timeout(std::chrono::milliseconds timeout);

// How long the server gets to answer a cancel sent because `timeout` passed: as long again, within
// 0.1 to 1 s. After that, the connection is given up (Impl::give_up_after_unanswered_cancel).
Clock::duration cancel_grace(std::chrono::milliseconds timeout) noexcept;

// A cancel request running on its own thread, so that a server that does not answer (frozen, or the
// network gone) cannot block the caller beyond its deadline.
class AsyncCancel {
 public:
  explicit AsyncCancel(std::shared_ptr<PGcancel> cancel);
  // Waits until the request was delivered or `deadline` passes; true when delivered.
  bool wait_until(Clock::time_point deadline);

 private:
  struct Shared {
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
  };
  std::shared_ptr<Shared> shared_;
};

class Waiter {
 public:
  // What the deadline does when it passes: cancel what runs on the server, or only end the wait (when
  // nothing runs, e.g. waiting for notifications).
  enum class OnDeadline : unsigned char { cancel, stop };

  // `what` names the operation in the message of a connection given up ("statement", "COPY into t");
  // it must outlive the Waiter. No timeout: no deadline (a cancel asked for with cancel() still gets
  // its grace period).
  Waiter(Connection::Impl& conn, std::optional<std::chrono::milliseconds> timeout, std::string_view what,
         OnDeadline on_deadline = OnDeadline::cancel);
  Waiter(const Waiter&) = delete;
  Waiter& operator=(const Waiter&) = delete;
  ~Waiter() = default;

  // Waits until the socket has something to read (with `want_write`, also: room to write), then reads
  // what came (PQconsumeInput). When the deadline has passed: sends the cancel request and returns at
  // once, so that a sender can stop (timed_out() says so). When the cancel's grace period has passed:
  // closes the connection and throws QueryCanceled. Returns false when the connection failed (libpq
  // says why) or, under OnDeadline::stop, when the deadline passed.
  bool wait(bool want_write = false);
  // Sends the cancel request if the deadline has passed and none was sent; true once timed out.
  bool expired();
  // Cancels what runs now, for a reason of pgkit's own (a stream abandoned, a COPY that exec() refuses);
  // the server gets the same grace period to answer before the connection is given up.
  void cancel();
  // The server answered (a pipeline's statement completed) after a cancel: it is alive, so the cancel
  // is forgotten, and what runs next may be cancelled in its turn, a grace period from now.
  void answered();
  // Waits up to a second for the cancel request to be delivered: one still on its way could cancel the
  // next statement. Marks the connection broken when it cannot be delivered. Nothing when none was sent.
  void settle() noexcept;

  // Whether wait() is needed at all: there is a deadline or a cancel to watch.
  [[nodiscard]] bool bounded() const noexcept { return deadline_.has_value() || cancel_.has_value(); }
  [[nodiscard]] bool past_deadline() const noexcept { return deadline_ && Clock::now() >= *deadline_; }
  [[nodiscard]] bool cancelled() const noexcept { return cancel_.has_value(); }
  [[nodiscard]] bool timed_out() const noexcept { return timed_out_; }
  [[nodiscard]] const std::optional<std::chrono::milliseconds>& timeout() const noexcept { return timeout_; }

 private:
  void start_cancel(Clock::time_point now);
  [[noreturn]] void give_up();

  Connection::Impl& conn_;
  std::optional<std::chrono::milliseconds> timeout_;
  std::string_view what_;
  OnDeadline on_deadline_;
  std::optional<Clock::time_point> deadline_;
  std::optional<AsyncCancel> cancel_;
  Clock::time_point give_up_at_{};
  bool timed_out_ = false;
};

// A COPY ... TO STDOUT pgkit does not want (run through exec(), or going the wrong way): the server is
// asked to stop, since the data may be endless and reading it all would take as long as the whole
// COPY; what is on its way is read and dropped, within the Waiter's deadline and the cancel's grace.
void stop_copy_out(PGconn* conn, Waiter& waiter);

}  // namespace pgkit::detail
