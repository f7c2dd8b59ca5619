// nlohmann::json through json and jsonb: parameters, columns, arrays, NULLs, numbers, large documents,
// values the server builds, binary and text results, and the errors for what cannot be converted.
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/json.hpp>

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

// The value of a one-row, one-column SELECT, read from binary results (extended protocol) and from text
// results (simple protocol); both must agree.
template <class T = json>
T select_both_ways(pgkit::Connection& conn, const std::string& select) {
  const auto binary = conn.query_value<T>(select);
  const auto text = conn.execute_script(select).one().as<T>();
  EXPECT_EQ(binary, text) << select;
  return binary;
}

std::vector<std::string> keys_of(const ordered_json& object) {
  std::vector<std::string> keys;
  for (const auto& item : object.items()) keys.push_back(item.key());
  return keys;
}

// A document of about `bytes` bytes: an array of records with text, numbers and nesting.
json large_document(std::size_t bytes) {
  json records = json::array();
  std::size_t size = 0;
  for (int i = 0; size < bytes; ++i) {
    json record = {{"id", i},
                   {"name", fmt::format("record {} with \"quotes\", \\backslashes\\ and \u00e9\u65e5", i)},
                   {"price", i * 0.25},
                   {"tags", {"a", "b", i % 7}},
                   {"nested", {{"level", {{"deeper", i % 2 == 0}}}}}};
    size += record.dump().size() + 1;
    records.push_back(std::move(record));
  }
  return records;
}

class JsonValues : public pgkit::testing::DatabaseTest {};

TEST_F(JsonValues, RoundTripsThroughJsonb) {
  auto conn = connect();
  const json value = {{"preferences", {{"theme", "dark"}}}, {"n", 3}};
  EXPECT_EQ(conn.query_value<json>("SELECT $1::jsonb", value), value);
  EXPECT_EQ(conn.query_value<json>("SELECT $1::json", value), value);
  EXPECT_EQ(conn.query_value<std::string>("SELECT jsonb_typeof($1)", value), "object");
}

TEST_F(JsonValues, ScalarsAndEmptyContainers) {
  auto conn = connect();
  for (const json& value : {json(nullptr), json(true), json(false), json(0), json(-1), json("text"), json(""),
                            json::array(), json::object(), json(2.5)}) {
    EXPECT_EQ(conn.query_value<json>("SELECT $1::jsonb", value), value) << value.dump();
  }
}

// json keeps the text as written: key order, duplicate keys, whitespace. jsonb keeps one value per key
// in its own order.
TEST_F(JsonValues, JsonKeepsKeyOrderAndDuplicatesJsonbDoesNot) {
  auto conn = connect();
  conn.exec("CREATE TABLE documents_order (id int PRIMARY KEY, plain json, indexed jsonb)");
  const std::string text = R"({"zebra": 1, "apple": 2, "mango": {"y": true, "x": false}, "apple": 3})";
  conn.exec("INSERT INTO documents_order VALUES (1, $1::json, $2::jsonb)", text, text);

  EXPECT_EQ(conn.query_value<std::string>("SELECT plain::text FROM documents_order"), text);
  const auto plain = conn.query_value<ordered_json>("SELECT plain FROM documents_order");
  EXPECT_EQ(keys_of(plain), (std::vector<std::string>{"zebra", "apple", "mango"}));
  EXPECT_EQ(keys_of(plain["mango"]), (std::vector<std::string>{"y", "x"}));
  EXPECT_EQ(plain["apple"], 3);  // the last duplicate wins, as it does for the server's own -> operator
  EXPECT_EQ(conn.query_value<int>("SELECT (plain->>'apple')::int FROM documents_order"), 3);

  EXPECT_EQ(conn.query_value<std::string>("SELECT indexed::text FROM documents_order"),
            R"({"apple": 3, "mango": {"x": false, "y": true}, "zebra": 1})");
  const auto binary = conn.query_value<ordered_json>("SELECT indexed FROM documents_order");
  EXPECT_EQ(keys_of(binary), (std::vector<std::string>{"apple", "mango", "zebra"}));
  EXPECT_EQ(conn.query_value<json>("SELECT plain FROM documents_order"),
            conn.query_value<json>("SELECT indexed FROM documents_order"));

  // The same through text results.
  EXPECT_EQ(keys_of(conn.execute_script("SELECT plain FROM documents_order").one().as<ordered_json>()),
            (std::vector<std::string>{"zebra", "apple", "mango"}));
}

