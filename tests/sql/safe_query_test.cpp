// The seed's "safe query construction" section, in C++: table and column names as identifiers, values
// as parameters, and what happens when a name is an injection attempt.
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/sql.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using pgkit::sql::Composed;
using pgkit::sql::Identifier;
using pgkit::sql::Placeholder;
using pgkit::sql::SQL;

using Filters = std::map<std::string, std::string>;

// The products table of the seed, with its four rows, fresh for each test.
class SafeQueries : public pgkit::testing::DatabaseTest {
 protected:
  void SetUp() override {
    conn_.exec("DROP TABLE IF EXISTS products");
    conn_.exec(
        "CREATE TABLE products (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(10,2) NOT NULL, "
        "stock INTEGER DEFAULT 0, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
    for (const auto& [name, price, stock] : std::vector<std::tuple<std::string, std::string, int>>{
             {"Laptop", "999.99", 10}, {"Mouse", "29.99", 50}, {"Keyboard", "79.99", 30}, {"Monitor", "299.99", 15}}) {
      conn_.exec("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3)", name, pgkit::Decimal(price), stock);
    }
  }

  // SELECT name FROM products [WHERE <column> = $1 AND ...] ORDER BY id: columns become identifiers,
  // values become parameters numbered in the map's order.
  std::vector<std::string> names_matching(const Filters& filters) {
    std::vector<Composed> conditions;
    pgkit::Params values;
    for (const auto& [column, value] : filters) {
      conditions.push_back(
          SQL("{} = {}").format(Identifier(column), Placeholder(static_cast<int>(conditions.size()) + 1)));
      values.add(value);
    }
    Composed query = SQL("SELECT {} FROM {}").format(Identifier("name"), Identifier("products"));
    if (!conditions.empty()) query += SQL(" WHERE {}").format(SQL(" AND ").join(conditions));
    query += SQL(" ORDER BY {}").format(Identifier("id"));
    return conn_.exec(query, values).as_vector<std::string>();
  }

  std::int64_t product_count() { return conn_.query_value<std::int64_t>("SELECT count(*) FROM products"); }

  pgkit::Connection conn_ = connect();
};

TEST_F(SafeQueries, TableNameAsIdentifier) {
  const Composed query = SQL("SELECT * FROM {}").format(Identifier("products"));
  EXPECT_EQ(query.str(), R"(SELECT * FROM "products")");
  const pgkit::Result result = conn_.exec(query);
  EXPECT_EQ(result.size(), 4U);
  EXPECT_EQ(result.columns(), 5U);
}

TEST_F(SafeQueries, DynamicColumnListJoinedByCommas) {
  const std::vector<std::string> columns{"name", "price", "stock"};
  const Composed query =
      SQL("SELECT {} FROM {} ORDER BY {}")
          .format(SQL(", ").join(pgkit::sql::identifiers(columns)), Identifier("products"), Identifier("id"));
  EXPECT_EQ(query.str(), R"(SELECT "name", "price", "stock" FROM "products" ORDER BY "id")");
  const auto rows = conn_.query<std::string, pgkit::Decimal, int>(query);
  const std::vector<std::tuple<std::string, pgkit::Decimal, int>> expected{{"Laptop", pgkit::Decimal("999.99"), 10},
                                                                           {"Mouse", pgkit::Decimal("29.99"), 50},
                                                                           {"Keyboard", pgkit::Decimal("79.99"), 30},
                                                                           {"Monitor", pgkit::Decimal("299.99"), 15}};
  EXPECT_EQ(rows, expected);
}

// Text parameters take the type of the column they are compared with, so one map of strings serves
// varchar, numeric and integer columns alike.
TEST_F(SafeQueries, DynamicWhereClauseFromAMapOfColumnsToValues) {
  EXPECT_EQ(names_matching({{"name", "Mouse"}}), std::vector<std::string>{"Mouse"});
  EXPECT_EQ(names_matching({{"price", "79.99"}, {"stock", "30"}}), std::vector<std::string>{"Keyboard"});
  EXPECT_EQ(names_matching({{"price", "79.99"}, {"stock", "31"}}), std::vector<std::string>{});
  EXPECT_EQ(names_matching({{"stock", "15"}}), std::vector<std::string>{"Monitor"});
  EXPECT_EQ(names_matching({}), (std::vector<std::string>{"Laptop", "Mouse", "Keyboard", "Monitor"}));
}

TEST_F(SafeQueries, AnInjectedValueIsJustAValue) {
  EXPECT_EQ(names_matching({{"name", "' OR '1'='1"}}), std::vector<std::string>{});
  EXPECT_EQ(names_matching({{"name", "Mouse'; DROP TABLE products; --"}}), std::vector<std::string>{});
  EXPECT_EQ(product_count(), 4);
}

// The "column" names one column that does not exist: the server refuses it, nothing of it runs.
TEST_F(SafeQueries, AnInjectedColumnNameIsAnUndefinedColumn) {
  for (const std::string column : {"name = name OR 1=1; DROP TABLE products; --", "1=1 OR name",
                                   "name\" = \"name\" OR \"1\"=\"1", "stock\"; DELETE FROM products; --"}) {
    try {
      static_cast<void>(names_matching({{column, "x"}}));
      ADD_FAILURE() << "the query ran with the column " << column;
    } catch (const pgkit::UndefinedColumn& e) {
      EXPECT_EQ(e.sqlstate(), "42703");
      // The server names the whole attempt as one column.
      EXPECT_NE(std::string_view(e.what()).find(column), std::string_view::npos) << e.what();
    }
  }
  EXPECT_EQ(product_count(), 4);
  EXPECT_EQ(names_matching({{"name", "Laptop"}}), std::vector<std::string>{"Laptop"});
}

TEST_F(SafeQueries, AnInjectedColumnListIsAnUndefinedColumn) {
  const std::vector<std::string> columns{"name", "price FROM products; DROP TABLE products; --"};
  const Composed query =
      SQL("SELECT {} FROM {}").format(SQL(", ").join(pgkit::sql::identifiers(columns)), Identifier("products"));
  EXPECT_THROW(conn_.exec(query), pgkit::UndefinedColumn);
  EXPECT_EQ(product_count(), 4);
}

TEST_F(SafeQueries, AnInjectedTableNameIsAnUndefinedTable) {
  const Composed query = SQL("SELECT * FROM {}").format(Identifier("products; DROP TABLE products"));
  EXPECT_THROW(conn_.exec(query), pgkit::UndefinedTable);
  EXPECT_EQ(product_count(), 4);
}

}  // namespace
