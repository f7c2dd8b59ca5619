#include <pgkit/connection.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>

#include <stdexcept>

#include "cases.hpp"

namespace pgkit::bench {

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = {
      {"select1", "SELECT 1 round trips", 20'000, 2'000},
      {"point_select", "parameterised point selects by primary key", 20'000, 2'000},
      {"fetch_decode", "rows of (int, text, numeric, int) fetched and decoded", fixture_rows, 20'000},
      {"insert_many", "rows inserted one statement each, all in one transaction", 10'000, 1'000},
      {"copy_in", "rows loaded with COPY", fixture_rows, 20'000},
      // libpqxx 6.4 streams whole tables only, so every implementation reads all of bench_rows, --quick too.
      {"copy_out", "rows read with COPY and decoded", fixture_rows, fixture_rows},
  };
  return cases;
}

void prepare_fixtures(const std::string& conninfo, long rows) {
  Connection conn(conninfo);
  conn.execute_script(
      "CREATE TABLE IF NOT EXISTS bench_rows (id int PRIMARY KEY, name text NOT NULL, price numeric(12,2) NOT NULL, "
      "qty int NOT NULL)");
  for (const char* table : {insert_table, copy_table}) {
    conn.exec(sql::SQL("CREATE TABLE IF NOT EXISTS {} (id int NOT NULL, name text NOT NULL, price numeric(12,2) NOT NULL, "
                       "qty int NOT NULL)")
                  .format(sql::Identifier(table)));
  }
  if (conn.query_value<long>("SELECT count(*) FROM bench_rows") == rows) return;
  conn.execute_script("TRUNCATE bench_rows");
  conn.exec(
      "INSERT INTO bench_rows SELECT i, 'product ' || i, (i % 100000) * 1.25, i % 1000 "
      "FROM generate_series(1, $1) AS i",
      rows);
  conn.execute_script("VACUUM ANALYZE bench_rows");
}

std::vector<SourceRow> source_rows(long count) {
  std::vector<SourceRow> rows;
  rows.reserve(static_cast<std::size_t>(count));
  for (long i = 1; i <= count; ++i) {
    rows.push_back({static_cast<int>(i), fmt::format("product {}", i), fmt::format("{}.{:02}", i % 100000, i % 100),
                    static_cast<int>(i % 1000)});
  }
  return rows;
}

void truncate_table(const std::string& conninfo, const char* table) {
  Connection conn(conninfo);
  conn.exec(sql::SQL("TRUNCATE {}").format(sql::Identifier(table)));
}

void expect_rows(const std::string& conninfo, const char* table, long rows) {
  Connection conn(conninfo);
  const auto found = conn.query_value<long>(sql::SQL("SELECT count(*) FROM {}").format(sql::Identifier(table)));
  if (found != rows) throw std::runtime_error(fmt::format("{} holds {} rows, expected {}", table, found, rows));
}

}  // namespace pgkit::bench
