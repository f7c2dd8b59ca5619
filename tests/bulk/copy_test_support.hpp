// Helpers shared by the COPY tests (copy_*_test.cpp).
#pragma once

#include "core/connection_helpers.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/sql.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

namespace pgkit::copy_test {

// Rows in `table` (a plain name created by the test), seen through a normal query.
inline std::int64_t count_rows(Connection& conn, std::string_view table) {
  return conn.query_value<std::int64_t>(sql::SQL("SELECT count(*) FROM {}").format(sql::Identifier(table)).str());
}

// The connection answers a normal query, outside any transaction: nothing of the COPY is left on it.
inline void expect_usable(Connection& conn) {
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.transaction_status(), TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 40 + 2"), 42);
}

// Runs `action`, which must throw E; returns its message (empty, after a failure, when it did not throw).
template <class E, class Action>
std::string message_of(Action&& action) {
  try {
    std::forward<Action>(action)();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "expected " << typeid(E).name() << ", got " << typeid(other).name() << ": " << other.what();
    return {};
  }
  ADD_FAILURE() << "expected " << typeid(E).name() << " but nothing was thrown";
  return {};
}

using pgkit::testing::eventually;

// True when backend `pid` is inside pg_sleep() (seen from `observer`).
inline bool backend_sleeps(Connection& observer, int pid) {
  return observer.query_value<bool>(
      "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1 AND wait_event = 'PgSleep')", pid);
}

}  // namespace pgkit::copy_test
