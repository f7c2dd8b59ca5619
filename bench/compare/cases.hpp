// The comparison's cases: each names a workload that every implementation (pgkit, raw libpq, libpqxx,
// psycopg2) runs against the same server, timing only the work itself.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pgkit::bench {

struct Workload {
  std::string conninfo;  // never printed, never on a command line
  long count = 0;        // operations (round trips, rows) to do
};

// Runs the workload once and returns the seconds the timed part took.
using Runner = std::function<double(const Workload&)>;

struct Case {
  std::string name;
  std::string description;
  long count = 0;        // full-size count
  long quick_count = 0;  // --quick
};

// The cases, in the order they are printed.
const std::vector<Case>& all_cases();

// Implementation name -> case name -> runner.
using Registry = std::map<std::string, std::map<std::string, Runner>>;

void register_pgkit(Registry& registry);
void register_libpq(Registry& registry);
void register_pqxx(Registry& registry);
void register_psycopg2(Registry& registry);

// Creates the tables the cases read (idempotent); `rows` rows in bench_rows.
void prepare_fixtures(const std::string& conninfo, long rows);

// The statements every implementation runs, so that they do the same work.
inline constexpr const char* select_one_sql = "SELECT 1";
inline constexpr const char* point_select_sql = "SELECT id, name, price, qty FROM bench_rows WHERE id = $1";
inline constexpr const char* fetch_sql = "SELECT id, name, price, qty FROM bench_rows LIMIT $1";
inline constexpr long fixture_rows = 200'000;

}  // namespace pgkit::bench
