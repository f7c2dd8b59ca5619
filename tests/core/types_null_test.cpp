// NULL <-> std::optional<T> for every built-in type, and UnexpectedNull for a NULL read as plain T.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/uuid.hpp>

#include <boost/describe/enum.hpp>
#include <gmock/gmock.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::types_test::echo_binary;
using pgkit::types_test::echo_text;
using pgkit::types_test::read_binary;
using pgkit::types_test::read_text;
using ::testing::HasSubstr;

enum class Level { low, high };
BOOST_DESCRIBE_ENUM(Level, low, high)

class TypesNull : public pgkit::types_test::TypesTest {
 protected:
  static void SetUpTestSuite() {
    DatabaseTest::SetUpTestSuite();
    connect().execute_script("CREATE TYPE level AS ENUM ('low', 'high')");
  }

  // For T, the SQL type `sql_type` and a non-NULL `sample`:
  //  - a NULL of sql_type reads as std::nullopt, and as plain T throws UnexpectedNull naming the column,
  //    in both result formats;
  //  - an empty std::optional<T> reaches the server as NULL, and comes back as std::nullopt;
  //  - a std::optional<T> holding `sample` reaches the server as `sample`, and comes back equal.
  template <class T>
  void check_nulls(std::string_view sql_type, const T& sample) {
    SCOPED_TRACE(sql_type);
    const std::string null_column = fmt::format("NULL::{} AS missing_value", sql_type);
    EXPECT_EQ(read_binary<std::optional<T>>(conn, null_column), std::nullopt);
    EXPECT_EQ(read_text<std::optional<T>>(conn, null_column), std::nullopt);
    for (const bool binary : {true, false}) {
      try {
        (void)(binary ? read_binary<T>(conn, null_column) : read_text<T>(conn, null_column));
        ADD_FAILURE() << "NULL was read as a plain value (" << (binary ? "binary" : "text") << ")";
      } catch (const pgkit::UnexpectedNull& e) {
        EXPECT_THAT(e.what(), HasSubstr("\"missing_value\""));
      }
    }

    const std::optional<T> empty;
    EXPECT_TRUE(conn.query_value<bool>(fmt::format("SELECT $1::{} IS NULL", sql_type), empty));
    EXPECT_EQ(echo_binary(conn, empty, sql_type), std::nullopt);
    EXPECT_EQ(echo_text(conn, empty, sql_type), std::nullopt);

    const std::optional<T> present = sample;
    EXPECT_TRUE(conn.query_value<bool>(fmt::format("SELECT $1::{} IS NOT DISTINCT FROM $2::{}", sql_type, sql_type),
                                       present, sample));
    EXPECT_TRUE(echo_binary(conn, present, sql_type) == present);
    EXPECT_TRUE(echo_text(conn, present, sql_type) == present);
  }
};

