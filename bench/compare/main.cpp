// pgkit-compare: pgkit beside raw libpq, libpqxx and psycopg2, and pgkit::orm beside hand-written pgkit
// SQL and SQLAlchemy (orm_* cases), in one run against one server.
//
//   build/bench/pgkit-compare            a table
//   build/bench/pgkit-compare --json     one {"case": ..., "impl": ..., "ops_per_s": ...} per line
//
// The server is DATABASE_URL's, else a throwaway embedded cluster. Each case runs every implementation
// in turn, --repeat times, interleaved so that drift on the machine hits them alike; the best run counts.
#include <pgkit/embedded.hpp>

#include "cases.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <optional>

namespace {

using namespace pgkit::bench;

constexpr std::array<const char*, 7> implementation_order = {
    "pgkit", "libpq", "libpqxx", "psycopg2", "pgkit_sql", "sqlalchemy", "sqlalchemy_selectin"};

bool is_orm_case(const std::string& name) { return name.starts_with("orm_"); }

struct Measurement {
  std::string case_name;
  std::string impl;
  long count = 0;
  double ops_per_s = 0;  // 0: not run or failed
  std::string error;
};

std::string rate(double ops) {
  if (ops <= 0) return "-";
  return ops >= 1e6 ? fmt::format("{:.2f}M/s", ops / 1e6) : fmt::format("{:.0f}/s", ops);
}

std::string ratio(double a, double b) { return (a > 0 && b > 0) ? fmt::format("{:.2f}x", a / b) : "-"; }

bool wanted(const std::vector<std::string>& only, const std::string& name) {
  return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
}

void print_json(const std::vector<Measurement>& results) {
  for (const auto& m : results) {
    if (m.error.empty()) {
      fmt::print("{{\"case\": \"{}\", \"impl\": \"{}\", \"count\": {}, \"ops_per_s\": {:.1f}}}\n", m.case_name,
                 m.impl, m.count, m.ops_per_s);
    } else {
      fmt::print("{{\"case\": \"{}\", \"impl\": \"{}\", \"error\": \"{}\"}}\n", m.case_name, m.impl, m.error);
    }
  }
}

double rate_of(const std::vector<Measurement>& results, const std::string& case_name, const std::string& impl) {
  for (const auto& m : results) {
    if (m.case_name == case_name && m.impl == impl) return m.ops_per_s;
  }
  return 0.0;
}

void print_table(const std::vector<Measurement>& results, const std::vector<std::string>& only_cases, bool quick,
                 int repeat) {
  const auto cases = [&](bool orm) {
    std::vector<const Case*> chosen;
    for (const Case& c : all_cases()) {
      if (wanted(only_cases, c.name) && is_orm_case(c.name) == orm) chosen.push_back(&c);
    }
    return chosen;
  };
  if (const auto driver = cases(false); !driver.empty()) {
    fmt::print("{:<14} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n", "case", "count", "pgkit", "libpq",
               "libpqxx", "psycopg2", "pgkit/libpq", "pgkit/pqxx", "pgkit/py");
    for (const Case* c : driver) {
      const auto find = [&](const char* impl) { return rate_of(results, c->name, impl); };
      const double pg = find("pgkit");
      fmt::print("{:<14} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n", c->name,
                 quick ? c->quick_count : c->count, rate(pg), rate(find("libpq")), rate(find("libpqxx")),
                 rate(find("psycopg2")), ratio(pg, find("libpq")), ratio(pg, find("libpqxx")),
                 ratio(pg, find("psycopg2")));
    }
  }
  // pgkit here is pgkit::orm's repository; sqlalchemy the seed's way (lazy loading), _selectin with selectinload.
  if (const auto orm = cases(true); !orm.empty()) {
    fmt::print("{:<16} {:>8} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10}\n", "case", "count", "pgkit(orm)",
               "pgkit_sql", "sqlalchemy", "sa_selectin", "orm/sql", "orm/sa", "orm/sa_sel");
    for (const Case* c : orm) {
      const auto find = [&](const char* impl) { return rate_of(results, c->name, impl); };
      const double pg = find("pgkit");
      fmt::print("{:<16} {:>8} {:>12} {:>12} {:>12} {:>12} {:>10} {:>10} {:>10}\n", c->name,
                 quick ? c->quick_count : c->count, rate(pg), rate(find("pgkit_sql")), rate(find("sqlalchemy")),
                 rate(find("sqlalchemy_selectin")), ratio(pg, find("pgkit_sql")), ratio(pg, find("sqlalchemy")),
                 ratio(pg, find("sqlalchemy_selectin")));
    }
  }
  for (const auto& m : results) {
    if (!m.error.empty()) fmt::print("{} / {}: failed: {}\n", m.case_name, m.impl, m.error);
  }
  fmt::print("(operations per second, best of {} runs; counts are round trips, rows or objects)\n", repeat);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pgkit-compare: pgkit beside raw libpq, libpqxx and psycopg2 on the same server"};
  bool json = false;
  bool quick = false;
  int repeat = 0;
  std::vector<std::string> only_cases;
  std::vector<std::string> only_impls;
  app.add_flag("--json", json, "One JSON object per line instead of a table");
  app.add_flag("--quick", quick, "Small counts: checks that everything runs, measures little");
  app.add_option("--repeat", repeat, "Runs per case and implementation; the best counts (default 7, --quick 1)")
      ->check(CLI::Range(1, 100));
  app.add_option("--case", only_cases, "Only these cases");
  app.add_option("--impl", only_impls, "Only these implementations (pgkit, libpq, libpqxx, psycopg2, pgkit_sql, sqlalchemy, sqlalchemy_selectin)");
  CLI11_PARSE(app, argc, argv);
  if (repeat == 0) repeat = quick ? 1 : 7;

  try {
    const pgkit::embedded::ServerForThisRun server;
    const std::string& conninfo = server.conninfo();
    prepare_fixtures(conninfo, fixture_rows);

    Registry registry;
    register_pgkit(registry);
    register_libpq(registry);
    register_pqxx(registry);
    register_psycopg2(registry);
    register_orm_repository(registry);
    register_orm_sql(registry);
    register_sqlalchemy(registry);

    std::vector<Measurement> results;
    for (const Case& c : all_cases()) {
      if (!wanted(only_cases, c.name)) continue;
      const Workload workload{conninfo, quick ? c.quick_count : c.count};
      std::vector<Measurement> row;
      for (const auto& impl : implementation_order) {
        if (wanted(only_impls, impl) && registry[impl].contains(c.name)) row.push_back({c.name, impl, workload.count});
      }
      for (int run = 0; run < repeat; ++run) {
        for (auto& m : row) {
          if (!m.error.empty()) continue;
          std::cerr << fmt::format("\r{} {} run {}/{}   ", c.name, m.impl, run + 1, repeat) << std::flush;
          try {
            const double seconds = registry[m.impl][c.name](workload);
            m.ops_per_s = std::max(m.ops_per_s, static_cast<double>(workload.count) / seconds);
          } catch (const std::exception& e) {
            m.error = e.what();
            m.ops_per_s = 0;
          }
        }
      }
      results.insert(results.end(), row.begin(), row.end());
    }
    std::cerr << "\r" << std::string(60, ' ') << "\r";

    if (json) {
      print_json(results);
    } else {
      print_table(results, only_cases, quick, repeat);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "pgkit-compare: " << e.what() << '\n';
    return 1;
  }
}