// ordered_json goes untyped, so a json column (or a cast to json) keeps the order it was built in, while
// jsonb contexts still take it.
TEST_F(JsonValues, OrderedJsonKeepsItsOrderInAJsonColumn) {
  auto conn = connect();
  conn.exec("CREATE TABLE documents_ordered_param (doc json, docs json[], indexed jsonb)");
  ordered_json document;
  document["zebra"] = 1;
  document["apple"] = {{"second", 2}, {"first", 1}};
  document["b"] = "last";
  const std::vector<ordered_json> documents{document, ordered_json{{"y", 1}, {"x", 2}}};
  conn.exec("INSERT INTO documents_ordered_param VALUES ($1, $2, $3)", document, documents, document);

  const auto back = conn.query_value<ordered_json>("SELECT doc FROM documents_ordered_param");
  EXPECT_EQ(keys_of(back), (std::vector<std::string>{"zebra", "apple", "b"}));
  EXPECT_EQ(back, document);
  EXPECT_EQ(conn.query_value<std::vector<ordered_json>>("SELECT docs FROM documents_ordered_param"), documents);
  EXPECT_EQ(conn.query_value<ordered_json>("SELECT $1::json", document), document);

  EXPECT_EQ(keys_of(conn.query_value<ordered_json>("SELECT indexed FROM documents_ordered_param")),
            (std::vector<std::string>{"b", "apple", "zebra"}));
  conn.exec("UPDATE documents_ordered_param SET indexed = jsonb_set(indexed, '{apple}', $1)", ordered_json(5));
  EXPECT_EQ(conn.query_value<int>("SELECT (indexed->>'apple')::int FROM documents_ordered_param"), 5);
  EXPECT_TRUE(conn.query_value<bool>("SELECT indexed @> $1 FROM documents_ordered_param", ordered_json{{"b", "last"}}));
}

TEST_F(JsonValues, ArraysOfJsonbBothWays) {
  auto conn = connect();
  const std::vector<json> values{
      {{"a", 1}}, json::array({1, "two", nullptr}), json(nullptr), json("s\"q"), json(-3.5), json::object()};
  EXPECT_EQ(conn.query_value<std::vector<json>>("SELECT $1::jsonb[]", values), values);
  EXPECT_EQ(conn.query_value<int>("SELECT cardinality($1::jsonb[])", values), 6);
  EXPECT_EQ(conn.query_value<std::string>("SELECT ($1::jsonb[])[2]->>1", values), "two");

  const std::string built = R"(SELECT ARRAY['{"a": 1}'::jsonb, '[1, "two", null]', 'null', '"s\"q"', '-3.5', '{}'])";
  EXPECT_EQ(select_both_ways<std::vector<json>>(conn, built), values);
  EXPECT_EQ(conn.query_value<std::vector<json>>("SELECT ARRAY[]::jsonb[]"), std::vector<json>{});

  // SQL NULL elements and JSON null elements are different things.
  const auto with_nulls = conn.query_value<std::vector<std::optional<json>>>("SELECT ARRAY[NULL, 'null']::jsonb[]");
  ASSERT_EQ(with_nulls.size(), 2U);
  EXPECT_EQ(with_nulls[0], std::nullopt);
  EXPECT_EQ(with_nulls[1], json(nullptr));
}

TEST_F(JsonValues, ArraysOfJsonKeepTheirElementsOrder) {
  auto conn = connect();
  const auto elements = select_both_ways<std::vector<ordered_json>>(
      conn, R"(SELECT ARRAY['{"b": 1, "a": 2}'::json, '[3, {"d": 4, "c": 5}]'::json])");
  ASSERT_EQ(elements.size(), 2U);
  EXPECT_EQ(keys_of(elements[0]), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(keys_of(elements[1][1]), (std::vector<std::string>{"d", "c"}));
}

TEST_F(JsonValues, SqlNullIsNulloptAndJsonNullIsAValue) {
  auto conn = connect();
  EXPECT_EQ(conn.query_value<std::optional<json>>("SELECT NULL::jsonb"), std::nullopt);
  EXPECT_EQ(conn.query_value<std::optional<json>>("SELECT NULL::json"), std::nullopt);
  EXPECT_EQ(conn.query_value<std::optional<json>>("SELECT 'null'::jsonb"), json(nullptr));
  EXPECT_THROW(conn.query_value<json>("SELECT NULL::jsonb"), pgkit::UnexpectedNull);

  EXPECT_TRUE(conn.query_value<bool>("SELECT $1::jsonb IS NULL", std::optional<json>()));
  EXPECT_FALSE(conn.query_value<bool>("SELECT $1::jsonb IS NULL", std::optional<json>(nullptr)));
  EXPECT_EQ(conn.query_value<std::string>("SELECT jsonb_typeof($1)", json(nullptr)), "null");
}

TEST_F(JsonValues, NestedUnicodeAndEscapes) {
  auto conn = connect();
  const std::string tricky =
      "quote \" backslash \\ slash / newline \n tab \t return \r control \x01\x1f delete \x7f "
      "\u00e9 \u65e5\u672c\u8a9e \U0001F600 e\u0301 \u202e\u05e9\u05dc\u05d5\u05dd \u2028 \ufeff";
  json document = {{"text", tricky}, {"\u00e9\u65e5 \"key\" \\", tricky}, {"list", {tricky, {{"inner", tricky}}}}};
  json deep = "bottom";
  for (int i = 0; i < 200; ++i) deep = json::array({deep, i});
  document["deep"] = deep;

  EXPECT_EQ(conn.query_value<json>("SELECT $1::jsonb", document), document);
  EXPECT_EQ(conn.query_value<json>("SELECT $1::json", document), document);
  // The server sees the string itself, not an escaped form of it.
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::jsonb->>'text'", document), tricky);
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::jsonb->'list'->1->>'inner'", document), tricky);
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::jsonb->>$2", document, "\u00e9\u65e5 \"key\" \\"), tricky);

  conn.exec("CREATE TABLE documents_unicode (doc jsonb)");
  conn.exec("INSERT INTO documents_unicode VALUES ($1)", document);
  EXPECT_EQ(select_both_ways(conn, "SELECT doc FROM documents_unicode"), document);
}