TEST_F(TypesNull, Bool) {
  check_nulls<bool>("boolean", true);
}
TEST_F(TypesNull, Int16) {
  check_nulls<std::int16_t>("smallint", std::int16_t{-5});
}
TEST_F(TypesNull, Int32) {
  check_nulls<std::int32_t>("integer", 42);
}
TEST_F(TypesNull, Int64) {
  check_nulls<std::int64_t>("bigint", std::int64_t{1} << 40);
}
TEST_F(TypesNull, Unsigned) {
  check_nulls<std::uint16_t>("integer", std::uint16_t{65535});
  check_nulls<std::uint32_t>("bigint", std::uint32_t{4000000000u});
  check_nulls<std::uint64_t>("bigint", std::uint64_t{1} << 62);
}
TEST_F(TypesNull, Float) {
  check_nulls<float>("real", 1.5F);
}
TEST_F(TypesNull, Double) {
  check_nulls<double>("double precision", -2.25);
}
TEST_F(TypesNull, String) {
  check_nulls<std::string>("text", "value");
  check_nulls<std::string>("varchar(10)", "");
}
TEST_F(TypesNull, Bytes) {
  check_nulls<pgkit::Bytes>("bytea", pgkit::Bytes{std::byte{0}, std::byte{255}});
}
TEST_F(TypesNull, Decimal) {
  check_nulls<pgkit::Decimal>("numeric", pgkit::Decimal("1.50"));
}
TEST_F(TypesNull, Uuid) {
  check_nulls<pgkit::Uuid>("uuid", pgkit::Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
}
TEST_F(TypesNull, Timestamps) {
  const auto instant = std::chrono::sys_days(std::chrono::year{2024} / 2 / 29) + 1us;
  check_nulls<std::chrono::sys_time<std::chrono::microseconds>>("timestamptz", instant);
  check_nulls<std::chrono::system_clock::time_point>("timestamptz", instant);
  check_nulls<std::chrono::local_time<std::chrono::microseconds>>(
      "timestamp", std::chrono::local_days(std::chrono::year{2024} / 2 / 29) + 1us);
}
TEST_F(TypesNull, Dates) {
  check_nulls<std::chrono::year_month_day>("date", std::chrono::year{2024} / 2 / 29);
  check_nulls<std::chrono::sys_days>("date", std::chrono::sys_days(std::chrono::year{2024} / 2 / 29));
}
TEST_F(TypesNull, TimeOfDay) {
  // hh_mm_ss has no ==: compare through a duration.
  using TimeOfDay = std::chrono::hh_mm_ss<std::chrono::microseconds>;
  EXPECT_EQ(read_binary<std::optional<TimeOfDay>>(conn, "NULL::time"), std::nullopt);
  EXPECT_EQ(read_text<std::optional<TimeOfDay>>(conn, "NULL::time"), std::nullopt);
  EXPECT_THROW((void)read_text<TimeOfDay>(conn, "NULL::time"), pgkit::UnexpectedNull);
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1::time IS NULL", std::optional<TimeOfDay>()));
  const auto back = echo_binary(conn, std::optional<TimeOfDay>(TimeOfDay(12h)), "time");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->to_duration(), 12h);
}
TEST_F(TypesNull, Intervals) {
  check_nulls<pgkit::Interval>("interval", pgkit::Interval{1, 2, 3});
  check_nulls<std::chrono::seconds>("interval", std::chrono::seconds(90));
}
TEST_F(TypesNull, Arrays) {
  check_nulls<std::vector<int>>("int[]", std::vector<int>{1, 2});
  check_nulls<std::vector<std::string>>("text[]", std::vector<std::string>{"a", "NULL"});
  check_nulls<std::vector<std::vector<double>>>("float8[]", std::vector<std::vector<double>>{{1.5}, {2.5}});
}
TEST_F(TypesNull, DescribedEnum) {
  check_nulls<Level>("level", Level::high);
}

TEST_F(TypesNull, NullMessageSaysHowToAcceptIt) {
  try {
    (void)conn.query_value<int>("SELECT NULL::int AS quantity");
    FAIL() << "NULL was read as an int";
  } catch (const pgkit::UnexpectedNull& e) {
    EXPECT_THAT(e.what(), HasSubstr("\"quantity\""));
    EXPECT_THAT(e.what(), HasSubstr("std::optional"));
  }
  // An UnexpectedNull is a ConversionError, so one handler covers every bad read.
  EXPECT_THROW((void)conn.query_value<std::string>("SELECT NULL::text"), pgkit::ConversionError);
}

TEST_F(TypesNull, NulloptIsAnUntypedNull) {
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1::int IS NULL", std::nullopt));
  EXPECT_EQ(conn.query_value<std::optional<std::string>>("SELECT $1::text", std::nullopt), std::nullopt);
  EXPECT_EQ(conn.query_value<std::string>("SELECT pg_typeof($1)::text", std::optional<std::int64_t>()), "bigint");
}

}  // namespace
