// Dates, times and intervals in text results under every DateStyle (ISO, SQL, Postgres, German, each
// with MDY, DMY and YMD), every IntervalStyle and time zones with odd offsets (Asia/Kathmandu +05:45,
// America/St_Johns -03:30 and its -03:30:52 past) and daylight saving time (Europe/Berlin), set in the
// session: each value read from a text result (execute_script) must equal the same value read from a
// binary result under ISO and UTC, and its string must be the server's own text.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>

#include <gmock/gmock.h>

#include <array>
#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit {
inline void PrintTo(const TimeTz& value, std::ostream* os) {
  *os << "TimeTz{" << value.time_of_day.count() << "us, " << value.utc_offset.count() << "s}";
}
}  // namespace pgkit

namespace {

using namespace std::chrono_literals;
using pgkit::ConversionError;
using pgkit::Field;
using pgkit::Format;
using pgkit::Interval;
using pgkit::TimeTz;
using ::testing::HasSubstr;

using Instant = std::chrono::sys_time<std::chrono::microseconds>;
using WallClock = std::chrono::local_time<std::chrono::microseconds>;
using TimeOfDay = std::chrono::hh_mm_ss<std::chrono::microseconds>;

constexpr std::array<std::string_view, 12> date_styles = {
    "ISO, MDY",      "ISO, DMY",      "ISO, YMD",      "SQL, MDY",    "SQL, DMY",    "SQL, YMD",
    "Postgres, MDY", "Postgres, DMY", "Postgres, YMD", "German, MDY", "German, DMY", "German, YMD"};
constexpr std::array<std::string_view, 4> interval_styles = {"postgres", "postgres_verbose", "sql_standard",
                                                             "iso_8601"};
constexpr std::array<std::string_view, 4> time_zones = {"UTC", "Asia/Kathmandu", "America/St_Johns", "Europe/Berlin"};

// Values in ISO / 'postgres' input syntax, stored while the session is in ISO, UTC and 'postgres'.
const std::vector<std::string> date_values = {
    "2026-01-02",     "2026-12-01",  "2024-02-29",    "1970-01-01", "0001-01-01", "0001-12-31 BC", "0044-03-15 BC",
    "4714-11-24 BC",  "5874897-12-31", "32767-12-31", "infinity",   "-infinity"};
const std::vector<std::string> timestamp_values = {
    "2026-01-02 03:04:05.123456",   "2024-02-29 23:59:59.999999", "1969-12-31 23:59:59.999999",
    "2000-01-01 00:00:00.000001",   "0001-01-01 00:00:00",        "0044-03-15 12:00:00 BC",
    "4714-11-24 00:00:00 BC",       "294247-01-10 04:00:54.775806", "294247-01-10 04:00:54.775807",
    "294276-12-31 23:59:59.999999", "infinity",                   "-infinity"};
const std::vector<std::string> timestamptz_values = {
    "2026-01-02 03:04:05.123456+00", "2026-07-02 03:04:05.5+00",
    // Europe/Berlin: the last instant of CET, the first of CEST, and the hour that happens twice in October
    "2026-03-29 00:59:59.999999+00", "2026-03-29 01:00:00+00", "2026-10-25 00:30:00+00", "2026-10-25 01:30:00+00",
    // America/St_Johns: NST was -03:30:52 until 1935-03-30, -03:30 since; Asia/Kathmandu went from +05:30
    // to +05:45 in 1986; before the 1890s every zone was on its local mean time (LMT)
    "1935-03-30 03:30:51+00", "1935-03-30 03:30:52+00", "1985-12-31 18:29:59+00", "1985-12-31 18:30:00+00",
    "1900-01-01 12:00:00+00", "1800-06-01 00:00:00+00", "0044-03-15 12:00:00+00 BC", "4714-11-24 00:00:00+00 BC",
    "294247-01-10 04:00:54.775806+00", "294276-12-31 23:59:59.999999+00", "infinity", "-infinity"};
const std::vector<std::string> time_values = {"00:00:00", "00:00:00.000001", "13:04:05.123456", "23:59:59.999999",
                                              "24:00:00"};
const std::vector<std::string> timetz_values = {
    "00:00:00+00",  "24:00:00+14",       "24:00:00-15:59",       "12:34:56.789-03:30:45", "03:04:05+05:45",
    "00:00:00-15:59:59", "23:59:59.999999+15:59:59", "13:00:00-03:30"};
const std::vector<std::string> interval_values = {
    "00:00:00",
    "1 year 2 mons 3 days 04:05:06.789",
    "-1 years -2 mons -3 days -04:05:06.789",
    "1 year -2 mons 3 days -04:05:06",   // mixed signs
    "-1 years +00:00:01",
    "-1 days +00:00:01",
    "1 day -00:00:00.5",
    "-10 mons",
    "3 days",
    "-3 days",
    "1 mon",
    "00:00:00.000001",
    "-00:00:00.000001",
    "-00:00:01.5",
    "100:00:00",
    "-1 years",
    "178956970 years 7 mons 2147483647 days 2562047788:00:54.775807",
    "-178956970 years -8 mons -2147483648 days -2562047788:00:54.775807",
    "2 days -25:00:00",
};

// hh_mm_ss has no ==; everything else compares as itself.
template <class T>
const T& comparable(const T& value) {
  return value;
}
template <class D>
D comparable(const std::chrono::hh_mm_ss<D>& value) {
  return value.to_duration();
}

// A read's outcome: the value, or that it failed. A value C++ cannot hold (an infinite date, a
// timestamp past 294247) must fail the same way from either format.
template <class T>
struct Outcome {
  std::optional<T> value;
  std::string error;
  friend bool operator==(const Outcome& a, const Outcome& b) {
    if (a.value.has_value() != b.value.has_value()) return false;
    return a.value ? comparable(*a.value) == comparable(*b.value) : true;
  }
  friend void PrintTo(const Outcome& o, std::ostream* os) {
    if (o.value) {
      *os << ::testing::PrintToString(*o.value);
    } else {
      *os << "error: " << o.error;
    }
  }
};

template <class T>
Outcome<T> read(const Field& field) {
  try {
    return {field.as<T>(), {}};
  } catch (const ConversionError& e) {
    return {std::nullopt, e.what()};
  }
}

class DateTimeText : public pgkit::types_test::TypesTest {
 protected:
  void SetUp() override { set_session("ISO, MDY", "postgres", "UTC"); }

