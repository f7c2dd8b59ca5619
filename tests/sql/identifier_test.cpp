// pgkit::sql::Identifier: validation, and thousands of hostile names checked against the server to become
// exactly one identifier each, byte for byte.
#include "sql/printable.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

using pgkit::InterfaceError;
using pgkit::sql::Composed;
using pgkit::sql::Identifier;
using pgkit::sql::Literal;
using pgkit::sql::SQL;
using pgkit::testing::printable;

constexpr std::size_t kMaxIdentifierBytes = 63;  // NAMEDATALEN - 1

// Written independently of the library's check, so that a bug there cannot hide one here.
bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t code = 0;
    std::uint32_t smallest = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2, code = lead & 0x1Fu, smallest = 0x80;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3, code = lead & 0x0Fu, smallest = 0x800;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4, code = lead & 0x07u, smallest = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

bool is_acceptable_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxIdentifierBytes && name.find('\0') == std::string_view::npos &&
         is_valid_utf8(name);
}

// Drops whole characters from the end until `name` fits in an identifier.
void clip_to_identifier(std::string& name) {
  while (name.size() > kMaxIdentifierBytes) {
    while ((static_cast<unsigned char>(name.back()) & 0xC0) == 0x80) name.pop_back();
    name.pop_back();
  }
}

// Pieces that break naive quoting or confuse a naive reader of SQL; each is valid UTF-8 without NUL.
// clang-format off
constexpr std::string_view kHostilePieces[] = {
    // quoting and escaping
    "'", "\"", "\"\"", "\\", "\\\"", "\\\\", "\\'", "''", "E'", "e'\\'", "U&\"", "U&'",
    // statement structure, comments, dollar quotes, placeholders and format slots
    ";", "--", "/*", "*/", "/* x */", "$$", "$tag$", "$1", "$0", "?", ":name", "%s", "{}", "{0}", "{", "}", "(", ")",
    ",", ".", "a\".\"b", "\"a\".\"b\"", "\"; DROP SCHEMA public CASCADE; --",
    // control characters and blanks
    "\n", "\r\n", "\t", "\x01", "\x07", "\x1b[31m", "\x1f", "\x7f", "\f", "\v", " ", "  ",
    // multi-byte, combining, right-to-left, invisible
    "\u00e9", "\u65e5\u672c\u8a9e", "\U0001F600", "e\u0301", "\u202e", "\u05e9\u05dc\u05d5\u05dd",
    "\u0645\u0631\u062d\u0628\u0627", "\u200b", "\u200d", "\ufeff", "\u00a0", "\u2028", "\U0010FFFF", "\ufffd",
    // keywords and plain words, in several cases
    "SELECT", "select", "DROP TABLE users", "OR 1=1", "UNION SELECT", "NULL", "pg_catalog", "public", "table",
    "name", "Name", "NAME", "x", "X", "_", "0", "9"};
// clang-format on

// Deterministic hostile names: the same seed gives the same names on every run and machine (mt19937's
// output is fixed by the standard; the library's distributions are not, so none are used).
class HostileNames {
 public:
  explicit HostileNames(std::uint32_t seed) : random_(seed) {}

  // A name PostgreSQL must take as one quoted identifier.
  std::string valid() {
    std::string name;
    switch (below(10)) {
      case 0: {  // exactly the longest name, often ending in multi-byte characters
        while (name.size() < kMaxIdentifierBytes) name += piece();
        clip_to_identifier(name);
        name.append(kMaxIdentifierBytes - name.size(), 'x');
        break;
      }
      case 1: {  // a keyword or word whose letters differ only in case
        name = std::string(piece());
        for (char& c : name) {
          const bool flip = below(2) == 0;  // drawn for every byte, so the sequence does not depend on the text
          if (flip && c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
          } else if (flip && c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
          }
        }
        break;
      }
      case 2: {  // looks like a qualified name; one draw per statement, as argument order is unspecified
        name = piece();
        name += below(2) == 0 ? "\".\"" : ".";
        name += piece();
        break;
      }
      default: {
        for (std::size_t count = 1 + below(6); count > 0; --count) name += piece();
        break;
      }
    }
    clip_to_identifier(name);
    return name;
  }

