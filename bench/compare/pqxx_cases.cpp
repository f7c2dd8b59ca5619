// libpqxx 6.4 (Debian's), used as its documentation shows.
#include "cases.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <string>
#include <vector>

namespace pgkit::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Item {
  int id = 0;
  std::string name;
  std::string price;  // libpqxx has no decimal type: numeric as text
  int qty = 0;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double select_one(const Workload& w) {
  pqxx::connection conn(w.conninfo);
  conn.prepare("one", select_one_sql);
  pqxx::nontransaction tx(conn);
  long sum = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) sum += tx.exec_prepared1("one")[0].as<int>();
  const double elapsed = seconds_since(start);
  if (sum != w.count) throw std::runtime_error("wrong sum");
  return elapsed;
}

double point_select(const Workload& w) {
  pqxx::connection conn(w.conninfo);
  conn.prepare("point", point_select_sql);
  pqxx::nontransaction tx(conn);
  long sum = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) {
    const pqxx::row row = tx.exec_prepared1("point", static_cast<int>(i % fixture_rows + 1));
    const Item item{row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<int>()};
    sum += item.qty;
  }
  const double elapsed = seconds_since(start);
  if (sum < 0) throw std::runtime_error("wrong sum");
  return elapsed;
}

double fetch_decode(const Workload& w) {
  pqxx::connection conn(w.conninfo);
  conn.prepare("fetch", fetch_sql);
  pqxx::nontransaction tx(conn);
  const auto start = Clock::now();
  const pqxx::result result = tx.exec_prepared("fetch", w.count);
  std::vector<Item> items;
  items.reserve(result.size());
  for (const auto& row : result) {
    items.push_back({row[0].as<int>(), row[1].as<std::string>(), row[2].as<std::string>(), row[3].as<int>()});
  }
  const double elapsed = seconds_since(start);
  if (static_cast<long>(items.size()) != w.count) throw std::runtime_error("wrong row count");
  return elapsed;
}

}  // namespace

void register_pqxx(Registry& registry) {
  auto& cases = registry["libpqxx"];
  cases["select1"] = select_one;
  cases["point_select"] = point_select;
  cases["fetch_decode"] = fetch_decode;
}

}  // namespace pgkit::bench
