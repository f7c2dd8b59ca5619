// Raw libpq as a careful C programmer uses it: prepared statements, results read in place.
#include "cases.hpp"

#include <libpq-fe.h>
#include <poll.h>

#include <charconv>
#include <cstdlib>
#include <string_view>
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

// Pipeline mode as libpq's documentation recommends for large batches: non-blocking, reading results
// while sending so that neither side's buffers fill up and deadlock.
void wait_socket(PGconn* conn, bool for_write) {
  pollfd fd{PQsocket(conn), static_cast<short>(POLLIN | (for_write ? POLLOUT : 0)), 0};
  if (::poll(&fd, 1, -1) < 0) throw std::runtime_error("poll failed");
}

double insert_many(const Workload& w) {
  const auto rows = source_rows(w.count);
  truncate_table(w.conninfo, insert_table);
  auto conn = connect(w.conninfo);
  PGconn* c = conn.get();
  const auto start = Clock::now();
  if (PQsetnonblocking(c, 1) != 0 || PQenterPipelineMode(c) != 1) throw std::runtime_error(PQerrorMessage(c));
  long expected_results = 0;  // results still to read, BEGIN and COMMIT included
  long affected = 0;
  const auto read_ready = [&] {
    if (PQconsumeInput(c) != 1) throw std::runtime_error(PQerrorMessage(c));
    while (expected_results > 0 && !PQisBusy(c)) {
      Res res(PQgetResult(c), &PQclear);
      if (!res) continue;  // the end of one statement's results
      const auto status = PQresultStatus(res.get());
      if (status == PGRES_PIPELINE_SYNC) continue;
      if (status != PGRES_COMMAND_OK) throw std::runtime_error(PQresultErrorMessage(res.get()));
      affected += std::atol(PQcmdTuples(res.get()));
      --expected_results;
    }
  };
  const auto flush = [&] {
    while (PQflush(c) == 1) {
      wait_socket(c, true);
      read_ready();
    }
  };
  if (PQsendQueryParams(c, "BEGIN", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 ||
      PQsendPrepare(c, "insert", insert_sql, 4, nullptr) != 1) {
    throw std::runtime_error(PQerrorMessage(c));
  }
  expected_results += 2;
  for (const SourceRow& row : rows) {
    const std::string id = std::to_string(row.id);
    const std::string qty = std::to_string(row.qty);
    const char* values[] = {id.c_str(), row.name.c_str(), row.price.c_str(), qty.c_str()};
    if (PQsendQueryPrepared(c, "insert", 4, values, nullptr, nullptr, 0) != 1) {
      throw std::runtime_error(PQerrorMessage(c));
    }
    ++expected_results;
    flush();
  }
  if (PQsendQueryParams(c, "COMMIT", 0, nullptr, nullptr, nullptr, nullptr, 0) != 1 || PQpipelineSync(c) != 1) {
    throw std::runtime_error(PQerrorMessage(c));
  }
  ++expected_results;
  flush();
  while (expected_results > 0) {
    wait_socket(c, false);
    read_ready();
  }
  for (;;) {  // the sync's result, then leave pipeline mode
    Res res(PQgetResult(c), &PQclear);
    if (res && PQresultStatus(res.get()) == PGRES_PIPELINE_SYNC) break;
  }
  if (PQexitPipelineMode(c) != 1) throw std::runtime_error(PQerrorMessage(c));
  const double elapsed = seconds_since(start);
  if (affected != w.count) throw std::runtime_error("wrong affected-row count");
  expect_rows(w.conninfo, insert_table, w.count);
  return elapsed;
}

// Text COPY: each row formatted as a tab-separated line, sent in large chunks.
double copy_in(const Workload& w) {
  const auto rows = source_rows(w.count);
  truncate_table(w.conninfo, copy_table);
  auto conn = connect(w.conninfo);
  PGconn* c = conn.get();
  const auto start = Clock::now();
  Res begin(PQexec(c, "COPY bench_copy (id, name, price, qty) FROM STDIN"), &PQclear);
  check(begin, PGRES_COPY_IN);
  std::string buffer;
  const auto send = [&] {
    if (PQputCopyData(c, buffer.data(), static_cast<int>(buffer.size())) != 1) {
      throw std::runtime_error(PQerrorMessage(c));
    }
    buffer.clear();
  };
  char digits[16];
  for (const SourceRow& row : rows) {
    buffer.append(digits, std::to_chars(digits, digits + sizeof digits, row.id).ptr);
    buffer += '\t';
    buffer += row.name;  // no tab, newline or backslash in these names: nothing to escape
    buffer += '\t';
    buffer += row.price;
    buffer += '\t';
    buffer.append(digits, std::to_chars(digits, digits + sizeof digits, row.qty).ptr);
    buffer += '\n';
    if (buffer.size() >= (1u << 20)) send();
  }
  if (!buffer.empty()) send();
  if (PQputCopyEnd(c, nullptr) != 1) throw std::runtime_error(PQerrorMessage(c));
  Res end(PQgetResult(c), &PQclear);
  check(end, PGRES_COMMAND_OK);
  const long copied = std::atol(PQcmdTuples(end.get()));
  const double elapsed = seconds_since(start);
  if (copied != w.count) throw std::runtime_error("wrong copied-row count");
  expect_rows(w.conninfo, copy_table, w.count);
  return elapsed;
}

// Text COPY out, each line split at its tabs into an Item.
double copy_out(const Workload& w) {
  auto conn = connect(w.conninfo);
  PGconn* c = conn.get();
  const std::string copy_sql = std::string("COPY (") + copy_out_query + ") TO STDOUT";
  const auto start = Clock::now();
  Res begin(PQexec(c, copy_sql.c_str()), &PQclear);
  check(begin, PGRES_COPY_OUT);
  std::vector<Item> items;
  char* line = nullptr;
  for (int length; (length = PQgetCopyData(c, &line, 0)) > 0; PQfreemem(line)) {
    std::string_view rest(line, static_cast<std::size_t>(length - 1));  // without the newline
    std::string_view fields[4];
    for (auto& field : fields) {
      const auto tab = rest.find('\t');
      field = rest.substr(0, tab);
      rest = tab == std::string_view::npos ? std::string_view() : rest.substr(tab + 1);
    }
    items.push_back({to_int(fields[0].data(), static_cast<int>(fields[0].size())), std::string(fields[1]),
                     std::string(fields[2]), to_int(fields[3].data(), static_cast<int>(fields[3].size()))});
  }
  Res end(PQgetResult(c), &PQclear);
  check(end, PGRES_COMMAND_OK);
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
  cases["insert_many"] = insert_many;
  cases["copy_in"] = copy_in;
  cases["copy_out"] = copy_out;
}

}  // namespace pgkit::bench
