// Connect, run a query with parameters, read typed values.
#include <pgkit/connection.hpp>

#include <fmt/format.h>

#include "example_database.hpp"

int main() {
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  fmt::print("{}\n", conn.query_value<std::string>("SELECT version()"));

  // $1, $2 are parameters: typed values, never pasted into the SQL text.
  const auto [sum, greeting] = conn.query_one<int, std::string>("SELECT $1::int + $2::int, 'hello ' || $3", 40, 2, "pgkit");
  fmt::print("{} {}\n", sum, greeting);

  // NULL reads as std::nullopt into std::optional.
  const auto nothing = conn.query_value<std::optional<int>>("SELECT NULL::int");
  fmt::print("NULL is {}\n", nothing ? "a value" : "nullopt");
  return sum == 42 && !nothing ? 0 : 1;
}
