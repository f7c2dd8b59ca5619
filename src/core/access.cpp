// The seams other modules reach a connection through: detail::BulkAccess (COPY, pipelines) and
// detail::PoolAccess (the pool).
#include "bulk_access.hpp"
#include "pool_access.hpp"

#include "connection_impl.hpp"
#include "conninfo.hpp"

#include <poll.h>

namespace pgkit::detail {

// ---- BulkAccess ----

PGconn* BulkAccess::native(Connection& conn) { return conn.live().conn; }

void BulkAccess::check_usable(Connection& conn) { conn.live().check_usable(); }

OwnerToken BulkAccess::claim(Connection& conn, Owner owner) { return OwnerToken(conn.live(), owner); }

Waiter BulkAccess::waiter(Connection& conn, std::optional<std::chrono::milliseconds> timeout, std::string_view what) {
  return Waiter(conn.live(), timeout, what);
}

void BulkAccess::throw_send_failure(Connection& conn, std::string_view what) { conn.live().throw_send_failure(what); }

void BulkAccess::mark_broken(Connection& conn, std::string reason) { conn.live().mark_broken(std::move(reason)); }

Result BulkAccess::collect(Connection& conn, Waiter& waiter) { return conn.live().collect(waiter); }

Result BulkAccess::make_result(Connection& conn, PGresult* result) {
  auto& impl = conn.live();
  return detail::make_result(result, impl.text_settings.capture(impl.conn));
}

std::shared_ptr<const TextSettings> BulkAccess::text_settings(Connection& conn) {
  auto& impl = conn.live();
  return impl.text_settings.capture(impl.conn);
}

Result BulkAccess::command(Connection& conn, std::string_view sql, std::optional<std::chrono::milliseconds> timeout) {
  return conn.live().command(sql, timeout);
}

Result BulkAccess::describe(Connection& conn, std::string_view sql, std::optional<std::chrono::milliseconds> timeout) {
  auto& impl = conn.live();
  impl.check_usable();
  // parse_and_describe() waits within query_timeout: the caller's timeout stands in for it meanwhile.
  const auto saved_timeout = impl.query_timeout;
  if (timeout) impl.query_timeout = timeout;
  try {
    Result description = impl.parse_and_describe("", std::string(sql));
    impl.query_timeout = saved_timeout;
    return description;
  } catch (...) {
    impl.query_timeout = saved_timeout;
    throw;
  }
}

void BulkAccess::note_statement(Connection& conn, std::string_view sql) noexcept {
  if (auto* use = conn.impl_ ? conn.impl_->use : nullptr) use->note_statement(sql);
}

void BulkAccess::note_prepared_statement(Connection& conn) noexcept {
  if (auto* use = conn.impl_ ? conn.impl_->use : nullptr) use->note_statement(false);
}

void BulkAccess::count_sent(Connection& conn) noexcept { ++conn.impl_->statements_sent; }

void BulkAccess::note_failure(Connection& conn, std::string_view sqlstate) noexcept {
  if (auto* use = conn.impl_ ? conn.impl_->use : nullptr) use->note_failure(sqlstate);
}

// ---- PoolAccess ----

void PoolAccess::watch(Connection& conn, SessionUse* use) noexcept {
  if (conn.impl_) conn.impl_->use = use;
}

bool PoolAccess::held(const Connection& conn) noexcept { return conn.impl_ && conn.impl_->owner != Owner::none; }

bool PoolAccess::socket_alive(Connection& conn) noexcept {
  PGconn* native = conn.is_open() ? conn.impl_->conn : nullptr;
  if (native == nullptr) return false;
  pollfd fd{PQsocket(native), POLLIN, 0};
  if (fd.fd < 0) return false;
  if (::poll(&fd, 1, 0) <= 0) return true;  // nothing to read: as alive as the socket can tell
  if ((fd.revents & (POLLERR | POLLNVAL)) != 0 || PQconsumeInput(native) == 0 || PQstatus(native) == CONNECTION_BAD) {
    conn.impl_->mark_broken("the server closed the connection while it was idle in the pool");
    return false;
  }
  return true;  // a notification or notice: still fine
}

void PoolAccess::housekeeping(Connection& conn, std::string_view sql, std::chrono::milliseconds timeout) {
  auto& impl = conn.live();
  const Unnoted unnoted(impl);
  impl.command(sql, timeout);
}

const char* PoolAccess::reported_setting(const Connection& conn, const char* name) noexcept {
  return conn.impl_ && conn.impl_->conn != nullptr ? PQparameterStatus(conn.impl_->conn, name) : nullptr;
}

std::vector<std::string> conninfo_keywords(std::string_view conninfo, std::string_view what) {
  std::vector<std::string> given;
  if (conninfo.empty()) return given;
  const auto parsed = parse_conninfo(conninfo, what);
  for (const PQconninfoOption* option = parsed.get(); option->keyword != nullptr; ++option) {
    if (option->val != nullptr && *option->val != '\0') given.emplace_back(option->keyword);
  }
  return given;
}

}  // namespace pgkit::detail
