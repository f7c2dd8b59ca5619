// Rows that cannot go in: found on the client (a value that does not fit or suit its column) or by the
// server (a constraint), first row or in the middle of a COPY. The error names the row (and the column
// where known), the COPY is rolled back whole, and the connection stays usable.
#include "bulk/copy_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/transaction.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::ConversionError;
using pgkit::InterfaceError;
using pgkit::copy_test::count_rows;
using pgkit::copy_test::expect_usable;
using pgkit::copy_test::message_of;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

class CopyErrors : public pgkit::testing::DatabaseTest {
 protected:
  // A table holding three rows before each COPY, so that "unchanged" is not just "empty".
  void create_table(const std::string& table, const std::string& columns) {
    conn.exec(fmt::format("CREATE TABLE {} ({})", table, columns));
    conn.exec(fmt::format("INSERT INTO {} (id) VALUES (1), (2), (3)", table));
  }
  // The rows of `table` as text, to compare before and after.
  std::vector<std::string> contents(const std::string& table) {
    return conn.query<std::string>(fmt::format("SELECT t::text FROM {} t ORDER BY 1", table));
  }

  pgkit::Connection conn = connect();
};

// A small buffer, so that rows before the bad one have already reached the server when it fails.
pgkit::CopyOptions small_buffer() {
  pgkit::CopyOptions options;
  options.buffer_bytes = 256;
  return options;
}

