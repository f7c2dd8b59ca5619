// Connection: opening and closing, its state, the session it reports, and the entry points that
// forward to the statement machinery (statements.cpp, collect.cpp).
#include "connection_impl.hpp"

#include "conninfo.hpp"

#include <fmt/format.h>

namespace pgkit {

Connection::Impl::Impl(const ConnectOptions& options)
    : cache_options(options.statement_cache), cache(options.statement_cache.capacity), query_timeout(options.query_timeout) {
  if (query_timeout) detail::checked_timeout(*query_timeout);
  // A conninfo libpq would misread is refused before anything (DNS, the server) sees pieces of it.
  auto reading = detail::read_conninfo(options.conninfo);
  if (!reading.trusted()) {
    throw InterfaceError(fmt::format("the connection string is invalid {}: {}", detail::unparsable_conninfo,
                                     reading.problem));
  }
  auto& secrets = reading.secrets;
  if (!options.password.empty()) secrets.push_back(options.password);
  description = detail::describe_target(options, reading.options.get());
  const auto settings = detail::connect_settings(options, reading.options.get());
  std::vector<const char*> keywords;
  std::vector<const char*> values;
  for (const auto& [keyword, value] : settings) {
    keywords.push_back(keyword.c_str());
    values.push_back(value.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);

  conn = PQconnectdbParams(keywords.data(), values.data(), 1);
  if (conn == nullptr) throw std::bad_alloc();
  if (PQstatus(conn) != CONNECTION_OK) {
    auto diagnostics = std::make_shared<Diagnostics>();
    diagnostics->sqlstate = sqlstate::sqlclient_unable_to_establish_sqlconnection;
    diagnostics->message_primary = detail::redact(PQerrorMessage(conn), secrets);
    PQfinish(conn);
    conn = nullptr;
    if (diagnostics->message_primary.find("invalid connection option") != std::string::npos ||
        diagnostics->message_primary.find("invalid URI") != std::string::npos) {
      throw InterfaceError("invalid connection parameters: " + detail::redact(diagnostics->message_primary, secrets, true));
    }
    // The message first: the order in which arguments are evaluated is unspecified.
    const std::string message = fmt::format("cannot connect to {}: {}", description, diagnostics->message_primary);
    throw ConnectionFailure(message, std::move(diagnostics));
  }
  description = fmt::format("host={} port={} dbname={} user={}", PQhost(conn), PQport(conn), PQdb(conn), PQuser(conn));
  require_utf8_client_encoding();
  PQsetNoticeReceiver(conn, &detail::notice_receiver, this);
}

// pgkit's strings are UTF-8 (std::string in, std::string out): any other client_encoding would have the
// server store them converted from, say, LATIN1 (é as Ã©). pgkit asks for UTF8 unless told otherwise;
// a setting from PGCLIENTENCODING, the conninfo or `parameters` that says otherwise is refused.
void Connection::Impl::require_utf8_client_encoding() {
  const char* encoding = PQparameterStatus(conn, "client_encoding");
  if (encoding != nullptr && std::string_view(encoding) == "UTF8") {
    utf8_encoding = PQclientEncoding(conn);
    return;
  }
  const std::string name = encoding != nullptr ? encoding : "not reported";
  PQfinish(conn);
  conn = nullptr;
  throw InterfaceError(fmt::format("client_encoding is {} (set by PGCLIENTENCODING, the conninfo or "
                                   "ConnectOptions::parameters); pgkit reads and writes UTF-8 only and would store "
                                   "text corrupted: remove that setting or set client_encoding=UTF8",
                                   name));
}

namespace detail {

std::string owned_message(Owner owner) {
  switch (owner) {
    case Owner::none: break;
    case Owner::row_stream: return "a RowStream is reading from this connection; finish or destroy it first";
    case Owner::pipeline: return "a Pipeline owns this connection; finish or destroy it first";
    case Owner::execute_many: return "an execute_many() batch owns this connection; let it finish first";
    case Owner::copy_in:
      return "a COPY ... FROM STDIN (CopyWriter, copy_in) owns this connection; finish or destroy it first";
    case Owner::copy_out:
      return "a COPY ... TO STDOUT (CopyRows, copy_out) owns this connection; finish reading it or destroy it first";
  }
  return "the connection is free";
}

OwnerToken::OwnerToken(Connection::Impl& impl, Owner owner) : impl_(&impl) {
  impl.check_usable();
  impl.owner = owner;
}

void OwnerToken::release() noexcept {
  if (impl_ != nullptr) std::exchange(impl_, nullptr)->owner = Owner::none;
}

}  // namespace detail

Connection::Impl::~Impl() {
  {
    const std::lock_guard lock(cancel_state->mutex);
    cancel_state->cancel.reset();
  }
  if (conn != nullptr) PQfinish(conn);
}

void Connection::Impl::check_usable() const {
  // Lost first: pgkit closes a connection it gave up on (a server that ignored a cancel), and that is
  // a loss to report, not a close the caller asked for.
  if (broken) {
    throw ConnectionLost(
        fmt::format("the connection to {} was lost ({}); open a new one", description, broken_reason));
  }
  if (conn == nullptr) throw InterfaceError("the connection is closed");
  if (owner != detail::Owner::none) throw InterfaceError(detail::owned_message(owner));
}

void Connection::Impl::mark_broken(std::string reason) {
  if (broken) return;
  broken = true;
  broken_reason = std::move(reason);
  transaction_depth = 0;
}

void Connection::Impl::throw_send_failure(std::string_view what) {
  auto diagnostics = detail::diagnostics_of(nullptr, conn);
  if (PQstatus(conn) == CONNECTION_BAD) {
    mark_broken(diagnostics->message_primary);
    const std::string message = fmt::format("{}: connection lost: {}", what, diagnostics->message_primary);
    throw ConnectionLost(message, std::move(diagnostics));
  }
  throw InterfaceError(fmt::format("{}: {}", what, diagnostics->message_primary));
}

// ---------------------------------------------------------------------------------------------------

Connection::Connection(std::string_view conninfo) : Connection(ConnectOptions{.conninfo = std::string(conninfo)}) {}
Connection::Connection(const ConnectOptions& options) : impl_(std::make_unique<Impl>(options)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

void Connection::run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor) {
  live().run(sql, params, std::nullopt, &visitor);
}
Result Connection::run(std::string_view sql, const Params& params) { return live().run(sql, params, std::nullopt); }

Result Connection::run_prepared(const PreparedStatement& statement, const Params& params) {
  return live().run_prepared(statement, params, std::nullopt);
}
Params& Connection::scratch_params() { return live().scratch; }

void TimedConnection::run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor) {
  conn_.live().run(sql, params, detail::checked_timeout(timeout_), &visitor);
}
Result TimedConnection::run(std::string_view sql, const Params& params) {
  return conn_.live().run(sql, params, detail::checked_timeout(timeout_));
}

Result TimedConnection::run_prepared(const PreparedStatement& statement, const Params& params) {
  return conn_.live().run_prepared(statement, params, detail::checked_timeout(timeout_));
}
Params& TimedConnection::scratch_params() { return conn_.live().scratch; }

Result Connection::execute_script(std::string_view sql) { return live().command(sql); }

int Connection::server_version() const { return live().conn != nullptr ? PQserverVersion(live().conn) : 0; }

std::optional<std::string> Connection::parameter_status(std::string_view name) const {
  if (live().conn == nullptr) return std::nullopt;
  const char* value = PQparameterStatus(live().conn, std::string(name).c_str());
  return value != nullptr ? std::optional<std::string>(value) : std::nullopt;
}

std::string Connection::database() const { return live().conn != nullptr ? PQdb(live().conn) : ""; }
std::string Connection::user() const { return live().conn != nullptr ? PQuser(live().conn) : ""; }
std::string Connection::host() const { return live().conn != nullptr ? PQhost(live().conn) : ""; }
int Connection::backend_pid() const { return live().conn != nullptr ? PQbackendPID(live().conn) : 0; }

TransactionStatus Connection::transaction_status() const {
  if (live().conn == nullptr || live().broken) return TransactionStatus::unknown;
  switch (PQtransactionStatus(live().conn)) {
    case PQTRANS_IDLE: return TransactionStatus::idle;
    case PQTRANS_ACTIVE: return TransactionStatus::active;
    case PQTRANS_INTRANS: return TransactionStatus::in_transaction;
    case PQTRANS_INERROR: return TransactionStatus::in_error;
    default: return TransactionStatus::unknown;
  }
}

bool Connection::is_open() const noexcept {
  return impl_ && impl_->conn != nullptr && !impl_->broken && PQstatus(impl_->conn) == CONNECTION_OK;
}

std::string Connection::describe() const { return live().description; }
std::uint64_t Connection::statements_sent() const { return live().statements_sent; }

int Connection::transaction_depth() const noexcept { return live().transaction_depth; }

void Connection::close() noexcept {
  if (!impl_ || live().conn == nullptr) return;
  {
    const std::lock_guard lock(live().cancel_state->mutex);
    live().cancel_state->cancel.reset();
  }
  PQfinish(live().conn);
  live().conn = nullptr;
}

pg_conn* Connection::native_handle() const noexcept { return impl_ ? impl_->conn : nullptr; }

Connection::Impl& Connection::live() const {
  if (!impl_) throw InterfaceError("this Connection was moved from; use the one it was moved to");
  return *impl_;
}

}  // namespace pgkit
