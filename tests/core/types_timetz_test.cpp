// time with time zone as pgkit::TimeTz: both directions, both result formats, at its edges (24:00:00,
// offsets up to ±15:59:59).
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/sql.hpp>

#include <gmock/gmock.h>

#include <chrono>
#include <ostream>
#include <string>
#include <vector>

namespace pgkit {
inline void PrintTo(const TimeTz& value, std::ostream* os) {
  *os << "TimeTz{" << value.time_of_day.count() << "us, " << value.utc_offset.count() << "s}";
}
}  // namespace pgkit

namespace {

using namespace std::chrono_literals;
using pgkit::ConversionError;
using pgkit::TimeTz;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;
using ::testing::HasSubstr;

class TypesTimeTz : public pgkit::types_test::TypesTest {};

constexpr auto kLastOffset = 15h + 59min + 59s;

TEST_F(TypesTimeTz, RoundTripsAtItsEdges) {
  for (const TimeTz value : {TimeTz{0us, 0s}, TimeTz{24h, 14h}, TimeTz{24h, -(15h + 59min)}, TimeTz{0us, kLastOffset},
                             TimeTz{0us, -kLastOffset}, TimeTz{24h - 1us, kLastOffset},
                             TimeTz{12h + 34min + 56s + 789012us, -(3h + 30min + 45s)}, TimeTz{3h + 4min, 5h + 45min}}) {
    SCOPED_TRACE(::testing::PrintToString(value));
    expect_round_trip(conn, value, "timetz");
  }
  EXPECT_EQ(server_type(conn, TimeTz{}), "time with time zone");
}

TEST_F(TypesTimeTz, ServerAndPgkitWriteTheSameText) {
  const std::vector<std::pair<TimeTz, std::string>> cases = {
      {TimeTz{0us, 0s}, "00:00:00+00"},
      {TimeTz{24h, 14h}, "24:00:00+14"},
      {TimeTz{24h, -(15h + 59min)}, "24:00:00-15:59"},
      {TimeTz{12h + 34min + 56s + 789000us, -(3h + 30min + 45s)}, "12:34:56.789-03:30:45"},
      {TimeTz{3h + 4min + 5s + 1us, 5h + 45min}, "03:04:05.000001+05:45"},
      {TimeTz{0us, -kLastOffset}, "00:00:00-15:59:59"},
  };
  for (const auto& [value, text] : cases) {
    EXPECT_EQ(server_text(conn, value), text);
    std::string ours;
    pgkit::Type<TimeTz>::to_text(value, ours);
    EXPECT_EQ(ours, text);
    // A binary field reads as the server's text, and a text field is that text.
    const auto binary = conn.exec("SELECT $1::timetz", value);
    EXPECT_EQ(binary.one()[0].as<std::string>(), text);
    expect_reads(conn, fmt::format("'{}'::timetz", text), value);
  }
}

TEST_F(TypesTimeTz, ArraysAndNulls) {
  const std::vector<std::optional<TimeTz>> values = {TimeTz{1h, 1h}, std::nullopt, TimeTz{24h, -kLastOffset}};
  expect_round_trip(conn, values, "timetz[]");
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::timetz[]::text", values), "{01:00:00+01,NULL,24:00:00-15:59:59}");
}

TEST_F(TypesTimeTz, OutOfRangeValuesAreRefused) {
  EXPECT_THROW(server_text(conn, TimeTz{24h + 1us, 0s}), ConversionError);
  EXPECT_THROW(server_text(conn, TimeTz{-1us, 0s}), ConversionError);
  EXPECT_THROW(server_text(conn, TimeTz{0us, 16h}), ConversionError);
  EXPECT_THROW(server_text(conn, TimeTz{0us, -16h}), ConversionError);
  std::string text;
  EXPECT_THROW(pgkit::Type<TimeTz>::to_text(TimeTz{0us, 16h}, text), ConversionError);
}

TEST_F(TypesTimeTz, OtherTypesAreNotTimeTz) {
  const std::string message = expect_read_fails<TimeTz>(conn, "'12:00'::time AS t");
  EXPECT_THAT(message, HasSubstr("column \"t\" (time without time zone) as pgkit::TimeTz"));
  expect_read_fails<TimeTz>(conn, "now()");
}

}  // namespace