  void set_session(std::string_view date_style, std::string_view interval_style, std::string_view time_zone) {
    conn.exec("SELECT set_config('DateStyle', $1, false), set_config('IntervalStyle', $2, false), "
              "set_config('TimeZone', $3, false)",
              date_style, interval_style, time_zone);
  }

  // Stores `values` in a temporary table of `sql_type` (under ISO, UTC, 'postgres').
  void store(std::string_view sql_type, const std::vector<std::string>& values) {
    conn.execute_script(fmt::format("CREATE TEMP TABLE samples (id int PRIMARY KEY, v {})", sql_type));
    for (std::size_t i = 0; i < values.size(); ++i) {
      conn.exec(fmt::format("INSERT INTO samples VALUES ($1, $2::{})", sql_type), static_cast<int>(i), values[i]);
    }
  }

  // The stored values read as T from a binary result (a prepared statement: described columns come in
  // binary under ISO and UTC).
  template <class T>
  std::vector<Outcome<T>> binary_reference() {
    const auto statement = conn.prepare("reference", "SELECT v FROM samples ORDER BY id");
    const pgkit::Result result = conn.exec(statement);
    conn.deallocate(statement);
    std::vector<Outcome<T>> out;
    for (const auto& row : result) {
      EXPECT_EQ(row[0].format(), Format::binary);
      out.push_back(read<T>(row[0]));
    }
    return out;
  }

