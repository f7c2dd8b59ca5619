// C++ enums mapped to enum labels that are not C++ identifiers, through pgkit::EnumLabels (pagila's
// mpaa_rating: 'PG-13', 'NC-17').
#include "core/types_test_support.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/describe.hpp>

#include <boost/describe/enum.hpp>
#include <gmock/gmock.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace test_enums {
enum class MpaaRating { G, PG, PG_13, R, NC_17 };
BOOST_DESCRIBE_ENUM(MpaaRating, G, PG, PG_13, R, NC_17)
}  // namespace test_enums

template <>
struct pgkit::EnumLabels<test_enums::MpaaRating> {
  static constexpr std::pair<test_enums::MpaaRating, std::string_view> renamed[] = {
      {test_enums::MpaaRating::PG_13, "PG-13"}, {test_enums::MpaaRating::NC_17, "NC-17"}};
};

namespace {

using pgkit::ConversionError;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::server_text;
using test_enums::MpaaRating;
using ::testing::HasSubstr;

static_assert(pgkit::detail::enum_label(MpaaRating::PG_13, "PG_13") == "PG-13");
static_assert(pgkit::detail::enum_label(MpaaRating::G, "G") == "G");

class TypesEnumLabels : public pgkit::types_test::TypesTest {
 protected:
  static void SetUpTestSuite() {
    DatabaseTest::SetUpTestSuite();
    connect().execute_script("CREATE TYPE mpaa_rating AS ENUM ('G', 'PG', 'PG-13', 'R', 'NC-17')");
  }
};

TEST_F(TypesEnumLabels, RenamedLabelsTravelBothWays) {
  const std::vector<std::pair<MpaaRating, std::string>> all = {{MpaaRating::G, "G"},
                                                               {MpaaRating::PG, "PG"},
                                                               {MpaaRating::PG_13, "PG-13"},
                                                               {MpaaRating::R, "R"},
                                                               {MpaaRating::NC_17, "NC-17"}};
  for (const auto& [rating, label] : all) {
    SCOPED_TRACE(label);
    expect_reads(conn, fmt::format("'{}'::mpaa_rating", label), rating);
    expect_round_trip(conn, rating, "mpaa_rating");
    EXPECT_EQ(server_text(conn, rating), label);
  }
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1::mpaa_rating > 'PG'", MpaaRating::NC_17));
}

TEST_F(TypesEnumLabels, ArraysOfRenamedLabels) {
  const std::vector<std::optional<MpaaRating>> ratings = {MpaaRating::NC_17, std::nullopt, MpaaRating::G};
  expect_round_trip(conn, ratings, "mpaa_rating[]");
  expect_reads(
      conn, "enum_range(NULL::mpaa_rating)",
      std::vector<MpaaRating>{MpaaRating::G, MpaaRating::PG, MpaaRating::PG_13, MpaaRating::R, MpaaRating::NC_17});
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::mpaa_rating[]::text",
                                          std::vector<MpaaRating>{MpaaRating::PG_13, MpaaRating::R}),
            "{PG-13,R}");
}

// The enumerator's own name is no longer a label once it is renamed.
TEST_F(TypesEnumLabels, OldNamesAreNotLabels) {
  EXPECT_THAT(expect_read_fails<MpaaRating>(conn, "'PG_13'::text"), HasSubstr("PG_13"));
  EXPECT_THROW((void)conn.exec("SELECT $1::mpaa_rating", static_cast<MpaaRating>(99)), ConversionError);
}

}  // namespace
