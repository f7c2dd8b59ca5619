// libpqxx 6.4 (Debian's), used as its documentation shows.
#include "cases.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <string>
#include <tuple>
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

// libpqxx 6.4 has no pipeline for prepared statements (pqxx::pipeline takes plain query strings): a
// prepared statement per row, all in one transaction.
double insert_many(const Workload& w) {
  const auto rows = source_rows(w.count);
  truncate_table(w.conninfo, insert_table);
  pqxx::connection conn(w.conninfo);
  const auto start = Clock::now();
  conn.prepare("insert", insert_sql);
  pqxx::work tx(conn);
  long affected = 0;
  for (const SourceRow& row : rows) {
    affected += tx.exec_prepared("insert", row.id, row.name, row.price, row.qty).affected_rows();
  }
  tx.commit();
  const double elapsed = seconds_since(start);
  if (affected != w.count) throw std::runtime_error("wrong affected-row count");
  expect_rows(w.conninfo, insert_table, w.count);
  return elapsed;
}

double copy_in(const Workload& w) {
  const auto rows = source_rows(w.count);
  truncate_table(w.conninfo, copy_table);
  pqxx::connection conn(w.conninfo);
  const auto start = Clock::now();
  pqxx::work tx(conn);
  pqxx::stream_to stream(tx, copy_table, std::vector<std::string>{"id", "name", "price", "qty"});
  for (const SourceRow& row : rows) stream << std::make_tuple(row.id, row.name, row.price, row.qty);
  stream.complete();
  tx.commit();
  const double elapsed = seconds_since(start);
  expect_rows(w.conninfo, copy_table, w.count);
  return elapsed;
}

double copy_out(const Workload& w) {
  pqxx::connection conn(w.conninfo);
  const auto start = Clock::now();
  pqxx::work tx(conn);
  // bench_rows' columns are (id, name, price, qty); libpqxx 6.4.5's stream_from fails with "Too few fields"
  // when given a column list, so the whole table is streamed.
  pqxx::stream_from stream(tx, "bench_rows");
  std::vector<Item> items;
  std::tuple<int, std::string, std::string, int> row;
  while (stream >> row) items.push_back({std::get<0>(row), std::get<1>(row), std::get<2>(row), std::get<3>(row)});
  stream.complete();
  tx.commit();
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
  cases["insert_many"] = insert_many;
  cases["copy_in"] = copy_in;
  cases["copy_out"] = copy_out;
}

}  // namespace pgkit::bench
