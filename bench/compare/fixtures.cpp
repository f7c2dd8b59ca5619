#include <pgkit/connection.hpp>

#include "cases.hpp"

namespace pgkit::bench {

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = {
      {"select1", "SELECT 1 round trips", 20'000, 2'000},
      {"point_select", "parameterised point selects by primary key", 20'000, 2'000},
      {"fetch_decode", "rows of (int, text, numeric, int) fetched and decoded", fixture_rows, 20'000},
  };
  return cases;
}

void prepare_fixtures(const std::string& conninfo, long rows) {
  Connection conn(conninfo);
  conn.execute_script(
      "CREATE TABLE IF NOT EXISTS bench_rows (id int PRIMARY KEY, name text NOT NULL, price numeric(12,2) NOT NULL, "
      "qty int NOT NULL)");
  if (conn.query_value<long>("SELECT count(*) FROM bench_rows") == rows) return;
  conn.execute_script("TRUNCATE bench_rows");
  conn.exec(
      "INSERT INTO bench_rows SELECT i, 'product ' || i, (i % 100000) * 1.25, i % 1000 "
      "FROM generate_series(1, $1) AS i",
      rows);
  conn.execute_script("VACUUM ANALYZE bench_rows");
}

}  // namespace pgkit::bench
