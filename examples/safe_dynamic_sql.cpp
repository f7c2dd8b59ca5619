// Building SQL at run time without injection: names through sql::Identifier, values as parameters.
#include <pgkit/connection.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>

#include <map>

#include "example_database.hpp"

int main() {
  using pgkit::sql::Identifier;
  using pgkit::sql::SQL;
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  conn.exec("CREATE TEMP TABLE products (name text, price numeric, stock int)");
  conn.exec("INSERT INTO products VALUES ('Laptop', 999.99, 10), ('Mouse', 29.99, 50), ('Monitor', 299.99, 15)");

  const std::map<std::string, int> minimums = {{"price", 100}, {"stock", 12}};
  std::vector<pgkit::sql::Composed> conditions;
  pgkit::Params values;
  for (const auto& [column, minimum] : minimums) {
    conditions.push_back(SQL("{} > {}").format(Identifier(column), pgkit::sql::Placeholder(static_cast<int>(values.size()) + 1)));
    values.add(minimum);
  }
  const auto query = SQL("SELECT {} FROM {} WHERE {}")
                         .format(SQL(", ").join(pgkit::sql::identifiers({"name", "price"})), Identifier("products"),
                                 SQL(" AND ").join(conditions));
  fmt::print("{}\n", query.str());
  const auto rows = conn.query<std::string, pgkit::Decimal>(query, values);
  for (const auto& [name, price] : rows) fmt::print("{} {}\n", name, price.str());
  return rows.size() == 1 && std::get<0>(rows[0]) == "Monitor" ? 0 : 1;
}
