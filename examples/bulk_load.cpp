// Bulk work: a pipeline of statements, execute_many over structs, typed COPY in and out, raw CSV.
#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/pipeline.hpp>

#include <boost/describe/class.hpp>
#include <fmt/format.h>

#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "example_database.hpp"

struct Reading {
  int sensor = 0;
  double celsius = 0;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(Reading, (), (sensor, celsius, note))

int main() {
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  conn.exec("CREATE TEMP TABLE readings (sensor int NOT NULL, celsius float8 NOT NULL, note text)");

  // A pipeline: statements go out without waiting; each outcome comes back in order.
  pgkit::Pipeline pipeline(conn);
  pipeline.add("INSERT INTO readings VALUES ($1, $2, $3)", 1, 20.5, "calibrated");
  pipeline.add("INSERT INTO readings VALUES ($1, $2, NULL)", 2, 21.0);
  pipeline.add("SELECT count(*) FROM readings");
  const auto outcomes = pipeline.finish();
  for (const auto& outcome : outcomes) outcome.check();
  fmt::print("pipeline: {} statements, count = {}\n", outcomes.size(), outcomes[2].result.one()[0].as<long>());

  // execute_many over described structs: one transaction, pipelined.
  std::vector<Reading> batch;
  batch.reserve(1000);
  for (int i = 0; i < 1000; ++i) batch.push_back({3 + i % 5, 15.0 + i % 10, std::nullopt});
  const auto inserted = pgkit::execute_many(conn, "INSERT INTO readings VALUES ($1, $2, $3)", batch);
  fmt::print("execute_many: {} rows\n", inserted);

  // Typed binary COPY in (columns from the struct's members) and out (into tuples).
  const auto copied = pgkit::copy_in(conn, "readings", batch);
  double total = 0;
  const auto read = pgkit::copy_out<int, double>(conn, "SELECT sensor, celsius FROM readings",
                                                 [&](const std::tuple<int, double>& row) { total += std::get<1>(row); });
  fmt::print("copy: {} in, {} out, mean {:.2f} °C\n", copied, read, total / static_cast<double>(read));

  // Raw CSV both ways.
  std::stringstream csv("sensor,celsius,note\n9,-4.5,\"frost, light\"\n");
  pgkit::copy_in_raw(conn, "COPY readings FROM STDIN (FORMAT csv, HEADER)", csv);
  std::ostringstream out;
  pgkit::copy_out_raw(conn, "COPY (SELECT * FROM readings WHERE sensor = 9) TO STDOUT (FORMAT csv)", out);
  fmt::print("csv back: {}", out.str());
  return (inserted == 1000 && copied == 1000 && read == 2002 && out.str() == "9,-4.5,\"frost, light\"\n") ? 0 : 1;
}
