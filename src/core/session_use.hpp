// What ran on a connection since whoever lends it (the pool) last looked: kept by the lender, filled in
// by the core for the connection it watches (detail::PoolAccess::watch).
#pragma once

#include "session_state.hpp"

#include <string_view>

namespace pgkit::detail {

struct SessionUse {
  bool used = false;               // a statement ran
  bool session_changed = false;    // one may have left session state (may_change_session)
  bool read_only_refused = false;  // one failed with 25006: the server is (now) read-only

  void note_statement(std::string_view sql) noexcept {
    used = true;
    if (!session_changed && may_change_session(sql)) session_changed = true;
  }
  // A statement whose effect on the session is known already (the statement cache worked it out).
  void note_statement(bool changes_session) noexcept {
    used = true;
    session_changed = session_changed || changes_session;
  }
  void note_failure(std::string_view sqlstate) noexcept {
    if (sqlstate == "25006") read_only_refused = true;
  }
};

}  // namespace pgkit::detail