  // Under every combination of settings: the text result reads as the binary one did, and its string
  // is the server's own text.
  template <class T>
  void expect_text_reads_as_binary(std::string_view sql_type, const std::vector<std::string>& values,
                                   bool every_zone) {
    store(sql_type, values);
    const std::vector<Outcome<T>> expected = binary_reference<T>();
    ASSERT_EQ(expected.size(), values.size());
    for (const auto date_style : date_styles) {
      for (const auto interval_style : interval_styles) {
        for (const auto zone : time_zones) {
          if (!every_zone && zone != "UTC") continue;
          set_session(date_style, interval_style, zone);
          SCOPED_TRACE(fmt::format("DateStyle '{}', IntervalStyle '{}', TimeZone '{}'", date_style, interval_style, zone));
          const pgkit::Result text = conn.execute_script("SELECT v FROM samples ORDER BY id");
          const pgkit::Result server = conn.exec("SELECT v::text FROM samples ORDER BY id");
          ASSERT_EQ(text.size(), values.size());
          for (std::size_t i = 0; i < values.size(); ++i) {
            const Field field = text[i][0];
            ASSERT_EQ(field.format(), Format::text);
            EXPECT_EQ(read<T>(field), expected[i]) << values[i] << " printed as '" << field.bytes() << "'";
            EXPECT_EQ(field.as<std::string>(), server[i][0].as<std::string>());
          }
        }
      }
    }
  }
};

TEST_F(DateTimeText, DatesUnderEveryDateStyle) {
  expect_text_reads_as_binary<std::chrono::sys_days>("date", date_values, false);
}

TEST_F(DateTimeText, DatesAsYearMonthDay) {
  expect_text_reads_as_binary<std::chrono::year_month_day>("date", date_values, false);
}

TEST_F(DateTimeText, TimestampsUnderEveryDateStyle) {
  expect_text_reads_as_binary<WallClock>("timestamp", timestamp_values, false);
}

TEST_F(DateTimeText, TimestamptzUnderEveryDateStyleAndTimeZone) {
  expect_text_reads_as_binary<Instant>("timestamptz", timestamptz_values, true);
}

TEST_F(DateTimeText, TimesUnderEveryStyle) {
  expect_text_reads_as_binary<TimeOfDay>("time", time_values, false);
}

TEST_F(DateTimeText, TimeTzUnderEveryStyleAndTimeZone) {
  expect_text_reads_as_binary<TimeTz>("timetz", timetz_values, true);
}

TEST_F(DateTimeText, IntervalsUnderEveryIntervalStyle) {
  expect_text_reads_as_binary<Interval>("interval", interval_values, false);
}

TEST_F(DateTimeText, DurationsUnderEveryIntervalStyle) {
  expect_text_reads_as_binary<std::chrono::microseconds>("interval", interval_values, false);
}

// 01/02/2026 is read as the server meant it, and a result keeps the settings it was made under.
TEST_F(DateTimeText, AmbiguousDatesReadTheWayTheServerWroteThem) {
  using std::chrono::sys_days;
  set_session("SQL, DMY", "postgres", "UTC");
  const pgkit::Result day_first = conn.execute_script("SELECT '2026-02-01'::date");
  EXPECT_EQ(day_first.one()[0].as<std::string>(), "01/02/2026");
  set_session("SQL, MDY", "postgres", "UTC");
  const pgkit::Result month_first = conn.execute_script("SELECT '2026-01-02'::date");
  EXPECT_EQ(month_first.one()[0].as<std::string>(), "01/02/2026");
  EXPECT_EQ(month_first.one()[0].as<sys_days>(), sys_days(2026y / 1 / 2));
  EXPECT_EQ(day_first.one()[0].as<sys_days>(), sys_days(2026y / 2 / 1));  // made under DMY, read after
}

// A script that changes the style before its SELECT: the result carries the settings at its end.
TEST_F(DateTimeText, SettingsChangedInsideTheScriptApply) {
  const pgkit::Result result = conn.execute_script(
      "SET DateStyle = 'German, DMY'; SET TimeZone = 'Asia/Kathmandu'; "
      "SELECT '2026-01-02 03:04:05+00'::timestamptz, '1 day 02:00'::interval");
  EXPECT_EQ(result.one()[0].as<std::string>(), "02.01.2026 08:49:05 +0545");
  EXPECT_EQ(result.one()[0].as<Instant>(), std::chrono::sys_days(2026y / 1 / 2) + 3h + 4min + 5s);
}

// Abbreviations whose meaning depends on the zone: IST is +05:30 in Asia/Kolkata, +01:00 (summer) in
// Europe/Dublin, +02:00 in pg_timezone_abbrevs. A POSIX zone names its own abbreviations, and one
// given as a bare offset prints none.
TEST_F(DateTimeText, AbbreviationsMeanWhatTheSessionZoneMeans) {
  const Instant noon = std::chrono::sys_days(2026y / 7 / 2) + 12h;
  for (const auto zone : {"Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem", "XYZ+3", "<+0545>-5:45", "+05:45",
                          "EST5EDT4,M3.2.0,M11.1.0", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"}) {
    for (const auto date_style : {"SQL, MDY", "Postgres, DMY"}) {
      set_session(date_style, "postgres", zone);
      const pgkit::Result result = conn.execute_script("SELECT '2026-07-02 12:00:00+00'::timestamptz");
      const Field field = result.one()[0];
      SCOPED_TRACE(fmt::format("TimeZone '{}': '{}'", zone, field.bytes()));
      EXPECT_EQ(field.as<Instant>(), noon);
    }
  }
}

// Messages quote the text they got and say which settings it was read under.
TEST_F(DateTimeText, ErrorsQuoteTheText) {
  const auto message = [](std::string_view text, pgkit::Oid type, auto tag) {
    using T = decltype(tag);
    try {
      (void)Field(text.data(), text.size(), type, Format::text, "x").as<T>();
    } catch (const ConversionError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(message("13/45/2026", pgkit::oid::date, std::chrono::sys_days{}),
            "cannot read column \"x\" (date) as a date: '13/45/2026' is not a date as the server writes it "
            "(DateStyle 'ISO, MDY')");
  EXPECT_THAT(message("07/02/2026 05:04:05 QQQ", pgkit::oid::timestamptz, Instant{}),
              HasSubstr("'07/02/2026 05:04:05 QQQ' names the time zone abbreviation 'QQQ'"));
  EXPECT_THAT(message("2026-07-02 05:04:05", pgkit::oid::timestamptz, Instant{}),
              HasSubstr("as std::chrono::sys_time: '2026-07-02 05:04:05' is not a timestamp with time zone"));
  EXPECT_THAT(message("1 fortnight", pgkit::oid::interval, Interval{}),
              HasSubstr("'1 fortnight' is not an interval as the server writes it (IntervalStyle 'postgres')"));
  EXPECT_THAT(message("25:00:00", pgkit::oid::time, TimeOfDay{}), HasSubstr("'25:00:00' is not a time of day"));
  EXPECT_THAT(message("12:00:00+16", pgkit::oid::timetz, TimeTz{}), HasSubstr("'12:00:00+16' is not a time with time zone"));
  EXPECT_THAT(message("Fri Jul 02 03:04:05 2026", pgkit::oid::timestamp, WallClock{}),
              HasSubstr("is not a timestamp"));  // 2026-07-02 is a Thursday
  EXPECT_THAT(message("2026-02-30", pgkit::oid::date, std::chrono::sys_days{}), HasSubstr("'2026-02-30'"));
}

}  // namespace