  // A name Identifier must refuse: empty, too long, holding NUL, or not UTF-8.
  std::string invalid() {
    std::string name = valid();
    const std::size_t at = below(name.size() + 1);
    const std::size_t shape = below(9);
    if (shape == 0) return {};
    if (shape == 1) name.append(kMaxIdentifierBytes + 1 - name.size() + below(40), 'y');
    while (shape == 2 && name.size() <= kMaxIdentifierBytes) name += "\u65e5";  // too long by whole characters
    if (shape == 3) name.insert(at, 1, '\0');
    if (shape == 4) name.insert(at, 1, static_cast<char>(0x80 + below(0x40)));             // a lone continuation byte
    if (shape == 5) name += "\xf0\x9f";                                                    // a cut four-byte character
    if (shape == 6) name.insert(at, below(2) == 0 ? "\xc0\xaf" : "\xe0\x80\xaf");          // overlong '/'
    if (shape == 7) name.insert(at, below(2) == 0 ? "\xed\xa0\x80" : "\xf4\x90\x80\x80");  // surrogate, > U+10FFFF
    if (shape == 8) name.insert(at, 1, below(2) == 0 ? '\xff' : '\xfe');
    return name;
  }

 private:
  std::size_t below(std::size_t bound) { return random_() % bound; }
  std::string_view piece() { return kHostilePieces[below(std::size(kHostilePieces))]; }

  std::mt19937 random_;
};

// Names chosen by hand for the edges the generator may miss.
std::vector<std::string> edge_case_names() {
  std::vector<std::string> names{"a",
                                 "A",
                                 " ",
                                 "\"",
                                 "\"\"",
                                 "'",
                                 "\\",
                                 "a\".\"b",
                                 "\"a\".\"b\"",
                                 "a.b",
                                 "select",
                                 "SELECT",
                                 "Select",
                                 "user",
                                 "?column?",
                                 "--",
                                 "/*",
                                 "*/",
                                 "$$",
                                 "$1",
                                 "\u202eevil",
                                 "e\u0301",
                                 "\u00e9",
                                 "\n",
                                 "\r\n",
                                 "\x01\x02\x03",
                                 std::string(kMaxIdentifierBytes, 'a'),
                                 std::string(kMaxIdentifierBytes, '"'),
                                 std::string(kMaxIdentifierBytes, '\'')};
  std::string japanese;
  for (int i = 0; i < 21; ++i) japanese += "\u65e5";  // 63 bytes in 21 characters
  names.push_back(japanese);
  std::string emoji;
  for (int i = 0; i < 15; ++i) emoji += "\U0001F600";  // 60 bytes
  names.push_back(emoji + "abc");
  return names;
}

// `SELECT <k> AS <name>, ...` for one batch of names, checked column by column. Returns what went wrong.
std::vector<std::string> check_column_names(pgkit::Connection& conn, const std::vector<std::string>& names) {
  std::vector<Composed> columns;
  columns.reserve(names.size());
  for (std::size_t k = 0; k < names.size(); ++k) {
    columns.push_back(SQL("{} AS {}").format(Literal(static_cast<int>(k)), Identifier(names[k])));
  }
  const pgkit::Result result = conn.exec(SQL("SELECT {}").format(SQL(", ").join(columns)));
  if (result.columns() != names.size() || result.size() != 1) {
    return {fmt::format("{} names gave {} columns and {} rows", names.size(), result.columns(), result.size())};
  }
  std::vector<std::string> problems;
  for (std::size_t k = 0; k < names.size(); ++k) {
    if (result.column_name(k) != names[k] || result[0][k].as<int>() != static_cast<int>(k)) {
      problems.push_back(
          fmt::format("column {}: sent \"{}\", got \"{}\"", k, printable(names[k]), printable(result.column_name(k))));
    }
  }
  return problems;
}

// PostgreSQL keeps these schema names for itself or already has them.
bool can_be_created_as_schema(std::string_view name) {
  return !name.starts_with("pg_") && name != "public" && name != "information_schema";
}

