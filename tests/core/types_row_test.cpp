// Rows and results: tuples, described structs by column name, column access, affected rows and the
// row-count checks of query_one / query_optional / query_value.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/numeric.hpp>

#include <boost/describe/class.hpp>
#include <gmock/gmock.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::ConversionError;
using pgkit::Decimal;
using pgkit::InterfaceError;
using pgkit::UnexpectedRowCount;
using ::testing::AllOf;
using ::testing::HasSubstr;

struct Product {
  int id = 0;
  std::string name;
  Decimal price;
  std::optional<std::string> note;
};
BOOST_DESCRIBE_STRUCT(Product, (), (id, name, price, note))

struct Named {
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Named, (), (name))

// Members come from the base too.
struct DetailedProduct : Named {
  int stock = 0;
};
BOOST_DESCRIBE_STRUCT(DetailedProduct, (Named), (stock))

class TypesRow : public pgkit::types_test::TypesTest {
 protected:
  static void SetUpTestSuite() {
    DatabaseTest::SetUpTestSuite();
    connect().execute_script(
        "CREATE TABLE products (id serial PRIMARY KEY, name text NOT NULL, price numeric(10, 2) NOT NULL,"
        "                       note text, stock int NOT NULL DEFAULT 0)");
  }
  void SetUp() override {
    conn.execute_script(
        "TRUNCATE products RESTART IDENTITY;"
        "INSERT INTO products (name, price, note, stock) VALUES"
        "  ('Laptop', 999.99, 'refurbished', 3), ('Mouse', 19.50, NULL, 40), ('Desk', 250.00, NULL, 0)");
  }
};

// ---------------------------------------------------------------------------------------------------
// Tuples

TEST_F(TypesRow, RowAsTupleAndStructuredBindings) {
  const pgkit::Result result = conn.exec("SELECT id, name, price FROM products WHERE id = $1", 2);
  const auto [id, name, price] = result.one().as<int, std::string, Decimal>();
  EXPECT_EQ(id, 2);
  EXPECT_EQ(name, "Mouse");
  EXPECT_EQ(price.str(), "19.50");
  const auto tuple = result.one().as<std::tuple<int, std::string, Decimal>>();
  EXPECT_EQ(std::get<1>(tuple), "Mouse");
  const auto rows = conn.query<int, std::string>("SELECT id, name FROM products ORDER BY id");
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(rows[2], std::make_tuple(3, std::string("Desk")));
}

TEST_F(TypesRow, TuplesFromTextResults) {
  const pgkit::Result result = conn.execute_script("SELECT id, name, price, note FROM products ORDER BY id");
  const auto rows = result.as_vector<int, std::string, Decimal, std::optional<std::string>>();
  ASSERT_EQ(rows.size(), 3U);
  EXPECT_EQ(std::get<2>(rows[0]).str(), "999.99");
  EXPECT_EQ(std::get<3>(rows[0]), "refurbished");
  EXPECT_EQ(std::get<3>(rows[1]), std::nullopt);
}

TEST_F(TypesRow, WrongColumnCountIsAnInterfaceError) {
  const pgkit::Result result = conn.exec("SELECT id, name, price FROM products WHERE id = 1");
  try {
    (void)result.one().as<int, std::string>();
    FAIL() << "three columns were read as two";
  } catch (const InterfaceError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("2"), HasSubstr("3"), HasSubstr("id, name, price")));
  }
  EXPECT_THROW((void)result.one().as<int>(), InterfaceError);
  using FourColumns = std::tuple<int, std::string, Decimal, int>;
  EXPECT_THROW((void)result.one().as<FourColumns>(), InterfaceError);
  EXPECT_THROW((void)conn.query<int>("SELECT 1, 2"), InterfaceError);
  EXPECT_THROW((void)conn.query_value<int>("SELECT 1, 2"), InterfaceError);
}

// ---------------------------------------------------------------------------------------------------
// Described structs

