// The seed's products table: insert with RETURNING, several rows in a transaction, query into a
// struct, update, delete.
#include <pgkit/connection.hpp>
#include <pgkit/describe.hpp>  // reading described structs and enums
#include <pgkit/transaction.hpp>

#include <boost/describe/class.hpp>
#include <fmt/format.h>

#include "example_database.hpp"

struct Product {
  int id = 0;
  std::string name;
  pgkit::Decimal price;  // numeric, exactly
  int stock = 0;
};
BOOST_DESCRIBE_STRUCT(Product, (), (id, name, price, stock))

int main() {
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  conn.exec(
      "CREATE TEMP TABLE products (id SERIAL PRIMARY KEY, name VARCHAR(100) NOT NULL, price DECIMAL(10, 2) NOT NULL, "
      "stock INTEGER DEFAULT 0)");

  const int id = conn.query_value<int>("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3) RETURNING id",
                                       "Laptop", pgkit::Decimal("999.99"), 10);
  {
    pgkit::Transaction tx(conn);
    conn.exec("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3)", "Mouse", pgkit::Decimal("29.99"), 50);
    conn.exec("INSERT INTO products (name, price, stock) VALUES ($1, $2, $3)", "Keyboard", pgkit::Decimal("79.99"), 30);
    tx.commit();  // without this, leaving the scope rolls both inserts back
  }

  for (const auto& p : conn.query<Product>("SELECT id, name, price, stock FROM products ORDER BY id")) {
    fmt::print("#{} {} ${} x{}\n", p.id, p.name, p.price.str(), p.stock);
  }
  conn.exec("UPDATE products SET stock = stock - $1 WHERE id = $2", 1, id);
  const auto deleted = conn.exec("DELETE FROM products WHERE price < $1", pgkit::Decimal(50)).affected_rows();
  fmt::print("deleted {}\n", deleted);
  return deleted == 1 && conn.query_value<int>("SELECT stock FROM products WHERE id = $1", id) == 9 ? 0 : 1;
}