// Creates <schema>.<table> with a column named like the table, writes and reads a row through the
// qualified name, checks the catalog holds exactly those names, and drops the schema again.
void check_table_in_schema(pgkit::Connection& conn, const std::string& schema, const std::string& table) {
  SCOPED_TRACE(fmt::format("schema \"{}\", table \"{}\"", printable(schema), printable(table)));
  const Identifier qualified(schema, table);
  conn.exec(SQL("CREATE SCHEMA {}").format(Identifier(schema)));
  conn.exec(SQL("CREATE TABLE {} ({} int)").format(qualified, Identifier(table)));
  conn.exec(SQL("INSERT INTO {} ({}) VALUES ($1)").format(qualified, Identifier(table)), 7);
  EXPECT_EQ(conn.query_value<int>(SQL("SELECT {} FROM {}").format(Identifier(table), qualified)), 7);

  const auto relations = conn.query<std::string, std::string, std::string>(
      "SELECT n.nspname::text, c.relname::text, a.attname::text FROM pg_namespace n "
      "JOIN pg_class c ON c.relnamespace = n.oid JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 "
      "WHERE n.nspname = $1",
      schema);
  EXPECT_EQ(relations, (std::vector<std::tuple<std::string, std::string, std::string>>{{schema, table, table}}));

  conn.exec(SQL("DROP SCHEMA {} CASCADE").format(Identifier(schema)));
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema), 0);
}

// ---------------------------------------------------------------------------------------------------
// Validation, on the client

// The message of the InterfaceError Identifier throws for `name`; a test failure when it accepts it.
std::string rejection_of(std::string_view name) {
  try {
    [[maybe_unused]] const Identifier identifier(name);
  } catch (const InterfaceError& e) {
    return e.what();
  }
  ADD_FAILURE() << "Identifier accepted \"" << printable(name) << "\"";
  return {};
}

TEST(SqlIdentifierValidation, RejectsTheEmptyName) {
  const std::string message = rejection_of("");
  EXPECT_NE(message.find("empty"), std::string::npos) << message;
}

