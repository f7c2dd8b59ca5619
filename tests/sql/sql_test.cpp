// pgkit::sql composition: placeholders, SQL::format, join, and running what they compose.
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/sql.hpp>

#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

using pgkit::InterfaceError;
using pgkit::sql::Composed;
using pgkit::sql::Identifier;
using pgkit::sql::Literal;
using pgkit::sql::Placeholder;
using pgkit::sql::SQL;

// The message of the InterfaceError `compose` throws; a test failure (and "") when it throws nothing.
template <class Compose>
std::string interface_error_of(Compose&& compose) {
  try {
    static_cast<void>(compose());
  } catch (const InterfaceError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InterfaceError was thrown";
  return {};
}

TEST(SqlIdentifier, QuotesAndDoublesEmbeddedQuotes) {
  EXPECT_EQ(Identifier("products").str(), "\"products\"");
  EXPECT_EQ(Identifier("a\"b").str(), "\"a\"\"b\"");
  EXPECT_EQ(Identifier("\"").str(), "\"\"\"\"");
  EXPECT_EQ(Identifier("public", "products").str(), "\"public\".\"products\"");
  EXPECT_EQ(Identifier("db", "my schema", "t\"1").str(), "\"db\".\"my schema\".\"t\"\"1\"");
}

TEST(SqlPlaceholder, WritesDollarNumberWithinTheProtocolsRange) {
  EXPECT_EQ(Placeholder(1).str(), "$1");
  EXPECT_EQ(Placeholder(42).str(), "$42");
  EXPECT_EQ(Placeholder(65535).str(), "$65535");
}

TEST(SqlPlaceholder, RejectsNumbersOutsideOneTo65535) {
  for (const int number : {0, -1, -65535, 65536, 1'000'000}) {
    const std::string message = interface_error_of([&] { return Placeholder(number); });
    EXPECT_NE(message.find(std::to_string(number)), std::string::npos) << message;
    EXPECT_NE(message.find("1..65535"), std::string::npos) << message;
  }
}

TEST(SqlPlaceholders, CountsFromFirst) {
  EXPECT_EQ(pgkit::sql::placeholders(3).str(), "$1, $2, $3");
  EXPECT_EQ(pgkit::sql::placeholders(2, 5).str(), "$5, $6");
  EXPECT_EQ(pgkit::sql::placeholders(1, 65535).str(), "$65535");
  EXPECT_EQ(pgkit::sql::placeholders(0).str(), "");
}

TEST(SqlPlaceholders, RejectsNegativeCountsAndNumbersOutOfRange) {
  EXPECT_THROW(static_cast<void>(pgkit::sql::placeholders(-1)), InterfaceError);
  EXPECT_THROW(static_cast<void>(pgkit::sql::placeholders(2, 0)), InterfaceError);
  EXPECT_THROW(static_cast<void>(pgkit::sql::placeholders(2, 65535)), InterfaceError);  // the second is $65536
}

TEST(SqlFormat, FillsAutomaticSlotsInOrder) {
  const Composed query =
      SQL("SELECT {} FROM {} WHERE {} > {}")
          .format(Identifier("name"), Identifier("shop", "products"), Identifier("price"), Placeholder(1));
  EXPECT_EQ(query.str(), R"(SELECT "name" FROM "shop"."products" WHERE "price" > $1)");
}

TEST(SqlFormat, FillsNumberedSlotsInAnyOrderAndRepeated) {
  const Composed query = SQL("SELECT {1}, {0}, {1} FROM t").format(Identifier("a"), Identifier("b"));
  EXPECT_EQ(query.str(), R"(SELECT "b", "a", "b" FROM t)");
}

TEST(SqlFormat, DoubledBracesAreLiteralBraces) {
  EXPECT_EQ(SQL("SELECT '{{}}'::jsonb, {}").format(Literal(1)).str(), "SELECT '{}'::jsonb, 1");
  EXPECT_EQ(SQL("{{{}}}").format(Identifier("x")).str(), "{\"x\"}");
  EXPECT_EQ(SQL("no slots, {{0}}").format().str(), "no slots, {0}");
}

// Arguments are filled in once: braces inside a value are not slots, whatever they look like.
TEST(SqlFormat, ArgumentsAreNotReinterpreted) {
  const Composed query = SQL("SELECT {} AS {}").format(Literal("{0} {} }}"), Identifier("{1}"));
  EXPECT_EQ(query.str(), R"(SELECT '{0} {} }}' AS "{1}")");
}

TEST(SqlFormat, TooFewArgumentsIsAnInterfaceError) {
  const std::string message = interface_error_of([] { return SQL("SELECT {}, {}").format(Identifier("a")); });
  EXPECT_NE(message.find("argument 1"), std::string::npos) << message;
  EXPECT_NE(message.find("1 were given"), std::string::npos) << message;
  EXPECT_THROW(static_cast<void>(SQL("SELECT {2}").format(Identifier("a"), Identifier("b"))), InterfaceError);
  EXPECT_THROW(static_cast<void>(SQL("SELECT {}").format()), InterfaceError);
}

TEST(SqlFormat, AnUnusedArgumentIsAnInterfaceError) {
  const std::string message =
      interface_error_of([] { return SQL("SELECT {}").format(Identifier("a"), Identifier("b")); });
  EXPECT_NE(message.find("argument 1"), std::string::npos) << message;
  EXPECT_NE(message.find("not used"), std::string::npos) << message;
  EXPECT_THROW(static_cast<void>(SQL("SELECT {0}, {0}").format(Identifier("a"), Identifier("b"))), InterfaceError);
  EXPECT_THROW(static_cast<void>(SQL("SELECT 1").format(Literal(1))), InterfaceError);
}

TEST(SqlFormat, MixingAutomaticAndNumberedSlotsIsAnInterfaceError) {
  for (const std::string_view text : {"{} {0}", "{0} {}", "{1} {} {0}"}) {
    const std::string message = interface_error_of([&] { return SQL(text).format(Identifier("a"), Identifier("b")); });
    EXPECT_NE(message.find("mix"), std::string::npos) << text << ": " << message;
  }
}

TEST(SqlFormat, UnmatchedBracesAreAnInterfaceError) {
  for (const std::string_view text : {"SELECT }", "SELECT {", "SELECT {} }", "SELECT {{} FROM t", "{0"}) {
    const std::string message = interface_error_of([&] { return SQL(text).format(Identifier("a")); });
    EXPECT_NE(message.find('\''), std::string::npos) << text << ": " << message;  // it quotes the brace
  }
}

TEST(SqlFormat, ASlotHoldsNothingButANumber) {
  for (const std::string_view text : {"{x}", "{ 0}", "{-1}", "{0x1}", "{1.0}", "{0 }"}) {
    const std::string message = interface_error_of([&] { return SQL(text).format(Identifier("a")); });
    EXPECT_NE(message.find("not a slot"), std::string::npos) << text << ": " << message;
  }
}

TEST(SqlJoin, SeparatesIdentifiersPlaceholdersAndComposedPieces) {
  EXPECT_EQ(SQL(", ").join(pgkit::sql::identifiers({"id", "na\"me", "Price"})).str(), R"("id", "na""me", "Price")");
  const std::vector<std::string> names{"a", "b"};
  EXPECT_EQ(SQL(".").join(pgkit::sql::identifiers(names)).str(), R"("a"."b")");
  EXPECT_EQ(SQL(" + ").join(std::vector<Placeholder>{Placeholder(2), Placeholder(1)}).str(), "$2 + $1");
  const std::vector<Composed> conditions{SQL("{} = {}").format(Identifier("a"), Placeholder(1)),
                                         SQL("{} IS NULL").format(Identifier("b"))};
  EXPECT_EQ(SQL(" AND ").join(conditions).str(), R"("a" = $1 AND "b" IS NULL)");
  EXPECT_EQ(SQL(", ").join(std::vector<Identifier>{}).str(), "");
  EXPECT_EQ(SQL(", ").join(std::vector<Literal>{Literal(1)}).str(), "1");
}

TEST(SqlComposed, ConcatenatesPieces) {
  Composed query = SQL("SELECT {}").format(Literal(1));
  query += SQL(" UNION ALL SELECT {}").format(Literal(2));
  const Composed full = query + SQL(" ORDER BY 1");
  EXPECT_EQ(full.str(), "SELECT 1 UNION ALL SELECT 2 ORDER BY 1");
  EXPECT_EQ(std::string_view(full), full.str());
}

TEST(SqlIdentifiers, ValidatesEveryName) {
  EXPECT_THROW(static_cast<void>(pgkit::sql::identifiers({"ok", ""})), InterfaceError);
  EXPECT_THROW(static_cast<void>(pgkit::sql::identifiers(std::vector<std::string>{"ok", std::string(64, 'x')})),
               InterfaceError);
}

class ComposedStatements : public pgkit::testing::DatabaseTest {};

TEST_F(ComposedStatements, RunWithParametersThroughExecAndQuery) {
  auto conn = connect();
  conn.exec(SQL("CREATE TABLE {} ({} int PRIMARY KEY, {} text NOT NULL)")
                .format(Identifier("Composed Items"), Identifier("Id"), Identifier("la\"bel")));
  const Composed insert =
      SQL("INSERT INTO {} ({}) VALUES ({})")
          .format(Identifier("public", "Composed Items"), SQL(", ").join(pgkit::sql::identifiers({"Id", "la\"bel"})),
                  pgkit::sql::placeholders(2));
  EXPECT_EQ(conn.exec(insert, 1, "one").affected_rows(), 1);
  EXPECT_EQ(conn.exec(insert, 2, "two").affected_rows(), 1);
  EXPECT_EQ(conn.exec(insert, 3, "three").affected_rows(), 1);  // by now the statement cache prepared it

  const Composed select =
      SQL("SELECT {0}, {1} FROM {2} WHERE {0} >= {3} ORDER BY {0}")
          .format(Identifier("Id"), Identifier("la\"bel"), Identifier("Composed Items"), Placeholder(1));
  const auto rows = conn.query<int, std::string>(select, 2);
  EXPECT_EQ(rows, (std::vector<std::tuple<int, std::string>>{{2, "two"}, {3, "three"}}));
  EXPECT_EQ(
      conn.query_value<std::string>(SQL("SELECT {} FROM {} WHERE {} = $1")
                                        .format(Identifier("la\"bel"), Identifier("Composed Items"), Identifier("Id")),
                                    1),
      "one");
}

// A composed statement goes through the same parameter-count check as plain text.
TEST_F(ComposedStatements, ParameterCountIsCheckedAgainstThePlaceholders) {
  auto conn = connect();
  const Composed query = SQL("SELECT {} + {}").format(Placeholder(1), Placeholder(2));
  EXPECT_EQ(conn.query_value<int>(query, 40, 2), 42);
  EXPECT_THROW(conn.exec(query, 1), InterfaceError);
}

}  // namespace
