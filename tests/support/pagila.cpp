#include "support/pagila.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/transaction.hpp>

#include <fmt/format.h>

#include <fstream>
#include <sstream>
#include <string_view>

namespace pgkit::testing {
namespace {

std::filesystem::path configured_dir() {
#ifdef PGKIT_PAGILA_DIR
  return PGKIT_PAGILA_DIR;
#else
  return {};
#endif
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// pg_dump's single-line "ALTER ... OWNER TO role;" statements name a role the test server may lack.
bool is_ownership_statement(std::string_view line) {
  return line.starts_with("ALTER ") && line.find(" OWNER TO ") != std::string_view::npos;
}

std::string schema_script(const std::filesystem::path& dir) {
  std::istringstream in(read_file(dir / "pagila-schema.sql"));
  std::string script;
  for (std::string line; std::getline(in, line);) {
    if (!is_ownership_statement(line)) script += line + '\n';
  }
  return script;
}

// Runs the data file: SQL between COPY blocks as scripts, each COPY block through copy_in_raw.
void load_data(Connection& conn, const std::filesystem::path& dir) {
  std::istringstream in(read_file(dir / "pagila-data.sql"));
  std::string script;
  const auto flush = [&] {
    if (script.find_first_not_of(" \n") != std::string::npos) conn.execute_script(script);
    script.clear();
  };
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("COPY ")) {
      if (!line.starts_with("--")) script += line + '\n';
      continue;
    }
    flush();
    std::string rows;
    for (std::string row; std::getline(in, row) && row != "\\.";) rows += row + '\n';
    std::istringstream data(rows);
    copy_in_raw(conn, line, data);
  }
  flush();
}

}  // namespace

std::filesystem::path pagila_dir() {
  const auto dir = configured_dir();
  if (dir.empty()) return {};
  std::error_code error;
  const bool present = std::filesystem::is_regular_file(dir / "pagila-schema.sql", error) &&
                       std::filesystem::is_regular_file(dir / "pagila-data.sql", error);
  return present ? dir : std::filesystem::path();
}

std::string pagila_missing_reason() {
  if (!pagila_dir().empty()) return {};
  const auto dir = configured_dir();
  if (dir.empty()) return "pagila: PGKIT_PAGILA_DIR was not set when the tests were built";
  return fmt::format("pagila dataset not found: {} must hold pagila-schema.sql and pagila-data.sql",
                     dir.string());
}

void load_pagila(Connection& conn, const std::filesystem::path& dir) {
  conn.execute_script(schema_script(dir));
  Transaction tx(conn);
  conn.exec("SET LOCAL session_replication_role = replica");
  load_data(conn, dir);
  tx.commit();
}

void PagilaTest::SetUpTestSuite() {
  DatabaseTest::SetUpTestSuite();
  if (pagila_dir().empty()) return;
  Connection conn(database_url());
  load_pagila(conn, pagila_dir());
}

void PagilaTest::SetUp() {
  if (const auto reason = pagila_missing_reason(); !reason.empty()) GTEST_SKIP() << reason;
}

}  // namespace pgkit::testing