TEST(SqlIdentifierValidation, AcceptsSixtyThreeBytesAndRejectsSixtyFour) {
  EXPECT_EQ(Identifier(std::string(63, 'a')).str(), "\"" + std::string(63, 'a') + "\"");
  const std::string message = rejection_of(std::string(64, 'a'));
  EXPECT_NE(message.find("64 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("63"), std::string::npos) << message;
}

// PostgreSQL counts bytes, not characters: 63 characters can be too many.
TEST(SqlIdentifierValidation, CountsBytesOfMultiByteCharacters) {
  std::string twenty_one;
  for (int i = 0; i < 21; ++i) twenty_one += "\u65e5";
  EXPECT_EQ(Identifier(twenty_one).str(), "\"" + twenty_one + "\"");
  EXPECT_NE(rejection_of(twenty_one + "\u65e5").find("66 bytes"), std::string::npos);

  const std::string sixty_three_characters = std::string(62, 'a') + "\u00e9";  // 64 bytes
  const std::string message = rejection_of(sixty_three_characters);
  EXPECT_NE(message.find("64 bytes"), std::string::npos) << message;
}

TEST(SqlIdentifierValidation, RejectsNulBytes) {
  for (const std::string& name : {std::string("a\0b", 3), std::string("\0", 1), std::string("ab\0", 3)}) {
    const std::string message = rejection_of(name);
    EXPECT_NE(message.find("NUL"), std::string::npos) << message;
  }
}

TEST(SqlIdentifierValidation, RejectsInvalidUtf8) {
  for (const std::string_view name :
       {"\xff", "a\xc3", "\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xf0\x9f"}) {
    const std::string message = rejection_of(name);
    EXPECT_NE(message.find("UTF-8"), std::string::npos) << printable(name) << ": " << message;
  }
}

TEST(SqlIdentifierValidation, ValidatesEveryPartOfAQualifiedName) {
  EXPECT_THROW(Identifier("public", ""), InterfaceError);
  EXPECT_THROW(Identifier("", "products"), InterfaceError);
  EXPECT_THROW(Identifier("public", std::string(64, 't')), InterfaceError);
  EXPECT_THROW(Identifier("a", "b", std::string("c\0", 2)), InterfaceError);
  EXPECT_THROW(Identifier("a", "\xff"), InterfaceError);
}

// Messages end up in logs and JSON; a name cut inside a character or holding stray bytes must not make
// the message itself invalid UTF-8.
TEST(SqlIdentifierValidation, MessagesAreValidUtf8) {
  std::string long_japanese;
  for (int i = 0; i < 30; ++i) long_japanese += "\u65e5";
  for (const std::string& name : {long_japanese, std::string("\xff\xfe name"), std::string("a\xc3"),
                                  std::string(40, 'a') + "\xed\xa0\x80", "\u00e9" + std::string(70, 'b')}) {
    const std::string message = rejection_of(name);
    EXPECT_TRUE(is_valid_utf8(message)) << printable(message);
  }
}

TEST(SqlIdentifierValidation, GeneratedInvalidNamesAreAllRejected) {
  HostileNames names(0x5eed1dU);
  int rejected = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string name = names.invalid();
    ASSERT_FALSE(is_acceptable_name(name)) << "the generator made a valid name: " << printable(name);
    EXPECT_THROW(Identifier{name}, InterfaceError) << printable(name);
    EXPECT_THROW(Identifier("public", name), InterfaceError) << printable(name);
    ++rejected;
  }
  EXPECT_EQ(rejected, 1000);
}

// ---------------------------------------------------------------------------------------------------
// Against the server

class HostileIdentifiers : public pgkit::testing::DatabaseTest {};

TEST_F(HostileIdentifiers, EveryNameBecomesExactlyOneColumnNamedByteForByte) {
  constexpr std::size_t kNames = 5000;
  constexpr std::size_t kBatch = 500;
  HostileNames generator(20240229U);
  std::vector<std::string> names = edge_case_names();
  while (names.size() < kNames) names.push_back(generator.valid());
  for (const auto& name : names) ASSERT_TRUE(is_acceptable_name(name)) << printable(name);

  auto conn = connect();
  std::vector<std::string> problems;
  for (std::size_t first = 0; first < names.size(); first += kBatch) {
    const std::vector<std::string> batch(
        names.begin() + static_cast<std::ptrdiff_t>(first),
        names.begin() + static_cast<std::ptrdiff_t>(std::min(first + kBatch, names.size())));
    for (auto& problem : check_column_names(conn, batch)) problems.push_back(std::move(problem));
  }
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, the first: " << problems.front();
  // The generator must really be hostile, or the check above proves little.
  const auto holding = [&](std::string_view piece) {
    return std::count_if(names.begin(), names.end(), [&](const auto& n) { return n.find(piece) != std::string::npos; });
  };
  for (const std::string_view piece : {"\"", "'", "\\", ";", "--", "/*", "$$", "\n", "\u202e", "\U0001F600"}) {
    EXPECT_GE(holding(piece), 50) << printable(piece);
  }
  EXPECT_GE(std::count_if(names.begin(), names.end(), [](const auto& n) { return n.size() == kMaxIdentifierBytes; }),
            400);
}

TEST_F(HostileIdentifiers, SchemasAndTablesKeepTheirExactNames) {
  constexpr int kTables = 300;
  HostileNames generator(8675309U);
  std::set<std::string> schemas;
  auto conn = connect();
  while (static_cast<int>(schemas.size()) < kTables) {
    const std::string schema = generator.valid();
    const std::string table = generator.valid();
    if (!can_be_created_as_schema(schema) || !schemas.insert(schema).second) continue;
    check_table_in_schema(conn, schema, table);
    if (HasFatalFailure()) return;
  }
}

// Quoted names are case-sensitive: three names, three tables.
TEST_F(HostileIdentifiers, NamesDifferingOnlyInCaseAreDifferentTables) {
  auto conn = connect();
  const std::vector<std::string> names{"Stock", "stock", "STOCK"};
  conn.exec(SQL("CREATE SCHEMA {}").format(Identifier("Case Test")));
  for (std::size_t i = 0; i < names.size(); ++i) {
    conn.exec(SQL("CREATE TABLE {} (v int)").format(Identifier("Case Test", names[i])));
    conn.exec(SQL("INSERT INTO {} VALUES ($1)").format(Identifier("Case Test", names[i])), static_cast<int>(i));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(conn.query_value<int>(SQL("SELECT v FROM {}").format(Identifier("Case Test", names[i]))),
              static_cast<int>(i));
  }
  const auto tables = conn.query<std::string>(
      "SELECT relname::text FROM pg_class WHERE relnamespace = $1::regnamespace ORDER BY relname COLLATE \"C\"",
      Identifier("Case Test").str());
  EXPECT_EQ(tables, (std::vector<std::string>{"STOCK", "Stock", "stock"}));
}

}  // namespace