// jsonb cannot hold U+0000; the server refuses it rather than cutting the string short.
TEST_F(JsonValues, ANulCharacterInAStringIsRefusedByJsonb) {
  auto conn = connect();
  const json with_nul = {{"s", std::string("before\0after", 12)}};
  EXPECT_THROW(conn.exec("SELECT $1::jsonb", with_nul), pgkit::UntranslatableCharacter);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(JsonValues, LargeDocuments) {
  auto conn = connect();
  const json document = large_document(1 << 20);
  ASSERT_GE(document.dump().size(), std::size_t{1} << 20);
  conn.exec("CREATE TABLE documents_large (id int, doc jsonb, plain json)");
  conn.exec("INSERT INTO documents_large VALUES (1, $1, $1::json)", document);
  EXPECT_EQ(conn.query_value<json>("SELECT doc FROM documents_large"), document);
  EXPECT_EQ(conn.query_value<json>("SELECT plain FROM documents_large"), document);
  EXPECT_EQ(conn.execute_script("SELECT doc FROM documents_large").one().as<json>(), document);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT jsonb_array_length(doc) FROM documents_large"),
            static_cast<std::int64_t>(document.size()));
  EXPECT_EQ(conn.query_value<std::string>("SELECT doc->1234->>'name' FROM documents_large"),
            document[1234]["name"].get<std::string>());
}

