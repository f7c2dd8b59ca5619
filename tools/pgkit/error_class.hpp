// A short, stable name for an error's class ("PoolTimeout", "ConnectionLost", "unique_violation"),
// for the CLI's counts of errors by class.
#pragma once

#include <pgkit/pool.hpp>

#include <exception>
#include <string>

namespace pgkit::cli {

inline std::string error_class(const std::exception& e) {
  if (dynamic_cast<const TooManyWaiters*>(&e) != nullptr) return "TooManyWaiters";
  if (dynamic_cast<const PoolTimeout*>(&e) != nullptr) return "PoolTimeout";
  if (dynamic_cast<const PoolClosed*>(&e) != nullptr) return "PoolClosed";
  if (dynamic_cast<const AdminShutdown*>(&e) != nullptr) return "AdminShutdown";
  if (dynamic_cast<const CrashShutdown*>(&e) != nullptr) return "CrashShutdown";
  if (dynamic_cast<const OutcomeUnknown*>(&e) != nullptr) return "OutcomeUnknown";
  if (dynamic_cast<const ConnectionLost*>(&e) != nullptr) return "ConnectionLost";
  if (dynamic_cast<const CannotConnectNow*>(&e) != nullptr) return "CannotConnectNow";
  if (dynamic_cast<const ConnectionFailure*>(&e) != nullptr) return "ConnectionFailure";
  if (dynamic_cast<const QueryCanceled*>(&e) != nullptr) return "QueryCanceled";
  if (const auto* db = dynamic_cast<const DatabaseError*>(&e)) {
    const auto name = sqlstate_condition_name(db->diagnostics().sqlstate);
    if (!name.empty()) return std::string(name);
    return "DatabaseError";
  }
  if (dynamic_cast<const InterfaceError*>(&e) != nullptr) return "InterfaceError";
  return "other";
}

}  // namespace pgkit::cli