TEST_F(CopyErrors, IntegersConvertToTheColumnsWidth) {
  conn.exec("CREATE TABLE widths (small smallint, normal integer, big bigint)");
  // int into smallint and bigint, int64 into integer, unsigned into all: each range-checked.
  const std::vector<std::tuple<int, std::int64_t, int>> rows = {
      {-32768, -2147483648LL, std::numeric_limits<int>::min()}, {32767, 2147483647LL, std::numeric_limits<int>::max()}};
  EXPECT_EQ(pgkit::copy_in(conn, "widths", {"small", "normal", "big"}, rows), 2);
  const std::vector<std::tuple<std::uint16_t, std::uint32_t, std::uint64_t>> unsigned_rows = {
      {7, 2'000'000'000U, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())}};
  EXPECT_EQ(pgkit::copy_in(conn, "widths", {"small", "normal", "big"}, unsigned_rows), 1);
  using Row = std::tuple<std::string, std::string, std::string>;
  EXPECT_THAT((conn.query<std::string, std::string, std::string>(
                  "SELECT small::text, normal::text, big::text FROM widths ORDER BY big")),
              ElementsAre(Row{"-32768", "-2147483648", "-2147483648"}, Row{"32767", "2147483647", "2147483647"},
                          Row{"7", "2000000000", "9223372036854775807"}));
}

TEST_F(CopyErrors, IntegerOutOfRangeForItsColumnNamesRowAndColumn) {
  create_table("narrow", "id int, small smallint, normal integer, big bigint");
  const auto before = contents("narrow");
  struct Case {
    std::tuple<int, int, std::int64_t, std::uint64_t> bad;
    std::string column;
    std::string type;
  };
  const std::vector<Case> cases = {
      {{100, 32768, 0, 0}, "small", "smallint"},
      {{100, -32769, 0, 0}, "small", "smallint"},
      {{100, 0, std::int64_t{1} << 31, 0}, "normal", "integer"},
      {{100, 0, -(std::int64_t{1} << 31) - 1, 0}, "normal", "integer"},
      {{100, 0, 0, std::uint64_t{1} << 63}, "big", "bigint"},
  };
  for (const auto& c : cases) {
    // 1000 rows; row 701 is bad.
    std::vector<std::tuple<int, int, std::int64_t, std::uint64_t>> rows(1000, {10, 1, 1, 1});
    rows[700] = c.bad;
    const std::string message = message_of<ConversionError>([&] {
      pgkit::copy_in(conn, "narrow", {"id", "small", "normal", "big"}, rows, small_buffer());
    });
    EXPECT_THAT(message, AllOf(HasSubstr("row 701"), HasSubstr("column \"" + c.column + "\""),
                               HasSubstr("does not fit in " + c.type), HasSubstr("narrow")));
    EXPECT_EQ(contents("narrow"), before) << message;
    expect_usable(conn);
  }
}

TEST_F(CopyErrors, ValueOfTheWrongTypeForItsColumnIsRefusedBeforeAnythingIsSent) {
  create_table("typed", "id int, price numeric, born date, note text, tags int[]");
  const auto before = contents("typed");
  // Binary COPY does not convert: each of these would be garbage (or an obscure server error) if sent.
  EXPECT_THAT(message_of<InterfaceError>([&] {
                pgkit::copy_in(conn, "typed", {"id", "price"}, std::vector<std::tuple<int, double>>{{4, 1.5}});
              }),
              AllOf(HasSubstr("row 1"), HasSubstr("column \"price\" is numeric"), HasSubstr("double precision")));
  EXPECT_THAT(
      message_of<InterfaceError>([&] {
        pgkit::copy_in(conn, "typed", {"id", "born"}, std::vector<std::tuple<int, std::string>>{{4, "2024-01-01"}});
      }),
      AllOf(HasSubstr("column \"born\" is date"), HasSubstr("text")));
  EXPECT_THAT(message_of<InterfaceError>([&] { pgkit::copy_in(conn, "typed", {"note"}, std::vector<int>{1}); }),
              HasSubstr("column \"note\" is text"));
  EXPECT_THAT(message_of<InterfaceError>([&] {
                pgkit::copy_in(conn, "typed", {"id", "tags"},
                               std::vector<std::tuple<int, std::vector<std::int64_t>>>{{4, {1, 2}}});
              }),
              AllOf(HasSubstr("column \"tags\" is integer[]"), HasSubstr("bigint[]")));
  EXPECT_THAT(message_of<InterfaceError>([&] {
                pgkit::copy_in(conn, "typed", {"id", "price"}, std::vector<std::tuple<int, std::int64_t>>{{4, 1}});
              }),
              HasSubstr("column \"price\" is numeric"));
  EXPECT_EQ(contents("typed"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, WrongTypeInTheMiddleOfACopyNamesThatRow) {
  create_table("mixed", "id int, note text, amount numeric");
  const auto before = contents("mixed");
  pgkit::CopyWriter writer(conn, "mixed", {"id", "note", "amount"}, small_buffer());
  for (int i = 0; i < 499; ++i)
    writer.write(std::tuple<int, std::string, pgkit::Decimal>{100 + i, "ok", pgkit::Decimal(i)});
  const std::string message = message_of<InterfaceError>([&] {
    writer.write(std::tuple<int, std::string, double>{999, "bad", 1.5});
  });
  EXPECT_THAT(message, AllOf(HasSubstr("row 500"), HasSubstr("column \"amount\" is numeric")));
  // The COPY is over: the writer refuses more rows and finish().
  EXPECT_THROW(writer.write(std::tuple<int, std::string, pgkit::Decimal>{1, "", pgkit::Decimal(1)}), InterfaceError);
  EXPECT_THROW(writer.finish(), InterfaceError);
  EXPECT_EQ(contents("mixed"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, StringWithANulByteNamesRowAndColumn) {
  create_table("notes", "id int, note text");
  const auto before = contents("notes");
  std::vector<std::tuple<int, std::string>> rows(50, {5, "fine"});
  rows[41] = {5, std::string("nul\0inside", 10)};
  const std::string message = message_of<ConversionError>([&] {
    pgkit::copy_in(conn, "notes", {"id", "note"}, rows, small_buffer());
  });
  EXPECT_THAT(message, AllOf(HasSubstr("row 42"), HasSubstr("column \"note\""), HasSubstr("NUL")));
  EXPECT_EQ(contents("notes"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, UniqueViolationInTheMiddleNamesTheRowAndRollsBackEverything) {
  create_table("unique_ids", "id int PRIMARY KEY, note text");
  const auto before = contents("unique_ids");
  std::vector<std::tuple<int, std::string>> rows;
  for (int i = 0; i < 5000; ++i) rows.emplace_back(1000 + i, "new");
  rows[3499] = {2, "duplicate of a row that was there before"};
  const auto diagnostics = pgkit::testing::expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>(
      [&] {
        pgkit::copy_in(conn, "unique_ids", {"id", "note"}, rows, small_buffer());
      },
      "23505");
  EXPECT_THAT(diagnostics.context, HasSubstr("line 3500"));
  EXPECT_EQ(diagnostics.constraint_name, "unique_ids_pkey");
  try {
    pgkit::copy_in(conn, "unique_ids", {"id", "note"}, rows, small_buffer());
  } catch (const pgkit::UniqueViolation& e) {
    // The message itself says where: the table and the row (PostgreSQL's "line" of the COPY).
    EXPECT_THAT(e.what(), AllOf(HasSubstr("unique_ids"), HasSubstr("line 3500"), HasSubstr("duplicate key")));
  }
  EXPECT_EQ(contents("unique_ids"), before);
  expect_usable(conn);

  // A duplicate within the COPY itself, the same.
  rows[3499] = {1000, "duplicate of row 1"};
  const auto inner = pgkit::testing::expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>(
      [&] {
        pgkit::copy_in(conn, "unique_ids", {"id", "note"}, rows);
      },
      "23505");
  EXPECT_THAT(inner.context, HasSubstr("line 3500"));
  EXPECT_EQ(contents("unique_ids"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, NotNullViolationNamesTheRowAndColumn) {
  create_table("required", "id int, name text NOT NULL DEFAULT 'x'");
  const auto before = contents("required");
  std::vector<std::tuple<int, std::optional<std::string>>> rows(300, {7, "present"});
  rows[122] = {7, std::nullopt};
  const auto diagnostics = pgkit::testing::expect_database_error<pgkit::NotNullViolation, pgkit::IntegrityError>(
      [&] {
        pgkit::copy_in(conn, "required", {"id", "name"}, rows, small_buffer());
      },
      "23502");
  EXPECT_EQ(diagnostics.column_name, "name");
  EXPECT_THAT(diagnostics.context, HasSubstr("line 123"));
  EXPECT_EQ(contents("required"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, ServerSideValueErrorsNameTheRowAndColumn) {
  create_table("checked", "id int, code varchar(3), amount numeric(5, 2), mood_label text CHECK (mood_label <> 'bad')");
  const auto before = contents("checked");
  using Row = std::tuple<int, std::string, pgkit::Decimal, std::string>;
  std::vector<Row> rows(100, Row{8, "abc", pgkit::Decimal("1.25"), "good"});

  rows[9] = Row{8, "abcd", pgkit::Decimal("1"), "good"};
  auto diagnostics = pgkit::testing::expect_database_error<pgkit::StringDataRightTruncation, pgkit::DataError>(
      [&] {
        pgkit::copy_in(conn, "checked", {"id", "code", "amount", "mood_label"}, rows);
      },
      "22001");
  EXPECT_THAT(diagnostics.context, AllOf(HasSubstr("line 10"), HasSubstr("column code")));

  rows[9] = Row{8, "abc", pgkit::Decimal("1000"), "good"};
  diagnostics = pgkit::testing::expect_database_error<pgkit::NumericValueOutOfRange, pgkit::DataError>(
      [&] {
        pgkit::copy_in(conn, "checked", {"id", "code", "amount", "mood_label"}, rows);
      },
      "22003");
  EXPECT_THAT(diagnostics.context, AllOf(HasSubstr("line 10"), HasSubstr("column amount")));

  rows[9] = Row{8, "abc", pgkit::Decimal("1"), "bad"};
  diagnostics = pgkit::testing::expect_database_error<pgkit::CheckViolation, pgkit::IntegrityError>(
      [&] {
        pgkit::copy_in(conn, "checked", {"id", "code", "amount", "mood_label"}, rows);
      },
      "23514");
  EXPECT_THAT(diagnostics.context, HasSubstr("line 10"));

  EXPECT_EQ(contents("checked"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, UnknownEnumLabelIsRefusedByTheServerNamingTheRow) {
  conn.exec("CREATE TYPE size AS ENUM ('small', 'large')");
  create_table("sized", "id int, s size");
  const auto before = contents("sized");
  std::vector<std::tuple<int, std::string>> rows(20, {9, "small"});
  rows[14] = {9, "huge"};
  const auto diagnostics = pgkit::testing::expect_database_error<pgkit::InvalidTextRepresentation, pgkit::DataError>(
      [&] {
        pgkit::copy_in(conn, "sized", {"id", "s"}, rows);
      },
      "22P02");
  EXPECT_THAT(diagnostics.context, AllOf(HasSubstr("line 15"), HasSubstr("column s")));
  EXPECT_THAT(diagnostics.message_primary, HasSubstr("huge"));
  EXPECT_EQ(contents("sized"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, ErrorFromTheRowSourceAbortsTheCopy) {
  create_table("sourced", "id int");
  const auto before = contents("sourced");
  // The rows come from a lazy range that fails half-way (a parse error in the caller's input, say).
  auto failing = std::views::iota(0, 100'000) | std::views::transform([](int i) {
                   if (i == 60'000) throw std::runtime_error("input line 60001 is malformed");
                   return i;
                 });
  EXPECT_THROW(pgkit::copy_in(conn, "sourced", {"id"}, failing, small_buffer()), std::runtime_error);
  EXPECT_EQ(contents("sourced"), before);
  expect_usable(conn);
}

TEST_F(CopyErrors, FailedCopyInsideATransactionAbortsIt) {
  create_table("in_tx", "id int PRIMARY KEY");
  {
    pgkit::Transaction tx(conn);
    conn.exec("INSERT INTO in_tx VALUES (50)");
    const std::vector<int> rows = {60, 61, 60};
    EXPECT_THROW(pgkit::copy_in(conn, "in_tx", {"id"}, rows), pgkit::UniqueViolation);
    EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
    EXPECT_THROW(conn.exec("SELECT 1"), pgkit::InFailedSqlTransaction);
  }  // rolled back
  EXPECT_EQ(count_rows(conn, "in_tx"), 3);
  expect_usable(conn);

  // A successful COPY inside a transaction is part of it.
  {
    pgkit::Transaction tx(conn);
    EXPECT_EQ(pgkit::copy_in(conn, "in_tx", {"id"}, std::vector<int>{70, 71}), 2);
    EXPECT_EQ(count_rows(conn, "in_tx"), 5);
  }  // not committed
  EXPECT_EQ(count_rows(conn, "in_tx"), 3);
}

TEST_F(CopyErrors, ServerErrorWhileReadingRowsOutLeavesTheConnectionUsable) {
  std::vector<int> seen;
  const auto diagnostics = pgkit::testing::expect_database_error<pgkit::DivisionByZero, pgkit::DataError>(
      [&] {
        pgkit::copy_out<int>(conn, "SELECT 1000 / (500 - g) FROM generate_series(1, 1000) g",
                             [&](int v) { seen.push_back(v); });
      },
      "22012");
  EXPECT_EQ(seen.size(), 499U);
  expect_usable(conn);
}

TEST_F(CopyErrors, RowThatCannotBeReadAsTheRequestedTypeLeavesTheConnectionUsable) {
  // A ConversionError in the middle of a large COPY out: the rest is not read into memory, the COPY is
  // stopped, and the connection is ready for the next statement.
  int seen = 0;
  EXPECT_THROW(
      pgkit::copy_out<std::int16_t>(conn, "SELECT g FROM generate_series(1, 1000000) g", [&](std::int16_t) { ++seen; }),
      ConversionError);
  EXPECT_EQ(seen, 32767);
  expect_usable(conn);
  EXPECT_THROW((pgkit::copy_out<int, int>(conn, "SELECT 1", [](const auto&) {})), InterfaceError);
  expect_usable(conn);
}

}  // namespace
