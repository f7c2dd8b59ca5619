// The pagila sample database (../shared/datasets/pagila beside the source tree, the folder passed from
// CMake as PGKIT_PAGILA_DIR) loaded into a test database, for tests against a real, foreign schema.
//
//   class Films : public pgkit::testing::PagilaTest {};
//   TEST_F(Films, ...) { auto conn = connect(); ... }   // skipped, saying why, when pagila is absent
#pragma once

#include "support/test_server.hpp"

#include <pgkit/connection.hpp>

#include <filesystem>
#include <string>

namespace pgkit::testing {

// The pagila folder; empty when it (or one of its two files) is missing.
std::filesystem::path pagila_dir();

// Why pagila cannot be loaded (for GTEST_SKIP), empty when it can.
std::string pagila_missing_reason();

// Loads pagila-schema.sql and every table's data from pagila-data.sql (COPY ... FROM stdin blocks go
// through pgkit's raw COPY) into the empty database `conn` is connected to. Ownership statements
// (ALTER ... OWNER TO postgres) are left out: the role need not exist. The data goes in with
// session_replication_role = replica, as pg_dump --disable-triggers would (store and staff refer to
// each other), so the role must be a superuser. Throws pgkit errors as they come.
void load_pagila(Connection& conn, const std::filesystem::path& dir);

// A suite with its own database holding pagila, loaded once for the suite. Each test is skipped, with
// the reason, when the dataset is absent.
class PagilaTest : public DatabaseTest {
 public:
  static void SetUpTestSuite();

 protected:
  void SetUp() override;
};

}  // namespace pgkit::testing
