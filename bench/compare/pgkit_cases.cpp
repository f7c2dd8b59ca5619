#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/pipeline.hpp>

#include "cases.hpp"

#include <boost/describe/class.hpp>

#include <chrono>
#include <stdexcept>
#include <tuple>

namespace pgkit::bench {
namespace {

struct Item {
  int id = 0;
  std::string name;
  Decimal price;
  int qty = 0;
};
BOOST_DESCRIBE_STRUCT(Item, (), (id, name, price, qty))

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double select_one(const Workload& w) {
  Connection conn(w.conninfo);
  long sum = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) sum += conn.query_value<int>(select_one_sql);
  const double elapsed = seconds_since(start);
  if (sum != w.count) throw std::runtime_error("wrong sum");
  return elapsed;
}

double point_select(const Workload& w) {
  Connection conn(w.conninfo);
  long sum = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) {
    const Item item = conn.query_one<Item>(point_select_sql, static_cast<int>(i % fixture_rows + 1));
    sum += item.qty;
  }
  const double elapsed = seconds_since(start);
  if (sum < 0) throw std::runtime_error("wrong sum");
  return elapsed;
}

double fetch_decode(const Workload& w) {
  Connection conn(w.conninfo);
  const auto start = Clock::now();
  const std::vector<Item> items = conn.query<Item>(fetch_sql, w.count);
  const double elapsed = seconds_since(start);
  if (static_cast<long>(items.size()) != w.count) throw std::runtime_error("wrong row count");
  return elapsed;
}

using Tuple = std::tuple<int, std::string, Decimal, int>;

std::vector<Tuple> typed_rows(long count) {
  std::vector<Tuple> rows;
  for (auto& row : source_rows(count)) rows.emplace_back(row.id, std::move(row.name), Decimal(row.price), row.qty);
  return rows;
}

double insert_many(const Workload& w) {
  const auto rows = typed_rows(w.count);
  truncate_table(w.conninfo, insert_table);
  Connection conn(w.conninfo);
  const auto start = Clock::now();
  const auto inserted = execute_many(conn, insert_sql, rows);
  const double elapsed = seconds_since(start);
  if (inserted != w.count) throw std::runtime_error("wrong affected-row count");
  expect_rows(w.conninfo, insert_table, w.count);
  return elapsed;
}

double copy_in(const Workload& w) {
  const auto rows = typed_rows(w.count);
  truncate_table(w.conninfo, copy_table);
  Connection conn(w.conninfo);
  const auto start = Clock::now();
  const auto copied = pgkit::copy_in(conn, copy_table, {"id", "name", "price", "qty"}, rows);
  const double elapsed = seconds_since(start);
  if (copied != w.count) throw std::runtime_error("wrong copied-row count");
  expect_rows(w.conninfo, copy_table, w.count);
  return elapsed;
}

double copy_out(const Workload& w) {
  Connection conn(w.conninfo);
  const auto start = Clock::now();
  std::vector<Item> items;
  pgkit::copy_out<Item>(conn, copy_out_query, [&](const Item& item) { items.push_back(item); });
  const double elapsed = seconds_since(start);
  if (static_cast<long>(items.size()) != w.count) throw std::runtime_error("wrong row count");
  return elapsed;
}

}  // namespace

void register_pgkit(Registry& registry) {
  auto& cases = registry["pgkit"];
  cases["select1"] = select_one;
  cases["point_select"] = point_select;
  cases["fetch_decode"] = fetch_decode;
  cases["insert_many"] = insert_many;
  cases["copy_in"] = copy_in;
  cases["copy_out"] = copy_out;
}

}  // namespace pgkit::bench
