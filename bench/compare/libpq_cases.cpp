// Raw libpq as a careful C programmer uses it: prepared statements, results read in place.
#include "cases.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgkit::bench {
namespace {

using Clock = std::chrono::steady_clock;
using Conn = std::unique_ptr<PGconn, decltype(&PQfinish)>;
using Res = std::unique_ptr<PGresult, decltype(&PQclear)>;

struct Item {
  int id = 0;
  std::string name;
  std::string price;  // numeric as its exact text: raw libpq has no decimal type
  int qty = 0;
};

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

Conn connect(const std::string& conninfo) {
  Conn conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn.get()));
  return conn;
}

void check(const Res& res, ExecStatusType expected) {
  if (PQresultStatus(res.get()) != expected) throw std::runtime_error(PQresultErrorMessage(res.get()));
}

void prepare(PGconn* conn, const char* name, const char* sql) {
  Res res(PQprepare(conn, name, sql, 0, nullptr), &PQclear);
  check(res, PGRES_COMMAND_OK);
}

int to_int(const char* text, int length) {
  int value = 0;
  std::from_chars(text, text + length, value);
  return value;
}

double select_one(const Workload& w) {
  auto conn = connect(w.conninfo);
  prepare(conn.get(), "one", select_one_sql);
  long sum = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) {
    Res res(PQexecPrepared(conn.get(), "one", 0, nullptr, nullptr, nullptr, 0), &PQclear);
    check(res, PGRES_TUPLES_OK);
    sum += to_int(PQgetvalue(res.get(), 0, 0), PQgetlength(res.get(), 0, 0));
  }
  const double elapsed = seconds_since(start);
  if (sum != w.count) throw std::runtime_error("wrong sum");
  return elapsed;
}

double point_select(const Workload& w) {
  auto conn = connect(w.conninfo);
  prepare(conn.get(), "point", point_select_sql);
  long sum = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) {
    const std::string id = std::to_string(i % fixture_rows + 1);
    const char* values[] = {id.c_str()};
    Res res(PQexecPrepared(conn.get(), "point", 1, values, nullptr, nullptr, 0), &PQclear);
    check(res, PGRES_TUPLES_OK);
    if (PQntuples(res.get()) != 1) throw std::runtime_error("expected one row");
    const PGresult* r = res.get();
    Item item{to_int(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0)),
              std::string(PQgetvalue(r, 0, 1), static_cast<std::size_t>(PQgetlength(r, 0, 1))),
              std::string(PQgetvalue(r, 0, 2), static_cast<std::size_t>(PQgetlength(r, 0, 2))),
              to_int(PQgetvalue(r, 0, 3), PQgetlength(r, 0, 3))};
    sum += item.qty;
  }
  const double elapsed = seconds_since(start);
  if (sum < 0) throw std::runtime_error("wrong sum");
  return elapsed;
}

double fetch_decode(const Workload& w) {
  auto conn = connect(w.conninfo);
  prepare(conn.get(), "fetch", fetch_sql);
  const std::string limit = std::to_string(w.count);
  const char* values[] = {limit.c_str()};
  const auto start = Clock::now();
  Res res(PQexecPrepared(conn.get(), "fetch", 1, values, nullptr, nullptr, 0), &PQclear);
  check(res, PGRES_TUPLES_OK);
  const PGresult* r = res.get();
  const int rows = PQntuples(r);
  std::vector<Item> items;
  items.reserve(static_cast<std::size_t>(rows));
  for (int i = 0; i < rows; ++i) {
    items.push_back({to_int(PQgetvalue(r, i, 0), PQgetlength(r, i, 0)),
                     std::string(PQgetvalue(r, i, 1), static_cast<std::size_t>(PQgetlength(r, i, 1))),
                     std::string(PQgetvalue(r, i, 2), static_cast<std::size_t>(PQgetlength(r, i, 2))),
                     to_int(PQgetvalue(r, i, 3), PQgetlength(r, i, 3))});
  }
  const double elapsed = seconds_since(start);
  if (static_cast<long>(items.size()) != w.count) throw std::runtime_error("wrong row count");
  return elapsed;
}

}  // namespace

void register_libpq(Registry& registry) {
  auto& cases = registry["libpq"];
  cases["select1"] = select_one;
  cases["point_select"] = point_select;
  cases["fetch_decode"] = fetch_decode;
}

}  // namespace pgkit::bench
