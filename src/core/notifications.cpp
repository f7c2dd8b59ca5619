// LISTEN/NOTIFY.
#include "connection_impl.hpp"

#include "identifier.hpp"
#include "wait.hpp"


namespace pgkit {

void Connection::listen(std::string_view channel) { live().command("LISTEN " + detail::quote_identifier(channel)); }

void Connection::unlisten(std::string_view channel) {
  live().command("UNLISTEN " + detail::quote_identifier(channel));
}

void Connection::notify(std::string_view channel, std::string_view payload) {
  detail::quote_identifier(channel);  // the same rules as LISTEN's
  exec("SELECT pg_notify($1, $2)", channel, payload);
}

namespace {

std::optional<Notification> next_notification(PGconn* conn) {
  PGnotify* notify = PQnotifies(conn);
  if (notify == nullptr) return std::nullopt;
  Notification notification{notify->relname, notify->extra != nullptr ? notify->extra : "", notify->be_pid};
  PQfreemem(notify);
  return notification;
}

}  // namespace

std::optional<Notification> Connection::wait_for_notification(std::chrono::milliseconds timeout) {
  live().check_usable();
  if (timeout.count() < 0) throw InterfaceError("the timeout cannot be negative");
  // Nothing runs on the server meanwhile: the deadline only ends the wait.
  detail::Waiter waiter(live(), timeout, "waiting for notifications", detail::Waiter::OnDeadline::stop);
  if (PQconsumeInput(live().conn) == 0) live().throw_send_failure("waiting for notifications");
  for (;;) {
    if (auto notification = next_notification(live().conn)) return notification;
    if (!waiter.wait()) {
      if (waiter.past_deadline()) return std::nullopt;
      live().throw_send_failure("waiting for notifications");
    }
  }
}

std::vector<Notification> Connection::take_notifications() {
  live().check_usable();
  if (PQconsumeInput(live().conn) == 0) live().throw_send_failure("reading notifications");
  std::vector<Notification> out;
  while (auto notification = next_notification(live().conn)) out.push_back(std::move(*notification));
  return out;
}

}  // namespace pgkit
