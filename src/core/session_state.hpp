// Which statements may leave state in a session that outlives their transaction, so that a pool knows
// when a connection must be reset before it is lent again.
#pragma once

#include <string_view>

namespace pgkit::detail {

// True when `sql` may change session state: SET (not SET LOCAL), RESET, set_config(), SET ROLE / SESSION
// AUTHORIZATION, LISTEN, DECLARE (cursors), PREPARE, CREATE TEMP, DISCARD, LOAD, session advisory
// locks, and DO / CALL (whose bodies cannot be seen). Conservative: it may say yes for a statement that
// changes nothing (e.g. a string literal containing "set_config"), never no for one of those forms
// written in the statement itself. A function that changes settings internally is not seen: pools that
// must be proof against that reset every connection (PoolOptions::reset).
bool may_change_session(std::string_view sql) noexcept;

}  // namespace pgkit::detail
