// The seed's first part: connecting, CRUD on products, safe dynamic SQL, JSON, errors by SQLSTATE.
#include <pgkit/describe.hpp>
#include <pgkit/json.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>

#include "demo.hpp"

#include <boost/describe/class.hpp>

#include <map>
#include <tuple>
#include <vector>

namespace pgkit::cli::demo {
namespace {

struct Product {
  int id = 0;
  std::string name;
  Decimal price;
  int stock = 0;
};
BOOST_DESCRIBE_STRUCT(Product, (), (id, name, price, stock))

}  // namespace

void connecting(Connection& conn) {
  heading("Connecting");
  say("connected to {}", conn.describe());
  say("SELECT version(): {}", conn.query_value<std::string>("SELECT version()"));
  say("server {}.{}, backend pid {}, encoding {}", conn.server_version() / 10000, conn.server_version() % 100,
      conn.backend_pid(), conn.parameter_status("server_encoding").value_or("?"));
}

void products_crud(Connection& conn) {
  heading("Products: create, read, update, delete");
  conn.exec(
      "CREATE TABLE products (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(10, 2) NOT NULL, "
      "stock INTEGER DEFAULT 0, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)");
  const int laptop = conn.query_value<int>("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3) RETURNING id",
                                           "Laptop", Decimal("999.99"), 10);
  say("inserted Laptop with id {} (RETURNING)", laptop);

  const std::vector<std::tuple<std::string, Decimal, int>> more = {
      {"Mouse", Decimal("29.99"), 50}, {"Keyboard", Decimal("79.99"), 30}, {"Monitor", Decimal("299.99"), 15}};
  {
    Transaction tx(conn);  // several rows, all or nothing
    for (const auto& [name, price, stock] : more) {
      conn.exec("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3)", name, price, stock);
    }
    tx.commit();
  }
  say("inserted {} more in one transaction", more.size());

  for (const Product& p : conn.query<Product>("SELECT id, name, price, stock FROM products WHERE price > $1 ORDER BY id",
                                              Decimal(50))) {
    say("price > 50: #{} {} ${} (stock {})", p.id, p.name, p.price.str(), p.stock);
  }
  const auto updated = conn.exec("UPDATE products SET stock = stock - $1 WHERE id = $2", 1, laptop).affected_rows();
  say("sold one Laptop: {} row updated, stock now {}", updated,
      conn.query_value<int>("SELECT stock FROM products WHERE id = $1", laptop));
  conn.exec("UPDATE products SET stock = 0 WHERE name = $1", "Monitor");
  say("deleted {} product(s) out of stock", conn.exec("DELETE FROM products WHERE stock = 0").affected_rows());
}

void safe_queries(Connection& conn) {
  heading("Safe dynamic SQL: names as identifiers, values as parameters");
  using sql::Identifier;
  using sql::SQL;
  const auto all = conn.exec(SQL("SELECT * FROM {}").format(Identifier("products")));
  say("SELECT * FROM {}: {} rows, {} columns", Identifier("products").str(), all.size(), all.columns());

  const auto columns = sql::identifiers({"name", "price", "stock"});
  const auto listed = SQL("SELECT {} FROM products ORDER BY id").format(SQL(", ").join(columns));
  say("{}", listed.str());
  for (auto [name, price, stock] : conn.query<std::string, Decimal, int>(listed)) {
    say("  {} {} {}", name, price.str(), stock);
  }

  // A WHERE clause from a map of column -> minimum: columns quoted, values bound as $1, $2, ...
  const std::map<std::string, int> minimums = {{"price", 50}, {"stock", 10}};
  std::vector<sql::Composed> conditions;
  Params values;
  for (const auto& [column, minimum] : minimums) {
    conditions.push_back(SQL("{} > {}").format(Identifier(column), sql::Placeholder(static_cast<int>(values.size()) + 1)));
    values.add(minimum);
  }
  const auto filtered = SQL("SELECT name FROM products WHERE {} ORDER BY name").format(SQL(" AND ").join(conditions));
  say("{}  -- with {} parameters", filtered.str(), values.size());
  for (const auto& name : conn.query<std::string>(filtered, values)) say("  {}", name);

  const std::string hostile = "name; DROP TABLE products; --";
  try {
    conn.exec(SQL("SELECT {} FROM products").format(Identifier(hostile)));
  } catch (const UndefinedColumn& e) {
    say("a hostile column name stays one (nonexistent) identifier: {}", e.diagnostics().message_primary);
  }
}

void json_metadata(Connection& conn) {
  heading("JSON: users.metadata as jsonb");
  conn.exec("CREATE TABLE users (id SERIAL PRIMARY KEY, username VARCHAR(50) NOT NULL, metadata JSONB)");
  const nlohmann::json metadata = {{"preferences", {{"theme", "dark"}, {"language", "en"}}},
                                   {"settings", {{"notifications", true}}}};
  conn.exec("INSERT INTO users (username, metadata) VALUES ($1, $2)", "john_doe", metadata);
  // The seed wrote metadata->>'preferences'->>'theme', which fails (->> yields text); the path is:
  const auto dark = conn.query<std::string>(
      "SELECT username FROM users WHERE metadata->'preferences'->>'theme' = $1", "dark");
  say("users with the dark theme: {}", dark.size() == 1 ? dark[0] : std::to_string(dark.size()));
  conn.exec("UPDATE users SET metadata = jsonb_set(metadata, '{preferences,theme}', $1) WHERE username = $2",
            nlohmann::json("light"), "john_doe");
  const auto updated = conn.query_value<nlohmann::json>("SELECT metadata FROM users WHERE username = $1", "john_doe");
  say("after jsonb_set: {}", updated.dump());
  say("theme via #>>: {}", conn.query_value<std::string>(
                               "SELECT metadata #>> '{preferences,theme}' FROM users WHERE username = $1", "john_doe"));
}

void errors_by_sqlstate(Connection& conn) {
  heading("Errors told apart by SQLSTATE");
  conn.exec("CREATE UNIQUE INDEX users_username ON users (username)");
  try {
    conn.exec("INSERT INTO users (username) VALUES ($1)", "john_doe");
  } catch (const UniqueViolation& e) {
    say("UniqueViolation (SQLSTATE {}, {}): constraint {}", e.sqlstate(), e.condition_name(),
        e.diagnostics().constraint_name);
    say("detail: {}", e.diagnostics().detail);
  }
  try {
    conn.exec("INSERT INTO products (name, price) VALUES ($1, NULL)", "Ghost");
  } catch (const IntegrityError& e) {
    say("an IntegrityError of another kind: SQLSTATE {} ({}) on column {}", e.sqlstate(), e.condition_name(),
        e.diagnostics().column_name);
  }
  try {
    conn.exec("SELECT price / $1 FROM products", 0);
  } catch (const DataError& e) {
    say("DataError: {} (SQLSTATE {})", e.diagnostics().message_primary, e.sqlstate());
  }
  say("and the connection is still fine: {} products", conn.query_value<long>("SELECT count(*) FROM products"));
}

}  // namespace pgkit::cli::demo
