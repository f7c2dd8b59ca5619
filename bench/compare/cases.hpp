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
void register_sqlalchemy(Registry& registry);   // impls sqlalchemy (the seed's way) and sqlalchemy_selectin
void register_orm_sql(Registry& registry);      // impl pgkit_sql: the ORM cases in hand-written pgkit SQL
void register_orm_repository(Registry& registry);  // the ORM cases through pgkit::orm (impl pgkit)

// Runs `case_name` of a Python script (/usr/bin/python3 <script> <case> <count>, the conninfo on stdin)
// and returns the seconds it reports.
double run_python_case(const char* script_path, const std::string& case_name, const Workload& w);

// Creates the tables the cases use (idempotent); `rows` rows in bench_rows.
void prepare_fixtures(const std::string& conninfo, long rows);

// The rows the write cases send: the same values for every implementation, made before the timing.
struct SourceRow {
  int id = 0;
  std::string name;
  std::string price;  // exact decimal text; each implementation turns it into its own type untimed
  int qty = 0;
};
std::vector<SourceRow> source_rows(long count);

// Empties `table` (untimed, before a write case) and, after it, checks that it holds `rows` rows.
void truncate_table(const std::string& conninfo, const char* table);
void expect_rows(const std::string& conninfo, const char* table, long rows);

// The statements every implementation runs, so that they do the same work.
inline constexpr const char* select_one_sql = "SELECT 1";
inline constexpr const char* point_select_sql = "SELECT id, name, price, qty FROM bench_rows WHERE id = $1";
inline constexpr const char* fetch_sql = "SELECT id, name, price, qty FROM bench_rows LIMIT $1";
inline constexpr long fixture_rows = 200'000;
// Write cases: the same columns as bench_rows, no index, emptied before every run.
inline constexpr const char* insert_table = "bench_insert";
inline constexpr const char* insert_sql = "INSERT INTO bench_insert (id, name, price, qty) VALUES ($1, $2, $3, $4)";
inline constexpr const char* copy_table = "bench_copy";
// COPY out reads all of bench_rows: through this query (pgkit, raw libpq, psycopg2) or the table itself
// (libpqxx 6.4 streams whole tables only).
inline constexpr const char* copy_out_query = "SELECT id, name, price, qty FROM bench_rows";

// The ORM cases (orm_*): the seed's User and Post. prepare_fixtures fills bench_orm_users with users
// 1..orm_fixture_users, each with orm_posts_per_user posts; orm_insert adds users above them and
// removes them again (remove_new_orm_users), untimed.
inline constexpr long orm_fixture_users = 1'000;
inline constexpr long orm_posts_per_user = 10;
void remove_new_orm_users(const std::string& conninfo);

}  // namespace pgkit::bench
