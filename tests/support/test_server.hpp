// The PostgreSQL server tests run against, and a fixture giving each test suite a fresh database.
//
// Where the server comes from, first match wins:
//   1. PGKIT_TEST_DATABASE_URL or DATABASE_URL: an existing server (the role must be allowed CREATE DATABASE);
//   2. PGKIT_TEST_CLUSTER_HOME: the cluster ctest's fixture started for this run (tests/CMakeLists.txt);
//   3. otherwise a throwaway embedded cluster started on first use and removed when the binary exits,
//      so a test binary also runs on its own.
#pragma once

#include <pgkit/connection.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace pgkit::testing {

// conninfo of the test server's maintenance database (`postgres`), as a superuser.
const std::string& server_conninfo();

// conninfo for `database` on the test server.
std::string conninfo_for(std::string_view database);

// Creates an empty database with a unique name derived from `hint`; returns its name.
std::string create_database(std::string_view hint);
void drop_database(std::string_view name);

class DatabaseTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  // conninfo of this suite's own, fresh database.
  static const std::string& database_url();
  static const std::string& database_name();
  // A new connection to this suite's database.
  static pgkit::Connection connect() { return pgkit::Connection(database_url()); }
};

}  // namespace pgkit::testing
