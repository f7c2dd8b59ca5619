// Types whose OIDs the server assigns at run time: Connection::type_info and its cache, composites into
// described structs (nested, NULL fields, quoting, arrays of them) and back, anonymous records into
// tuples, arrays of user enums, hstore. Every read is checked in both result formats: text from the
// simple protocol, binary from a binary COPY.
#include "core/types_test_support.hpp"

#include <pgkit/composite.hpp>
#include <pgkit/connection.hpp>
#include <pgkit/hstore.hpp>
#include <pgkit/type_info.hpp>

#include <boost/describe/class.hpp>
#include <boost/describe/enum.hpp>
#include <gmock/gmock.h>

#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace test_composites {

struct Item {
  std::string name;
  std::optional<int> qty;
  std::optional<std::string> note;
  friend bool operator==(const Item&, const Item&) = default;
};
BOOST_DESCRIBE_STRUCT(Item, (), (name, qty, note))

struct Order {
  int id;
  std::optional<Item> item;
  std::vector<int> codes;
  friend bool operator==(const Order&, const Order&) = default;
};
BOOST_DESCRIBE_STRUCT(Order, (), (id, item, codes))

struct Pair {
  int a;
  int b;
  friend bool operator==(const Pair&, const Pair&) = default;
};
BOOST_DESCRIBE_STRUCT(Pair, (), (a, b))

struct DocItem {
  std::string name;
  std::optional<int> qty;
  friend bool operator==(const DocItem&, const DocItem&) = default;
};
BOOST_DESCRIBE_STRUCT(DocItem, (), (name, qty))

enum class Mood { sad, ok, happy };
BOOST_DESCRIBE_ENUM(Mood, sad, ok, happy)

}  // namespace test_composites

