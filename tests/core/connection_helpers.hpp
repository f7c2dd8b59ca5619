// Helpers shared by the connection, error and transaction tests.
#pragma once

#include "support/scoped_env.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/sql.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace pgkit::testing {

// Runs `action`, which must throw exactly `Exact` (not a subclass of it), and checks that the same exception
// is also caught as `Base` (its PEP 249 category) with `sqlstate`. Returns what the server said.
template <class Exact, class Base, class Action>
Diagnostics expect_database_error(Action&& action, std::string_view sqlstate) {
  static_assert(std::is_base_of_v<Base, Exact> && std::is_base_of_v<DatabaseError, Base>);
  try {
    std::forward<Action>(action)();
  } catch (const Base& error) {
    EXPECT_TRUE(typeid(error) == typeid(Exact))
        << "expected " << typeid(Exact).name() << ", got " << typeid(error).name() << ": " << error.what();
    EXPECT_NE(dynamic_cast<const Exact*>(&error), nullptr);
    EXPECT_EQ(error.sqlstate(), sqlstate) << error.what();
    return error.diagnostics();
  } catch (const std::exception& other) {
    ADD_FAILURE() << "expected " << typeid(Exact).name() << ", got " << typeid(other).name() << ": " << other.what();
    return {};
  }
  ADD_FAILURE() << "expected " << typeid(Exact).name() << " but nothing was thrown";
  return {};
}

// Polls `condition` until it holds or `limit` passes. For waiting on another session's state, never as a
// timing assertion: the limit only keeps a broken test from hanging.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// True when backend `pid` is running a statement containing `fragment` (seen from `observer`).
inline bool backend_runs(Connection& observer, int pid, std::string_view fragment) {
  return observer.query_value<bool>(
      "SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1 AND state = 'active' "
      "AND strpos(query, $2) > 0)",
      pid, fragment);
}

// True when backend `pid` waits for a lock.
inline bool backend_waits_for_lock(Connection& observer, int pid) {
  return observer.query_value<bool>("SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $1 AND NOT granted)", pid);
}

// A name no other test process uses at the same time, for cluster-wide objects such as roles.
inline std::string unique_name(std::string_view prefix) {
  static std::atomic<int> counter{0};
  return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
}

// A role created on the test server for one test and dropped with this object.
class ScopedRole {
 public:
  explicit ScopedRole(std::string_view prefix) : name_(unique_name(prefix)) {
    Connection admin(server_conninfo());
    admin.exec(sql::SQL("CREATE ROLE {} NOLOGIN").format(sql::Identifier(name_)));
  }
  ScopedRole(const ScopedRole&) = delete;
  ScopedRole& operator=(const ScopedRole&) = delete;
  ~ScopedRole() {
    try {
      Connection admin(server_conninfo());
      admin.exec(sql::SQL("DROP ROLE IF EXISTS {}").format(sql::Identifier(name_)));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "cannot drop role " << name_ << ": " << e.what();
    }
  }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// Number of statements prepared on this session whose text is `statement`.
inline std::int64_t prepared_count(Connection& conn, std::string_view statement) {
  return conn.query_value<std::int64_t>("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1", statement);
}

}  // namespace pgkit::testing
