#include <pgkit/transaction.hpp>

#include "connection_impl.hpp"

#include <fmt/format.h>

namespace pgkit {
namespace {

std::string begin_statement(const TransactionOptions& options) {
  std::string sql = "BEGIN";
  switch (options.isolation) {
    case IsolationLevel::server_default: break;
    case IsolationLevel::read_committed: sql += " ISOLATION LEVEL READ COMMITTED"; break;
    case IsolationLevel::repeatable_read: sql += " ISOLATION LEVEL REPEATABLE READ"; break;
    case IsolationLevel::serializable: sql += " ISOLATION LEVEL SERIALIZABLE"; break;
  }
  if (options.read_only) sql += " READ ONLY";
  if (options.deferrable) sql += " DEFERRABLE";
  return sql;
}

bool is_default(const TransactionOptions& options) {
  return options.isolation == IsolationLevel::server_default && !options.read_only && !options.deferrable;
}

// Savepoint names are pgkit's own, one per nesting depth.
std::string savepoint_name(int depth) { return fmt::format("pgkit_savepoint_{}", depth); }

}  // namespace

Transaction::Transaction(Connection& connection, const TransactionOptions& options) : conn_(connection) {
  auto& impl = conn_.live();
  impl.check_usable();
  const bool outer_open = impl.transaction_depth > 0 || PQtransactionStatus(impl.conn) != PQTRANS_IDLE;
  if (outer_open && !is_default(options)) {
    throw InterfaceError("a nested transaction is a savepoint and cannot change isolation, read-only or deferrable");
  }
  depth_ = impl.transaction_depth + 1;
  if (!outer_open) {
    impl.command(begin_statement(options));
  } else {
    nested_in_foreign_ = impl.transaction_depth == 0;
    impl.command("SAVEPOINT " + savepoint_name(depth_));
  }
  impl.transaction_depth = depth_;
  active_ = true;
}

Transaction::~Transaction() {
  if (!active_) return;
  try {
    rollback();
  } catch (...) {  // the connection is gone or unusable; the server rolls back on its own then
    active_ = false;
  }
}

void Transaction::commit() {
  if (!active_) throw InterfaceError("the transaction is no longer active (committed or rolled back already)");
  auto& impl = conn_.live();
  // A lost connection resets the depth: report the loss, not a nesting mistake.
  impl.check_usable();
  if (impl.transaction_depth != depth_) {
    throw InterfaceError("transactions must end in the reverse order they began (an inner one is still open)");
  }
  active_ = false;
  impl.transaction_depth = depth_ - 1;
  if (is_savepoint()) {
    if (PQtransactionStatus(impl.conn) == PQTRANS_INERROR) {
      impl.command("ROLLBACK TO SAVEPOINT " + savepoint_name(depth_));
      auto diagnostics = std::make_shared<Diagnostics>();
      diagnostics->sqlstate = sqlstate::in_failed_sql_transaction;  // as for a failed top-level transaction
      diagnostics->message_primary = "an error inside the savepoint aborted it; it was rolled back instead of released";
      const std::string message = diagnostics->message_primary;
      throw InFailedSqlTransaction(message, std::move(diagnostics));
    }
    impl.command("RELEASE SAVEPOINT " + savepoint_name(depth_));
    return;
  }
  const Result result = impl.command("COMMIT");
  // COMMIT of an aborted transaction succeeds with the tag ROLLBACK: report it as the failure it is.
  if (result.command_tag() == "ROLLBACK") {
    auto diagnostics = std::make_shared<Diagnostics>();
    diagnostics->sqlstate = sqlstate::in_failed_sql_transaction;
    diagnostics->message_primary = "the transaction was aborted by an earlier error and has been rolled back";
    const std::string message = diagnostics->message_primary;  // before the move below
    throw InFailedSqlTransaction(message, std::move(diagnostics));
  }
}

void Transaction::rollback() {
  if (!active_) throw InterfaceError("the transaction is no longer active (committed or rolled back already)");
  auto& impl = conn_.live();
  active_ = false;
  if (impl.conn == nullptr || impl.broken) return;
  if (impl.transaction_depth != depth_) {
    throw InterfaceError("transactions must end in the reverse order they began (an inner one is still open)");
  }
  impl.transaction_depth = depth_ - 1;
  if (is_savepoint()) {
    impl.command(fmt::format("ROLLBACK TO SAVEPOINT {0}; RELEASE SAVEPOINT {0}", savepoint_name(depth_)));
  } else {
    impl.command("ROLLBACK");
  }
}

}  // namespace pgkit