namespace {

using pgkit::ConversionError;
using pgkit::InterfaceError;
using pgkit::TypeInfo;
using pgkit::TypeKind;
using pgkit::types_test::read_text;
using test_composites::Item;
using test_composites::Mood;
using test_composites::Order;
using test_composites::Pair;
using ::testing::AllOf;
using ::testing::HasSubstr;

// The value of `SELECT <expression>` read as T from a binary COPY (a one-column tuple, so that a
// described struct is read from the column, not matched to column names).
template <class T>
T binary(pgkit::Connection& conn, std::string_view expression) {
  return std::get<0>(pgkit::types_test::read_binary<std::tuple<T>>(conn, expression));
}

template <class T>
void expect_both(pgkit::Connection& conn, std::string_view expression, const T& expected) {
  EXPECT_EQ(binary<T>(conn, expression), expected) << "binary result of " << expression;
  EXPECT_EQ(read_text<T>(conn, expression), expected) << "text result of " << expression;
}

// Reading `expression` as T throws ConversionError in both formats; returns the text-format message.
template <class T>
std::string expect_fails(pgkit::Connection& conn, std::string_view expression) {
  EXPECT_THROW((void)binary<T>(conn, expression), ConversionError) << "binary result of " << expression;
  try {
    (void)read_text<T>(conn, expression);
    ADD_FAILURE() << "text result of " << expression << " was read without error";
  } catch (const ConversionError& e) {
    return e.what();
  }
  return {};
}

class TypesComposite : public pgkit::types_test::TypesTest {
 protected:
  void SetUp() override {
    conn.execute_script(
        "CREATE TYPE item AS (name text, qty int, note text);"
        "CREATE TYPE ord AS (id int, item item, codes int[]);"
        "CREATE TYPE pair3 AS (a int, b int, c int);"
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');");
  }
  void TearDown() override { conn.execute_script("DROP TYPE ord; DROP TYPE item; DROP TYPE pair3; DROP TYPE mood"); }
};

TEST_F(TypesComposite, ReadsFieldsNullsAndQuotingInBothFormats) {
  expect_both(conn, "ROW('plain', 3, NULL)::item", Item{"plain", 3, std::nullopt});
  expect_both(conn, "ROW('', NULL, '')::item", Item{"", std::nullopt, ""});  // empty string is not NULL
  expect_both(conn, R"(ROW('a,b "c" \d', -1, '(x)')::item)", Item{R"(a,b "c" \d)", -1, "(x)"});
  expect_both(conn, "ROW(' lead', 0, 'NULL')::item", Item{" lead", 0, "NULL"});
  expect_both(conn, "ROW(E'tab\\there\\nline', 0, '\"')::item", Item{"tab\there\nline", 0, "\""});
  // The text form is the server's own.
  EXPECT_EQ(read_text<std::string>(conn, "ROW('', NULL, 'a\"b')::item"), R"(("",,"a""b"))");
}

TEST_F(TypesComposite, ReadsNestedCompositesAndArraysInside) {
  const Order full{7, Item{"x, y", 2, std::nullopt}, {1, 2, 3}};
  expect_both(conn, "ROW(7, ROW('x, y', 2, NULL)::item, ARRAY[1,2,3])::ord", full);
  expect_both(conn, "ROW(8, NULL, '{}')::ord", Order{8, std::nullopt, {}});
  // A nested composite whose every field is NULL is not a NULL composite.
  using Loose = std::tuple<int, std::optional<std::tuple<std::optional<std::string>, std::optional<int>,
                                                         std::optional<std::string>>>,
                           std::vector<int>>;
  expect_both(conn, "ROW(9, ROW(NULL, NULL, NULL)::item, '{}')::ord",
              Loose{9, std::tuple<std::optional<std::string>, std::optional<int>, std::optional<std::string>>{}, {}});
  EXPECT_EQ(read_text<std::string>(conn, "ROW(9, ROW(NULL, NULL, NULL)::item, '{}')::ord"), R"x((9,"(,,)",{}))x");
}

TEST_F(TypesComposite, ReadsArraysOfComposites) {
  const std::vector<Item> items{{"a", 1, std::nullopt}, {"b \"q\"", std::nullopt, ""}};
  expect_both(conn, R"(ARRAY[ROW('a', 1, NULL)::item, ROW('b "q"', NULL, '')::item])", items);
  expect_both(conn, "ARRAY[ROW('a', 1, NULL)::item, NULL]",
              std::vector<std::optional<Item>>{Item{"a", 1, std::nullopt}, std::nullopt});
  expect_both(conn, "'{}'::item[]", std::vector<Item>{});
}

TEST_F(TypesComposite, SendsDescribedStructsAsParameters) {
  const Item tricky{R"(a,b "c" \d (e))", std::nullopt, ""};
  EXPECT_EQ(conn.query_value<std::string>("SELECT ($1::item).name", tricky), tricky.name);
  EXPECT_TRUE(conn.query_value<bool>("SELECT ($1::item).qty IS NULL AND ($1::item).note = ''", tricky));
  conn.execute_script("CREATE TEMP TABLE orders (o ord, items item[])");
  const Order order{1, tricky, {4, 5}};
  const std::vector<Item> items{tricky, Item{"", 0, std::nullopt}};
  conn.exec("INSERT INTO orders VALUES ($1, $2)", order, items);
  expect_both(conn, "o FROM orders", order);
  expect_both(conn, "items FROM orders", items);
  EXPECT_EQ(conn.query_value<std::string>("SELECT (o).item.note FROM orders"), "");
  conn.execute_script("DROP TABLE orders");
}

TEST_F(TypesComposite, FieldCountMismatchNamesBoth) {
  const std::string message = expect_fails<Pair>(conn, "ROW(1, 2, 3)::pair3");
  EXPECT_THAT(message, AllOf(HasSubstr("(1,2,3)"), HasSubstr("3 fields"), HasSubstr("2 (a, b)")));
  EXPECT_THAT(expect_fails<Item>(conn, "ROW(1, 2)"), AllOf(HasSubstr("2 fields"), HasSubstr("3 (name, qty, note)")));
  EXPECT_THAT(expect_fails<Item>(conn, "'not a composite'::text"), HasSubstr("'not a composite'"));
}

TEST_F(TypesComposite, NullFieldIntoPlainMemberIsUnexpectedNull) {
  EXPECT_THROW((void)read_text<Pair>(conn, "ROW(1, NULL)"), pgkit::UnexpectedNull);
  EXPECT_THROW((void)binary<Pair>(conn, "ROW(1, NULL)"), pgkit::UnexpectedNull);
}

TEST_F(TypesComposite, CheckCompositeComparesMemberNamesWithFields) {
  EXPECT_NO_THROW(pgkit::check_composite<Item>(conn.type_info("item")));
  try {
    pgkit::check_composite<Pair>(conn.type_info("pair3"));
    FAIL() << "Pair matched pair3";
  } catch (const InterfaceError& e) {
    EXPECT_THAT(std::string(e.what()), AllOf(HasSubstr("(a, b, c)"), HasSubstr("(a, b)")));
  }
  EXPECT_THROW(pgkit::check_composite<Pair>(conn.type_info("mood")), InterfaceError);
}

TEST_F(TypesComposite, ReadsArraysOfUserEnums) {
  const std::vector<Mood> moods{Mood::happy, Mood::sad, Mood::ok};
  expect_both(conn, "ARRAY['happy', 'sad', 'ok']::mood[]", moods);
  EXPECT_EQ(conn.query_value<std::vector<Mood>>("SELECT $1::mood[]", moods), moods);
}

// The example of docs/driver.md, "Types the server defines at run time".
TEST_F(TypesComposite, DocumentedExampleRuns) {
  using test_composites::DocItem;
  conn.execute_script("CREATE TYPE doc_item AS (name text, qty int); CREATE TABLE carts (items doc_item[])");
  pgkit::check_composite<DocItem>(conn.type_info("doc_item"));
  conn.exec("INSERT INTO carts VALUES ($1)", std::vector<DocItem>{{"pen, blue", 2}, {"", std::nullopt}});
  const auto items = conn.query_value<std::vector<DocItem>>("SELECT items FROM carts");
  EXPECT_EQ(items, (std::vector<DocItem>{{"pen, blue", 2}, {"", std::nullopt}}));
  const DocItem first = conn.execute_script("SELECT items[1] FROM carts").one()[0].as<DocItem>();
  EXPECT_EQ(first, items[0]);
  const auto [n, s] = conn.exec("SELECT ROW(1, 'a')").one()[0].as<std::tuple<int, std::string>>();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(s, "a");
  conn.execute_script("DROP TABLE carts; DROP TYPE doc_item");
}

class TypesRecord : public pgkit::types_test::TypesTest {};

TEST_F(TypesRecord, ReadsAnonymousRecordsIntoTuples) {
  using Row = std::tuple<int, std::string, std::optional<int>, std::vector<int>, bool>;
  expect_both(conn, "ROW(1, 'x, \"y\"', NULL::int, ARRAY[1,2], true)", Row{1, "x, \"y\"", std::nullopt, {1, 2}, true});
  using Nested = std::tuple<int, std::tuple<std::string, double>>;
  expect_both(conn, "(1, ROW('in', 2.5::float8))", Nested{1, {"in", 2.5}});
  const std::string message = expect_fails<std::tuple<int>>(conn, "ROW(1, 2)");
  EXPECT_THAT(message, HasSubstr("2 fields"));
}

TEST_F(TypesRecord, SendsTuplesAsComposites) {
  conn.execute_script("CREATE TYPE duo AS (n int, s text)");
  const std::tuple<int, std::optional<std::string>> value{5, std::nullopt};
  EXPECT_TRUE(conn.query_value<bool>("SELECT ($1::duo).n = 5 AND ($1::duo).s IS NULL", value));
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::duo::text", std::tuple<int, std::string>{6, ""}), R"((6,""))");
  conn.execute_script("DROP TYPE duo");
}

class TypeInfoTest : public pgkit::testing::DatabaseTest {
 protected:
  pgkit::Connection conn = connect();
};

TEST_F(TypeInfoTest, DescribesCompositesEnumsDomainsAndRanges) {
  conn.execute_script(
      "CREATE SCHEMA p5; CREATE TYPE p5.thing AS (id int8, label text, gone int, tags text[]);"
      "ALTER TYPE p5.thing DROP ATTRIBUTE gone;"
      "CREATE TYPE p5.level AS ENUM ('low', 'high-ish'); CREATE DOMAIN p5.positive AS int4 CHECK (VALUE > 0);"
      "CREATE TYPE p5.floatrange AS RANGE (subtype = float8)");
  const TypeInfo thing = conn.type_info("p5.thing");
  EXPECT_EQ(thing.kind, TypeKind::composite);
  EXPECT_EQ(thing.name, "p5.thing");
  EXPECT_EQ(thing.oid, conn.query_value<std::int64_t>("SELECT 'p5.thing'::regtype::oid::int8"));
  EXPECT_EQ(thing.array_oid, conn.query_value<std::int64_t>("SELECT 'p5.thing[]'::regtype::oid::int8"));
  EXPECT_EQ(thing.fields, (std::vector<pgkit::CompositeField>{
                              {"id", pgkit::oid::int8}, {"label", pgkit::oid::text}, {"tags", pgkit::oid::text_array}}));
  EXPECT_EQ(thing.field_index("label"), 1U);
  EXPECT_THAT([&] { (void)thing.field_index("gone"); }, ::testing::ThrowsMessage<InterfaceError>(HasSubstr("id, label, tags")));
  const TypeInfo level = conn.type_info("p5.level");
  EXPECT_EQ(level.kind, TypeKind::enumeration);
  EXPECT_EQ(level.labels, (std::vector<std::string>{"low", "high-ish"}));
  const TypeInfo positive = conn.type_info("p5.positive");
  EXPECT_EQ(positive.kind, TypeKind::domain);
  EXPECT_EQ(positive.base_type, pgkit::oid::int4);
  const TypeInfo range = conn.type_info("p5.floatrange");
  EXPECT_EQ(range.kind, TypeKind::range);
  EXPECT_EQ(range.base_type, pgkit::oid::float8);
  EXPECT_EQ(conn.type_info("int4").oid, pgkit::oid::int4);
  EXPECT_EQ(conn.type_info("integer[]").oid, pgkit::oid::int4_array);
  conn.execute_script("DROP SCHEMA p5 CASCADE");
}

TEST_F(TypeInfoTest, NamesAreParametersNotSql) {
  conn.execute_script(R"(CREATE TYPE "we'ird; type" AS (a int))");
  EXPECT_EQ(conn.type_info(R"("we'ird; type")").fields.size(), 1U);
  EXPECT_THROW((void)conn.type_info("int4'); DROP TYPE \"we'ird; type\"; --"), pgkit::Error);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_type WHERE typname = 'we''ird; type'"), 1);
  conn.execute_script(R"(DROP TYPE "we'ird; type")");
}

TEST_F(TypeInfoTest, CachesPerConnectionUntilCleared) {
  conn.execute_script("CREATE TYPE cached_t AS (a int)");
  EXPECT_EQ(conn.cached_type_count(), 0U);
  const TypeInfo first = conn.type_info("cached_t");
  EXPECT_EQ(conn.cached_type_count(), 1U);
  conn.execute_script("DROP TYPE cached_t");
  // Dropped, yet still answered: the second lookup did not ask the server.
  EXPECT_EQ(conn.type_info("cached_t").oid, first.oid);
  EXPECT_EQ(conn.cached_type_count(), 1U);
  // Another connection has its own cache.
  pgkit::Connection other = connect();
  EXPECT_THROW((void)other.type_info("cached_t"), InterfaceError);
  conn.clear_type_cache();
  EXPECT_EQ(conn.cached_type_count(), 0U);
  EXPECT_THROW((void)conn.type_info("cached_t"), InterfaceError);
}

TEST_F(TypeInfoTest, UnknownNamesAreInterfaceErrors) {
  EXPECT_THAT([&] { (void)conn.type_info("no_such_type"); },
              ::testing::ThrowsMessage<InterfaceError>(HasSubstr("no type named \"no_such_type\"")));
  EXPECT_THROW((void)conn.type_info(""), InterfaceError);
  EXPECT_EQ(conn.cached_type_count(), 0U);  // failures are not cached
}

class TypesHstore : public pgkit::types_test::TypesTest {
 protected:
  void SetUp() override { conn.execute_script("CREATE EXTENSION IF NOT EXISTS hstore"); }
};

TEST_F(TypesHstore, ReadsAndWritesHstoreInBothFormats) {
  const pgkit::Hstore expected{{"a", "1"}, {"b", std::nullopt}, {"k \"q\"=>", "v\\w, x"}, {"", ""}};
  const std::string literal = R"('a=>1, b=>NULL, "k \"q\"=>"=>"v\\w, x", ""=>""'::hstore)";
  expect_both(conn, literal, expected);
  expect_both(conn, "''::hstore", pgkit::Hstore{});
  const TypeInfo info = conn.type_info("hstore");
  EXPECT_EQ(info.kind, TypeKind::base);
  EXPECT_EQ(conn.execute_script("SELECT " + literal).column_type(0), info.oid);
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1::hstore = " + literal, expected));
  EXPECT_EQ(conn.query_value<pgkit::Hstore>("SELECT $1::hstore", expected), expected);
  EXPECT_THROW((void)read_text<pgkit::Hstore>(conn, "'not hstore'::text"), ConversionError);
}

}  // namespace