TEST_F(TypesRow, StructsAreMatchedByColumnName) {
  // Column order differs from member order, and `stock` has no member: it is ignored.
  const auto products = conn.query<Product>("SELECT stock, note, price, name, id FROM products ORDER BY id");
  ASSERT_EQ(products.size(), 3U);
  EXPECT_EQ(products[0].id, 1);
  EXPECT_EQ(products[0].name, "Laptop");
  EXPECT_EQ(products[0].price.str(), "999.99");
  EXPECT_EQ(products[0].note, "refurbished");
  EXPECT_EQ(products[1].price.str(), "19.50");
  EXPECT_EQ(products[1].note, std::nullopt);
  const Product desk = conn.query_one<Product>("SELECT * FROM products WHERE name = $1", "Desk");
  EXPECT_EQ(desk.id, 3);
  const auto from_text = conn.execute_script("SELECT * FROM products ORDER BY id").as_vector<Product>();
  ASSERT_EQ(from_text.size(), 3U);
  EXPECT_EQ(from_text[2].price.str(), "250.00");
}

TEST_F(TypesRow, InheritedMembersAreRead) {
  const auto item = conn.query_one<DetailedProduct>("SELECT name, stock FROM products WHERE id = 2");
  EXPECT_EQ(item.name, "Mouse");
  EXPECT_EQ(item.stock, 40);
}

TEST_F(TypesRow, MissingColumnIsAnInterfaceErrorNamingIt) {
  try {
    (void)conn.query<Product>("SELECT id, name, note FROM products");
    FAIL() << "a struct was read without its price column";
  } catch (const InterfaceError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("\"price\""), HasSubstr("id, name, note")));
  }
}

TEST_F(TypesRow, MistypedColumnIsAConversionErrorNamingIt) {
  try {
    (void)conn.query<Product>("SELECT id, name, 'cheap'::text AS price, note FROM products");
    FAIL() << "text was read as a Decimal";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"price\""));
  }
  try {
    (void)conn.query<Product>("SELECT 3000000000::bigint AS id, name, price, note FROM products");
    FAIL() << "3000000000 was read as an int";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"id\""));
  }
  try {
    (void)conn.query<Product>("SELECT id, NULL::text AS name, price, note FROM products");
    FAIL() << "NULL was read as a std::string";
  } catch (const pgkit::UnexpectedNull& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"name\""));
  }
}

// ---------------------------------------------------------------------------------------------------
// Columns

TEST_F(TypesRow, ColumnsByIndexAndName) {
  const pgkit::Result result = conn.exec("SELECT id, name, price AS \"Unit Price\" FROM products WHERE id = 1");
  ASSERT_EQ(result.columns(), 3U);
  EXPECT_EQ(result.column_name(2), "Unit Price");
  EXPECT_EQ(result.column_type(0), pgkit::oid::int4);
  EXPECT_EQ(result.column_type(2), pgkit::oid::numeric);
  EXPECT_EQ(result.find_column("name"), 1U);
  EXPECT_EQ(result.find_column("Name"), std::nullopt);
  EXPECT_EQ(result.column_index("Unit Price"), 2U);
  const pgkit::Row row = result.one();
  EXPECT_EQ(row.size(), 3U);
  EXPECT_EQ(row[0].as<int>(), 1);
  EXPECT_EQ(row[1].as<std::string>(), "Laptop");
  EXPECT_EQ(row["name"].as<std::string>(), "Laptop");
  EXPECT_EQ(row["Unit Price"].as<Decimal>(), Decimal("999.99"));
  EXPECT_EQ(row.get<std::string>("name"), "Laptop");
  EXPECT_EQ(row.get<int>(0), 1);
  EXPECT_EQ(row["name"].column(), "name");
}

TEST_F(TypesRow, UnknownColumnsAreInterfaceErrors) {
  const pgkit::Result result = conn.exec("SELECT id, name FROM products WHERE id = 1");
  const pgkit::Row row = result.one();
  try {
    (void)row["price"];
    FAIL() << "an absent column was found";
  } catch (const InterfaceError& e) {
    EXPECT_THAT(e.what(), AllOf(HasSubstr("\"price\""), HasSubstr("id, name")));
  }
  EXPECT_THROW((void)row[2], InterfaceError);
  EXPECT_THROW((void)result.column_index("Name"), InterfaceError);
  EXPECT_THROW((void)result.column_name(5), InterfaceError);
  EXPECT_THROW((void)result.at(1), InterfaceError);
}

// ---------------------------------------------------------------------------------------------------
// Affected rows and RETURNING

