// Dates and times on std::chrono: timestamptz, timestamp, date, time and interval, in both directions,
// both result formats, BC dates, infinities and session time zones.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>

#include <gmock/gmock.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::ConversionError;
using pgkit::Interval;
using pgkit::types_test::echo_binary;
using pgkit::types_test::echo_text;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::read_binary;
using pgkit::types_test::read_text;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;
using std::chrono::days;
using std::chrono::hh_mm_ss;
using std::chrono::hours;
using std::chrono::local_days;
using std::chrono::local_time;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::sys_time;
using std::chrono::system_clock;
using std::chrono::year;
using std::chrono::year_month_day;
using ::testing::HasSubstr;

using Instant = sys_time<microseconds>;
using WallClock = local_time<microseconds>;
using TimeOfDay = hh_mm_ss<microseconds>;

class TypesDateTime : public pgkit::types_test::TypesTest {
 protected:
  void SetUp() override { set_time_zone("UTC"); }
  void set_time_zone(std::string_view zone) { conn.exec("SELECT set_config('TimeZone', $1, false)", zone); }
};

Instant instant(year_month_day date, microseconds time_of_day = 0us) {
  return sys_days(date) + time_of_day;
}

// 2024-02-29 12:34:56.789012 UTC: a leap day with every microsecond digit significant.
const Instant kLeapDayNoon = instant(2024y / 2 / 29, 12h + 34min + 56s + 789012us);
// 15 March 44 BC, noon UTC; astronomical year -43.
const Instant kIdesOfMarch = instant(year(-43) / 3 / 15, 12h);

// ---------------------------------------------------------------------------------------------------
// timestamptz

TEST_F(TypesDateTime, TimestamptzKeepsMicroseconds) {
  expect_round_trip(conn, kLeapDayNoon, "timestamptz");
  EXPECT_EQ(server_type(conn, kLeapDayNoon), "timestamp with time zone");
  EXPECT_EQ(server_text(conn, kLeapDayNoon), "2024-02-29 12:34:56.789012+00");
  expect_reads(conn, "'2024-02-29 12:34:56.789012+00'::timestamptz", kLeapDayNoon);
  expect_reads(conn, "'2024-02-29 14:34:56.789012+02'::timestamptz", kLeapDayNoon);
}

TEST_F(TypesDateTime, TimestamptzAcrossItsRange) {
  for (const Instant value : {Instant{}, Instant{-1us}, instant(1969y / 12 / 31, 23h + 59min + 59s + 500000us),
                              instant(2000y / 1 / 1), instant(9999y / 12 / 31, 24h - 1us),
                              instant(year(-4713) / 11 / 24), kIdesOfMarch, Instant(sys_days(days{36500000}) + 1us)}) {
    SCOPED_TRACE(value.time_since_epoch().count());
    expect_round_trip(conn, value, "timestamptz");
  }
  EXPECT_EQ(server_text(conn, Instant{-1us}), "1969-12-31 23:59:59.999999+00");
  EXPECT_EQ(server_text(conn, instant(year(-4713) / 11 / 24)), "4714-11-24 00:00:00+00 BC");
}

TEST_F(TypesDateTime, BcTimestampsTravelBothWays) {
  EXPECT_EQ(server_text(conn, kIdesOfMarch), "0044-03-15 12:00:00+00 BC");
  expect_reads(conn, "'0044-03-15 12:00:00+00 BC'::timestamptz", kIdesOfMarch);
  expect_reads(conn, "'0001-01-01 00:00:00+00 BC'::timestamptz", instant(year(0) / 1 / 1));
  expect_reads(conn, "'0001-12-31 23:59:59.999999+00 BC'::timestamptz", instant(year(1) / 1 / 1) - 1us);
}

TEST_F(TypesDateTime, SystemClockTimePointIsFlooredToMicroseconds) {
  const system_clock::time_point precise = kLeapDayNoon + 345ns;
  EXPECT_EQ(echo_binary(conn, precise, "timestamptz"), system_clock::time_point(kLeapDayNoon));
  EXPECT_EQ(echo_text(conn, precise, "timestamptz"), system_clock::time_point(kLeapDayNoon));
  // Floored, not truncated toward zero: a nanosecond before the epoch is in the microsecond before it.
  EXPECT_EQ(server_text(conn, system_clock::time_point(-1ns)), "1969-12-31 23:59:59.999999+00");
  expect_reads(conn, "'2024-02-29 12:34:56.789012+00'::timestamptz", system_clock::time_point(kLeapDayNoon));
}

