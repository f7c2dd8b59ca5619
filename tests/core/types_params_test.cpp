// Parameters built at run time with pgkit::Params, and values that must be refused: by pgkit before
// anything is sent, or by the server with the right error class.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/params.hpp>

#include <gmock/gmock.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using pgkit::ConversionError;
using pgkit::Params;
using pgkit::TransactionStatus;
using ::testing::HasSubstr;

class TypesParams : public pgkit::types_test::TypesTest {};

TEST_F(TypesParams, BuiltAtRunTime) {
  Params params;
  params.add(7).add(std::string("seven")).add_null().add(std::optional<int>()).add(std::optional<int>(5));
  params.add(std::nullopt);
  EXPECT_EQ(params.size(), 6U);
  const auto [number, word, null_a, null_b, five, null_c] = conn.query_one<int, std::string, bool, bool, int, bool>(
      "SELECT $1::int, $2::text, $3::text IS NULL, $4::int IS NULL, $5::int, $6::date IS NULL", params);
  EXPECT_EQ(number, 7);
  EXPECT_EQ(word, "seven");
  EXPECT_TRUE(null_a);
  EXPECT_TRUE(null_b);
  EXPECT_EQ(five, 5);
  EXPECT_TRUE(null_c);
}

TEST_F(TypesParams, ConditionsCollectedInALoop) {
  conn.execute_script(
      "CREATE TEMP TABLE items (name text, price numeric, stock int);"
      "INSERT INTO items VALUES ('a', 5, 0), ('b', 50, 10), ('c', 500, 20), ('d', 60, 30)");
  const std::vector<std::pair<std::string, int>> minimums = {{"price", 10}, {"stock", 15}};
  std::string sql = "SELECT name FROM items WHERE true";
  Params params;
  for (const auto& [column, minimum] : minimums) {
    params.add(minimum);
    // Column names come from this fixed list, never from input; values are parameters.
    sql += fmt::format(" AND {} >= ${}", column == "price" ? "price" : "stock", params.size());
  }
  EXPECT_EQ(conn.query<std::string>(sql + " ORDER BY name", params), (std::vector<std::string>{"c", "d"}));
}

TEST_F(TypesParams, TypedNullsAndTypes) {
  Params params;
  params.add_null(pgkit::oid::int4).add(std::int16_t{1}).add(1.5).add(pgkit::Bytes{});
  EXPECT_EQ(params.types(),
            (std::vector<pgkit::Oid>{pgkit::oid::int4, pgkit::oid::int2, pgkit::oid::float8, pgkit::oid::bytea}));
  const auto types = conn.query_one<std::string, std::string, std::string, std::string>(
      "SELECT pg_typeof($1)::text, pg_typeof($2)::text, pg_typeof($3)::text, pg_typeof($4)::text", params);
  EXPECT_EQ(types, std::make_tuple("integer", "smallint", "double precision", "bytea"));
}

TEST_F(TypesParams, ConstructedFromValuesAndReused) {
  Params params(1, "two", 3.0);
  EXPECT_EQ(params.size(), 3U);
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::text || $2 || $3::text", params), "1two3");
  params.clear();
  EXPECT_TRUE(params.empty());
  params.add(std::string("again"));
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1", params), "again");
}

TEST_F(TypesParams, BorrowedValuesAreSentAsIs) {
  const std::string text = "borrowed";
  const pgkit::Bytes bytes = {std::byte{1}, std::byte{2}};
  Params params;
  params.add_borrowed(text).add_borrowed(bytes);
  const auto [value, length] = conn.query_one<std::string, int>("SELECT $1, length($2)", params);
  EXPECT_EQ(value, "borrowed");
  EXPECT_EQ(length, 2);
}

// ---------------------------------------------------------------------------------------------------
// Bad values

TEST_F(TypesParams, NulByteInAStringIsRefusedBeforeSending) {
  // Inside a transaction a statement the server rejected would leave it failed; a refusal by pgkit must
  // leave it usable, which shows nothing was sent.
  conn.execute_script("BEGIN");
  const std::string with_nul("before\0after", 12);
  try {
    (void)conn.exec("SELECT $1::text", with_nul);
    FAIL() << "a string with a NUL byte was sent";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("NUL"));
    EXPECT_THAT(e.what(), HasSubstr("$1"));
  }
  EXPECT_EQ(conn.transaction_status(), TransactionStatus::in_transaction);
  EXPECT_THROW((void)conn.exec("SELECT $1, $2", 1, std::string_view(with_nul)), ConversionError);
  EXPECT_THROW(Params().add(with_nul), ConversionError);
  EXPECT_THROW((void)conn.exec("SELECT $1", std::vector<std::string>{"ok", with_nul}), ConversionError);
  EXPECT_EQ(conn.transaction_status(), TransactionStatus::in_transaction);
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1", std::string("still fine")), "still fine");
  conn.execute_script("ROLLBACK");
  EXPECT_EQ(conn.transaction_status(), TransactionStatus::idle);
}

TEST_F(TypesParams, IntegerTooLargeForTheColumnIsRejectedByTheServer) {
  conn.execute_script("CREATE TEMP TABLE small (n integer)");
  try {
    conn.exec("INSERT INTO small VALUES ($1)", std::int64_t{3'000'000'000});
    FAIL() << "3000000000 was stored in an integer column";
  } catch (const pgkit::NumericValueOutOfRange& e) {
    EXPECT_EQ(e.sqlstate(), "22003");
  }
  EXPECT_THROW(conn.exec("SELECT $1::int", std::int64_t{-3'000'000'000}), pgkit::DataError);
  EXPECT_THROW(conn.exec("SELECT $1::smallint", 40000), pgkit::NumericValueOutOfRange);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM small"), 0);
}

TEST_F(TypesParams, BigintTooLargeForInt32IsAConversionErrorWhenRead) {
  try {
    (void)conn.query_value<std::int32_t>("SELECT 3000000000::bigint AS big");
    FAIL() << "3000000000 was read as int32";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"big\""));
    EXPECT_THAT(e.what(), HasSubstr("int32"));
  }
  EXPECT_THROW((void)conn.execute_script("SELECT 3000000000::bigint").one()[0].as<std::int32_t>(), ConversionError);
}

TEST_F(TypesParams, InvalidUtf8IsRejectedByTheServer) {
  for (const std::string& bad : {std::string("\xff\xfe"), std::string("abc\xc3"), std::string("\xed\xa0\x80")}) {
    try {
      (void)conn.exec("SELECT $1::text", bad);
      FAIL() << "invalid UTF-8 was accepted";
    } catch (const pgkit::CharacterNotInRepertoire& e) {
      EXPECT_EQ(e.sqlstate(), "22021");
      EXPECT_NE(dynamic_cast<const pgkit::DataError*>(&e), nullptr);
    }
  }
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1", std::string("\u00e9")), "\u00e9");
}

}  // namespace