TEST_F(TypesRow, AffectedRowsCountWhatChanged) {
  EXPECT_EQ(conn.exec("INSERT INTO products (name, price) VALUES ($1, 1), ($2, 2)", "A", "B").affected_rows(), 2);
  EXPECT_EQ(conn.exec("UPDATE products SET stock = stock + 1 WHERE price < $1", Decimal("100")).affected_rows(), 3);
  EXPECT_EQ(conn.exec("UPDATE products SET stock = 0 WHERE id = -1").affected_rows(), 0);
  EXPECT_EQ(conn.exec("DELETE FROM products WHERE name IN ($1, $2)", "A", "B").affected_rows(), 2);
  EXPECT_EQ(conn.exec("SELECT * FROM products").affected_rows(), 3);
  EXPECT_EQ(conn.exec("CREATE TEMP TABLE scratch (x int)").affected_rows(), 0);
  EXPECT_EQ(conn.execute_script("UPDATE products SET stock = 1").affected_rows(), 3);
  EXPECT_EQ(conn.exec("DELETE FROM products WHERE id = $1", 3).command_tag(), "DELETE 1");
}

TEST_F(TypesRow, ReturningGivesRowsAndCounts) {
  const int id = conn.query_value<int>("INSERT INTO products (name, price) VALUES ($1, $2) RETURNING id", "Lamp",
                                       Decimal("35.00"));
  EXPECT_EQ(id, 4);
  const pgkit::Result result =
      conn.exec("UPDATE products SET price = price * 2 WHERE id <= $1 RETURNING id, name, price, note", 2);
  EXPECT_EQ(result.affected_rows(), 2);
  EXPECT_EQ(result.size(), 2U);
  const auto updated = result.as_vector<Product>();
  ASSERT_EQ(updated.size(), 2U);
  for (const Product& product : updated) {
    EXPECT_EQ(product.price, product.id == 1 ? Decimal("1999.98") : Decimal("39.00"));
  }
}

// ---------------------------------------------------------------------------------------------------
// Row-count checks

TEST_F(TypesRow, QueryOneWantsExactlyOneRow) {
  EXPECT_EQ(conn.query_one<std::string>("SELECT name FROM products WHERE id = $1", 1), "Laptop");
  try {
    (void)conn.query_one<std::string>("SELECT name FROM products WHERE id = $1", 99);
    FAIL() << "no row was accepted";
  } catch (const UnexpectedRowCount& e) {
    EXPECT_THAT(e.what(), HasSubstr("0"));
  }
  try {
    (void)conn.query_one<std::string>("SELECT name FROM products");
    FAIL() << "three rows were accepted";
  } catch (const UnexpectedRowCount& e) {
    EXPECT_THAT(e.what(), HasSubstr("3"));
  }
  EXPECT_THROW((void)conn.exec("SELECT 1 WHERE false").one(), UnexpectedRowCount);
}

TEST_F(TypesRow, QueryOptionalWantsAtMostOneRow) {
  EXPECT_EQ(conn.query_optional<std::string>("SELECT name FROM products WHERE id = $1", 2), "Mouse");
  EXPECT_EQ(conn.query_optional<std::string>("SELECT name FROM products WHERE id = $1", 99), std::nullopt);
  EXPECT_THROW((void)conn.query_optional<std::string>("SELECT name FROM products"), UnexpectedRowCount);
  const auto row = conn.query_optional<int, std::string>("SELECT id, name FROM products WHERE id = 3");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(std::get<1>(*row), "Desk");
  // A row holding NULL is not the same as no row.
  const auto null_note = conn.query_optional<std::optional<std::string>>("SELECT note FROM products WHERE id = 2");
  ASSERT_TRUE(null_note.has_value());
  EXPECT_EQ(*null_note, std::nullopt);
}

TEST_F(TypesRow, QueryValueWantsOneRowAndOneColumn) {
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM products"), 3);
  EXPECT_THROW((void)conn.query_value<int>("SELECT id FROM products"), UnexpectedRowCount);
  EXPECT_THROW((void)conn.query_value<int>("SELECT id FROM products WHERE false"), UnexpectedRowCount);
  EXPECT_THROW((void)conn.query_value<int>("SELECT id, stock FROM products WHERE id = 1"), InterfaceError);
  try {
    (void)conn.query_value<int>("SELECT id, stock FROM products WHERE id = 1");
  } catch (const UnexpectedRowCount&) {
    ADD_FAILURE() << "a column-count problem was reported as a row-count problem";
  } catch (const InterfaceError&) {
  }
}

}  // namespace