TEST_F(TypesDateTime, TimestampOutsideTheTimePointsRangeIsAConversionError) {
  // system_clock counts nanoseconds in 64 bits: about 1677..2262.
  expect_read_fails<system_clock::time_point>(conn, "'0044-03-15 12:00:00+00 BC'::timestamptz");
  expect_read_fails<system_clock::time_point>(conn, "'2300-01-01 00:00:00+00'::timestamptz");
  // A coarser time point must not lose the fraction silently.
  const std::string message =
      expect_read_fails<sys_time<seconds>>(conn, "'2024-01-01 00:00:00.5+00'::timestamptz AS t");
  EXPECT_THAT(message, HasSubstr("\"t\""));
  expect_reads(conn, "'2024-01-01 00:00:01+00'::timestamptz", sys_time<seconds>(sys_days(2024y / 1 / 1) + 1s));
}

TEST_F(TypesDateTime, InfinityMapsToTheTimePointLimits) {
  EXPECT_EQ(server_text(conn, Instant::max()), "infinity");
  EXPECT_EQ(server_text(conn, Instant::min()), "-infinity");
  EXPECT_EQ(server_text(conn, system_clock::time_point::max()), "infinity");
  EXPECT_EQ(server_text(conn, system_clock::time_point::min()), "-infinity");
  EXPECT_FALSE(conn.query_value<bool>("SELECT isfinite($1)", Instant::max()));
  expect_reads(conn, "'infinity'::timestamptz", Instant::max());
  expect_reads(conn, "'-infinity'::timestamptz", Instant::min());
  expect_reads(conn, "'infinity'::timestamptz", system_clock::time_point::max());
  expect_reads(conn, "'-infinity'::timestamptz", system_clock::time_point::min());
  expect_round_trip(conn, Instant::max(), "timestamptz");
  expect_round_trip(conn, system_clock::time_point::min(), "timestamptz");
}