TEST_F(JsonValues, IntegersKeepEveryDigit) {
  auto conn = connect();
  const json numbers = {{"min", std::numeric_limits<std::int64_t>::min()},
                        {"max", std::numeric_limits<std::int64_t>::max()},
                        {"umax", std::numeric_limits<std::uint64_t>::max()},
                        {"beyond_double", std::int64_t{9007199254740993}}};
  const auto back = conn.query_value<json>("SELECT $1::jsonb", numbers);
  EXPECT_EQ(back, numbers);
  EXPECT_EQ(back["umax"].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(back["beyond_double"].get<std::int64_t>(), 9007199254740993);
  // The server holds the exact integers, not doubles.
  EXPECT_EQ(conn.query_value<std::string>("SELECT ($1::jsonb->>'umax')::numeric::text", numbers),
            "18446744073709551615");
  EXPECT_EQ(conn.query_value<std::string>("SELECT ($1::jsonb->>'min')::numeric::text", numbers),
            "-9223372036854775808");
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT ($1::jsonb->>'beyond_double')::bigint", numbers), 9007199254740993);
}

TEST_F(JsonValues, FloatsRoundTripExactly) {
  auto conn = connect();
  for (const double value : {0.1, -2.5, 1.0 / 3.0, 1e300, -1e-300, 5e-324, 1.7976931348623157e308, 123456.789e-10}) {
    const auto back = conn.query_value<json>("SELECT $1::jsonb", json{{"f", value}});
    EXPECT_EQ(back["f"].get<double>(), value) << fmt::format("{}", value);
  }
  EXPECT_TRUE(conn.query_value<bool>("SELECT ($1::jsonb->>'f')::numeric = 0.1", json{{"f", 0.1}}));
  // Numbers from the server with more digits than a double holds read as the nearest double.
  EXPECT_EQ(conn.query_value<json>("SELECT '123456789012345678901234567890'::jsonb").get<double>(),
            123456789012345678901234567890.0);
}

// nlohmann writes NaN and infinities as null; sending them would silently store something else.
TEST_F(JsonValues, NonFiniteNumbersAreAConversionError) {
  auto conn = connect();
  for (const double value : {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                             -std::numeric_limits<double>::infinity()}) {
    const json document = {{"values", {1, {{"bad", value}}}}};
    try {
      conn.exec("SELECT $1::jsonb", document);
      ADD_FAILURE() << "sent " << value << " as " << document.dump();
    } catch (const pgkit::ConversionError& e) {
      EXPECT_NE(std::string_view(e.what()).find("finite"), std::string_view::npos) << e.what();
    }
  }
}

// A number beyond any double from the server is a ConversionError, not an infinity.
TEST_F(JsonValues, NumbersBeyondDoubleFromTheServerAreAConversionError) {
  auto conn = connect();
  EXPECT_THROW(conn.query_value<json>("SELECT '1e400'::jsonb"), pgkit::ConversionError);
}

TEST_F(JsonValues, ValuesBuiltByTheServer) {
  auto conn = connect();
  EXPECT_EQ(select_both_ways(conn, "SELECT jsonb_build_object('a', 1, 'b', ARRAY[1, 2], 'c', NULL, 'd', 'x''y')"),
            (json{{"a", 1}, {"b", {1, 2}}, {"c", nullptr}, {"d", "x'y"}}));
  EXPECT_EQ(keys_of(select_both_ways<ordered_json>(conn, "SELECT json_build_object('z', 1, 'a', 2, 'm', 3)")),
            (std::vector<std::string>{"z", "a", "m"}));

  conn.exec("CREATE TABLE products_json (id int, name text, price numeric(10,2), tags text[], added date)");
  conn.exec("INSERT INTO products_json VALUES (1, 'Laptop', 999.99, ARRAY['pc', 'new'], '2024-02-29')");
  EXPECT_EQ(select_both_ways(conn, "SELECT to_jsonb(p) FROM products_json p"),
            (json{{"id", 1}, {"name", "Laptop"}, {"price", 999.99}, {"tags", {"pc", "new"}}, {"added", "2024-02-29"}}));
  // row_to_json gives json, in column order.
  EXPECT_EQ(keys_of(select_both_ways<ordered_json>(conn, "SELECT row_to_json(p) FROM products_json p")),
            (std::vector<std::string>{"id", "name", "price", "tags", "added"}));
  EXPECT_EQ(select_both_ways(conn, "SELECT jsonb_agg(name) FROM products_json"), json::array({"Laptop"}));
}

TEST_F(JsonValues, InvalidUtf8InAStringIsAConversionError) {
  auto conn = connect();
  for (const json& document : {json{{"name", std::string("caf\xc3")}}, json{{std::string("\xff key"), 1}},
                               json::array({"ok", std::string("\xed\xa0\x80")})}) {
    EXPECT_THROW(conn.exec("SELECT $1::jsonb", document), pgkit::ConversionError);
  }
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);  // nothing was sent; the connection is fine
}

TEST_F(JsonValues, TextThatIsNotJsonIsAConversionErrorNamingTheColumn) {
  auto conn = connect();
  conn.exec("CREATE TABLE profiles_text (bio text, raw varchar(40))");
  conn.exec("INSERT INTO profiles_text VALUES ('not json at all', '{\"valid\": true}')");
  try {
    static_cast<void>(conn.query_value<json>("SELECT bio FROM profiles_text"));
    ADD_FAILURE() << "non-JSON text was read as JSON";
  } catch (const pgkit::ConversionError& e) {
    EXPECT_NE(std::string_view(e.what()).find("\"bio\""), std::string_view::npos) << e.what();
  }
  try {
    static_cast<void>(conn.execute_script("SELECT bio AS biography FROM profiles_text").one().as<json>());
    ADD_FAILURE() << "non-JSON text was read as JSON";
  } catch (const pgkit::ConversionError& e) {
    EXPECT_NE(std::string_view(e.what()).find("\"biography\""), std::string_view::npos) << e.what();
  }
  // Text that is JSON reads fine.
  EXPECT_EQ(conn.query_value<json>("SELECT raw FROM profiles_text"), (json{{"valid", true}}));
}

TEST_F(JsonValues, OtherTypesAreAConversionError) {
  auto conn = connect();
  try {
    static_cast<void>(conn.query_value<json>("SELECT 42 AS answer"));
    ADD_FAILURE() << "an integer was read as JSON";
  } catch (const pgkit::ConversionError& e) {
    EXPECT_NE(std::string_view(e.what()).find("\"answer\""), std::string_view::npos) << e.what();
  }
}

}  // namespace
