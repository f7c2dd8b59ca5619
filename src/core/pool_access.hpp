// The pool's seam into a connection (a call gate, as libpqxx has them): only PoolCore may use it, and
// it offers what a pool needs and nothing of the connection's insides. No libpq here.
#pragma once

#include <pgkit/connection.hpp>

#include "session_use.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit::detail {

class PoolAccess {
  friend class PoolCore;

  // From now on, what runs on `conn` is noted in `use` (which must outlive the connection's use).
  static void watch(Connection& conn, SessionUse* use) noexcept;
  // Whether a RowStream, Pipeline or COPY still holds the connection.
  [[nodiscard]] static bool held(const Connection& conn) noexcept;
  // Looks at the socket of an idle connection without a round trip; false (and the connection marked
  // lost) when the server closed it. A notification or notice waiting there is fine.
  [[nodiscard]] static bool socket_alive(Connection& conn) noexcept;
  // Runs one of the pool's own statements (ROLLBACK, the reset, the keepalive) within `timeout`;
  // it is not noted as the borrower's use.
  static void housekeeping(Connection& conn, std::string_view sql, std::chrono::milliseconds timeout);
  // A setting the server reports (ParameterStatus); null when it does not report it.
  [[nodiscard]] static const char* reported_setting(const Connection& conn, const char* name) noexcept;
};

// The keywords a conninfo sets (the core reads conninfos: conninfo.hpp); throws InterfaceError naming
// `what` when it cannot be read with confidence.
std::vector<std::string> conninfo_keywords(std::string_view conninfo, std::string_view what);

}  // namespace pgkit::detail