// The session time zone changes the server's text, never the instant pgkit reads or sends.
TEST_F(TypesDateTime, SessionTimeZoneDoesNotChangeTheInstant) {
  for (const char* zone : {"Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "UTC"}) {
    SCOPED_TRACE(zone);
    set_time_zone(zone);
    expect_reads(conn, "'2024-02-29 12:34:56.789012+00'::timestamptz", kLeapDayNoon);
    // Before standard time, zones had local mean time offsets with seconds (+05:53:28).
    expect_reads(conn, "'1890-06-01 12:00:00+00'::timestamptz", instant(1890y / 6 / 1, 12h));
    expect_reads(conn, "'0044-03-15 12:00:00+00 BC'::timestamptz", kIdesOfMarch);
    expect_round_trip(conn, kLeapDayNoon, "timestamptz");
    expect_round_trip(conn, instant(1890y / 6 / 1, 12h), "timestamptz");
    EXPECT_TRUE(conn.query_value<bool>("SELECT $1 = '2024-02-29 12:34:56.789012+00'::timestamptz", kLeapDayNoon));
  }
  set_time_zone("Asia/Kolkata");
  EXPECT_EQ(read_text<std::string>(conn, "'2024-02-29 12:00:00+00'::timestamptz"), "2024-02-29 17:30:00+05:30");
  set_time_zone("America/St_Johns");
  EXPECT_EQ(read_text<std::string>(conn, "'2024-02-29 12:00:00+00'::timestamptz"), "2024-02-29 08:30:00-03:30");
}

// ---------------------------------------------------------------------------------------------------
// timestamp (without time zone)

TEST_F(TypesDateTime, TimestampIsAWallClockTime) {
  const WallClock wall = local_days(2024y / 2 / 29) + 12h + 34min + 56s + 789012us;
  expect_round_trip(conn, wall, "timestamp");
  EXPECT_EQ(server_type(conn, wall), "timestamp without time zone");
  EXPECT_EQ(server_text(conn, wall), "2024-02-29 12:34:56.789012");
  set_time_zone("Asia/Kolkata");
  expect_reads(conn, "'2024-02-29 12:34:56.789012'::timestamp", wall);
  expect_round_trip(conn, wall, "timestamp");
  const WallClock bc = local_days(year(-43) / 3 / 15) + 12h;
  expect_round_trip(conn, bc, "timestamp");
  expect_reads(conn, "'0044-03-15 12:00:00 BC'::timestamp", bc);
  expect_reads(conn, "'infinity'::timestamp", WallClock::max());
  expect_reads(conn, "'-infinity'::timestamp", WallClock::min());
  EXPECT_EQ(server_text(conn, WallClock::max()), "infinity");
}

TEST_F(TypesDateTime, TimestampKindsAreNotMixedUp) {
  expect_read_fails<Instant>(conn, "'2024-02-29 12:00'::timestamp");
  expect_read_fails<WallClock>(conn, "'2024-02-29 12:00+00'::timestamptz");
  expect_read_fails<Instant>(conn, "'2024-02-29'::date");
  // Text is not parsed as a timestamp in either format: cast it in SQL.
  expect_read_fails<Instant>(conn, "'2024-02-29 12:00:00+00'::text");
  expect_read_fails<WallClock>(conn, "'2024-02-29 12:00:00'::varchar");
  expect_read_fails<year_month_day>(conn, "'2024-02-29'::text");
  expect_read_fails<TimeOfDay>(conn, "'12:00'::text");
  expect_read_fails<Interval>(conn, "'1 day'::text");
}

// ---------------------------------------------------------------------------------------------------
// date

TEST_F(TypesDateTime, DatesIncludingLeapDaysAndBc) {
  const year_month_day leap_day = 2024y / 2 / 29;
  expect_round_trip(conn, leap_day, "date");
  EXPECT_EQ(server_type(conn, leap_day), "date");
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1 + 1 = DATE '2024-03-01'", leap_day));
  expect_reads(conn, "'2024-02-29'::date", leap_day);
  expect_reads(conn, "'2000-02-29'::date", year_month_day(2000y / 2 / 29));

  const year_month_day bc = year(-43) / 3 / 15;
  EXPECT_EQ(server_text(conn, bc), "0044-03-15 BC");
  expect_round_trip(conn, bc, "date");
  expect_reads(conn, "'0044-03-15 BC'::date", bc);
  // PostgreSQL's earliest date.
  expect_reads(conn, "'4713-01-01 BC'::date", year_month_day(year(-4712) / 1 / 1));
  expect_round_trip(conn, year_month_day(year(-4712) / 1 / 1), "date");
}

TEST_F(TypesDateTime, DatesAsSysDaysAndLocalDays) {
  const sys_days day = sys_days(2024y / 2 / 29);
  expect_round_trip(conn, day, "date");
  expect_reads(conn, "'2024-02-29'::date", day);
  expect_reads(conn, "'1970-01-01'::date", sys_days{});
  expect_reads(conn, "'1969-12-31'::date", sys_days{days{-1}});
  const local_days local = local_days(2024y / 2 / 29);
  expect_round_trip(conn, local, "date");
  expect_reads(conn, "'2024-02-29'::date", local);
}

TEST_F(TypesDateTime, DateBeyondYearMonthDayButWithinSysDays) {
  // PostgreSQL's dates reach 5874897; std::chrono::year stops at 32767.
  const sys_days last = sys_days(days{2145042905});
  expect_reads(conn, "'5874897-12-31'::date", last);
  expect_round_trip(conn, last, "date");
  expect_read_fails<year_month_day>(conn, "'5874897-12-31'::date");
}

TEST_F(TypesDateTime, InvalidOrInfiniteDatesAreConversionErrors) {
  EXPECT_THROW((void)conn.exec("SELECT $1", year_month_day(2023y / 2 / 29)), ConversionError);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
  const std::string message = expect_read_fails<year_month_day>(conn, "'infinity'::date AS due");
  EXPECT_THAT(message, HasSubstr("infinite"));
  EXPECT_THAT(message, HasSubstr("\"due\""));
  expect_read_fails<sys_days>(conn, "'-infinity'::date");
  // NULL is not infinity: an optional does not absorb it.
  expect_read_fails<std::optional<year_month_day>>(conn, "'infinity'::date");
  expect_read_fails<year_month_day>(conn, "'2024-02-29 00:00'::timestamp");
}

// ---------------------------------------------------------------------------------------------------
// time

void expect_time_reads(pgkit::Connection& conn, std::string_view expression, microseconds expected) {
  EXPECT_EQ(read_binary<TimeOfDay>(conn, expression).to_duration(), expected) << expression;
  EXPECT_EQ(read_text<TimeOfDay>(conn, expression).to_duration(), expected) << expression;
}

TEST_F(TypesDateTime, TimesOfDayFromMidnightToMidnight) {
  for (const microseconds value : {0us, microseconds(24h), microseconds(12h + 34min + 56s + 789012us),
                                   microseconds(24h - 1us), microseconds(1s + 500ms)}) {
    SCOPED_TRACE(value.count());
    EXPECT_EQ(echo_binary(conn, TimeOfDay(value), "time").to_duration(), value);
    EXPECT_EQ(echo_text(conn, TimeOfDay(value), "time").to_duration(), value);
  }
  EXPECT_EQ(server_type(conn, TimeOfDay(0us)), "time without time zone");
  EXPECT_EQ(server_text(conn, TimeOfDay(microseconds(24h))), "24:00:00");
  EXPECT_EQ(server_text(conn, TimeOfDay(microseconds(1s + 500ms))), "00:00:01.5");
  expect_time_reads(conn, "'00:00'::time", 0us);
  expect_time_reads(conn, "'24:00:00'::time", microseconds(24h));
  expect_time_reads(conn, "'12:34:56.789012'::time", microseconds(12h + 34min + 56s + 789012us));
  expect_time_reads(conn, "'23:59:59.999999'::time", microseconds(24h - 1us));
}

TEST_F(TypesDateTime, TimeOfDayLimits) {
  EXPECT_THROW((void)conn.exec("SELECT $1", TimeOfDay(microseconds(24h + 1us))), ConversionError);
  EXPECT_THROW((void)conn.exec("SELECT $1", TimeOfDay(-1us)), ConversionError);
  expect_read_fails<hh_mm_ss<seconds>>(conn, "'12:00:00.5'::time");
  EXPECT_EQ(read_binary<hh_mm_ss<seconds>>(conn, "'12:00:01'::time").to_duration(), 12h + 1s);
  EXPECT_EQ(read_text<hh_mm_ss<milliseconds>>(conn, "'12:00:00.25'::time").to_duration(), 12h + 250ms);
}

// ---------------------------------------------------------------------------------------------------
// interval

TEST_F(TypesDateTime, IntervalKeepsMonthsDaysAndMicrosecondsApart) {
  const Interval mixed{14, 3, (4h + 5min + 6s + 789ms) / 1us};
  expect_round_trip(conn, mixed, "interval");
  EXPECT_EQ(server_type(conn, mixed), "interval");
  EXPECT_TRUE(conn.query_value<bool>("SELECT $1 = '1 year 2 mons 3 days 04:05:06.789'::interval", mixed));
  expect_reads(conn, "'1 year 2 mons 3 days 04:05:06.789'::interval", mixed);
  // The server calls these equal; as values they are different intervals.
  expect_reads(conn, "'1 mon'::interval", Interval{1, 0, 0});
  expect_reads(conn, "'30 days'::interval", Interval{0, 30, 0});
  expect_reads(conn, "'720 hours'::interval", Interval{0, 0, 720LL * 3600 * 1000000});
  expect_reads(conn, "'0'::interval", Interval{});
}

TEST_F(TypesDateTime, IntervalWithNegativeParts) {
  for (const Interval value :
       {Interval{-14, -3, -1}, Interval{1, -2, 3}, Interval{-12, 2, 3 * 3600LL * 1000000}, Interval{0, -1, -1000000},
        Interval{0, 1, -3600LL * 1000000}, Interval{-1, 0, 0}, Interval{0, 0, -1}}) {
    SCOPED_TRACE(::testing::PrintToString(value));
    expect_round_trip(conn, value, "interval");
  }
  expect_reads(conn, "'-1 year 2 days 03:00'::interval", Interval{-12, 2, 3 * 3600LL * 1000000});
  expect_reads(conn, "'-3 days 04:05:06.789'::interval", Interval{0, -3, (4h + 5min + 6s + 789ms) / 1us});
  expect_reads(conn, "'-1 day -00:00:01.5'::interval", Interval{0, -1, -1500000});
  expect_reads(conn, "'-1 mon -1 day'::interval", Interval{-1, -1, 0});
}

TEST_F(TypesDateTime, IntervalExtremes) {
  const std::int64_t max_us = std::numeric_limits<std::int64_t>::max();
  for (const Interval value : {Interval{std::numeric_limits<std::int32_t>::max(), 0, 0},
                               Interval{0, std::numeric_limits<std::int32_t>::min() + 1, 0}, Interval{0, 0, max_us},
                               Interval{0, 0, -max_us}}) {
    SCOPED_TRACE(::testing::PrintToString(value));
    expect_round_trip(conn, value, "interval");
  }
}

TEST_F(TypesDateTime, DurationsAreIntervalsWithoutMonths) {
  expect_round_trip(conn, std::chrono::microseconds(123456789), "interval");
  expect_round_trip(conn, std::chrono::seconds(-90), "interval");
  expect_round_trip(conn, std::chrono::hours(49), "interval");
  EXPECT_EQ(server_type(conn, 1s), "interval");
  EXPECT_EQ(server_text(conn, hours(49)), "49:00:00");
  EXPECT_EQ(server_text(conn, -1500ms), "-00:00:01.5");
  // Sent durations are floored to the microsecond.
  EXPECT_EQ(server_text(conn, nanoseconds(1500)), "00:00:00.000001");
  EXPECT_EQ(server_text(conn, nanoseconds(-1)), "-00:00:00.000001");
  // A day counts as 24 hours.
  expect_reads(conn, "'1 day 02:00:00'::interval", hours(26));
  expect_reads(conn, "'-00:00:01.5'::interval", milliseconds(-1500));
  expect_reads(conn, "'2 days'::interval", days(2));
  expect_reads(conn, "'1 minute'::interval", minutes(1));
}

TEST_F(TypesDateTime, DurationsRefuseMonthsAndLostPrecision) {
  const std::string message = expect_read_fails<microseconds>(conn, "'1 mon'::interval AS period");
  EXPECT_THAT(message, HasSubstr("months"));
  EXPECT_THAT(message, HasSubstr("\"period\""));
  expect_read_fails<seconds>(conn, "'1 year'::interval");
  expect_read_fails<seconds>(conn, "'00:00:01.5'::interval");
  expect_read_fails<hours>(conn, "'90 minutes'::interval");
}

// ---------------------------------------------------------------------------------------------------
// Text results in another DateStyle or IntervalStyle read as the server wrote them (every style, zone
// and edge: types_datetime_text_test.cpp).

TEST_F(TypesDateTime, OtherTextStylesReadAsWritten) {
  conn.execute_script("SET DateStyle = 'SQL, DMY'");
  EXPECT_EQ(read_text<year_month_day>(conn, "'2024-02-03'::date"), year_month_day(2024y / 2 / 3));
  EXPECT_EQ(read_text<WallClock>(conn, "'2024-02-03 12:00'::timestamp"), local_days(2024y / 2 / 3) + 12h);
  EXPECT_EQ(read_binary<year_month_day>(conn, "'2024-02-03'::date"), year_month_day(2024y / 2 / 3));
  conn.execute_script("SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'iso_8601'");
  EXPECT_EQ(read_text<Interval>(conn, "'1 day 02:00'::interval"), (Interval{0, 1, 2 * 3600LL * 1000000}));
  EXPECT_EQ(read_binary<Interval>(conn, "'1 day 02:00'::interval"), (Interval{0, 1, 2 * 3600LL * 1000000}));
}

}  // namespace
