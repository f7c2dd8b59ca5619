// Throughput: the seed loads rows one INSERT per round trip; pgkit loads them with COPY and with
// pipelined execute_many, and says how fast each went.
#include "demo.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/pipeline.hpp>

#include <boost/describe/class.hpp>

#include <chrono>
#include <string>
#include <tuple>
#include <vector>

namespace pgkit::cli::demo {
namespace {

struct NewProduct {
  std::string name;
  Decimal price;
  int stock = 0;
};
BOOST_DESCRIBE_STRUCT(NewProduct, (), (name, price, stock))

std::vector<NewProduct> catalogue(int first, int count) {
  std::vector<NewProduct> products;
  products.reserve(static_cast<std::size_t>(count));
  for (int i = first; i < first + count; ++i) {
    products.push_back({fmt::format("Bulk item {}", i), Decimal(fmt::format("{}.{:02}", 1 + i % 500, i % 100)), i % 50});
  }
  return products;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

void bulk_loading(Connection& conn) {
  heading("Bulk loading: COPY and pipelined execute_many");
  const long before = conn.query_value<long>("SELECT count(*) FROM products");

  const auto copied_rows = catalogue(1, 100'000);
  auto start = std::chrono::steady_clock::now();
  // Described structs: the columns are the members' names.
  const auto copied = copy_in(conn, "products", copied_rows);
  double seconds = seconds_since(start);
  say("COPY: {} products in {:.3f} s ({:.0f} rows/s)", copied, seconds, static_cast<double>(copied) / seconds);

  const auto inserted_rows = catalogue(100'001, 10'000);
  start = std::chrono::steady_clock::now();
  const auto inserted = execute_many(conn, "INSERT INTO products (name, price, stock) VALUES ($1, $2, $3)",
                                     inserted_rows);
  seconds = seconds_since(start);
  say("execute_many: {} products in {:.3f} s ({:.0f} rows/s), all in one transaction", inserted, seconds,
      static_cast<double>(inserted) / seconds);

  // A bad row rolls the whole batch back: nothing half-done.
  std::vector<std::tuple<std::string, std::optional<Decimal>, int>> with_bad_row = {
      {"Fine", Decimal("1.00"), 1}, {"No price", std::nullopt, 1}, {"Also fine", Decimal("2.00"), 1}};
  try {
    execute_many(conn, "INSERT INTO products (name, price, stock) VALUES ($1, $2, $3)", with_bad_row);
  } catch (const NotNullViolation& e) {
    say("a batch with a bad row was refused: {}", e.what());
  }
  say("products now: {} (was {}; the refused batch added none)", conn.query_value<long>("SELECT count(*) FROM products"),
      before);

  start = std::chrono::steady_clock::now();
  Decimal most_expensive;
  const auto read = copy_out<std::string, Decimal>(conn, "SELECT name, price FROM products", [&](const auto& row) {
    if (std::get<1>(row) > most_expensive) most_expensive = std::get<1>(row);
  });
  seconds = seconds_since(start);
  say("COPY out: {} rows read back in {:.3f} s ({:.0f} rows/s); the highest price is {}", read, seconds,
      static_cast<double>(read) / seconds, most_expensive.str());
}

}  // namespace pgkit::cli::demo
