// The one wait on a connection's socket. Every operation that waits for the server (a statement, a row
// stream, COPY in and out, a pipeline, a wait for notifications) owns a Waiter: it holds the deadline,
// sends the cancel request when the deadline passes, and gives the connection up when the server does
// not answer that cancel within its grace period. (taoPQ's connection::wait and pgx's ctxwatch do the
// same job: one place decides what a deadline means.)
#pragma once

#include "connection_impl.hpp"

#include <chrono>
#include <optional>
#include <string_view>

namespace pgkit::detail {

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
