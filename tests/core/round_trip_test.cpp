// Every scalar type the driver sends, through every path of the round-trip kit (tests/support/round_trip.hpp):
// parameters into text and binary results with the statement cache off, preparing at once, and at its
// default threshold; arrays with NULL; binary and text COPY in and out; sql::Literal. Compound types
// (ranges, network, geometry, arrays with bounds, enums) are in round_trip_compound_test.cpp.
#include "support/round_trip.hpp"
#include "support/test_server.hpp"

#include <gtest/gtest-spi.h>

#include <pgkit/datetime.hpp>
#include <pgkit/json.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/uuid.hpp>

#include <chrono>
#include <functional>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::round_trip::Exemption;
using pgkit::round_trip::KnownFailure;
using pgkit::round_trip::Options;
using pgkit::round_trip::Path;

class RoundTrip : public pgkit::testing::DatabaseTest {
 protected:
  template <class T>
  static void run(const Options& options, const std::vector<T>& values) {
    pgkit::round_trip::run<T>(database_url(), options, values);
  }
};

template <class T>
std::vector<T> integer_edges() {
  using L = std::numeric_limits<T>;
  return {T{0}, T{1}, T{-1}, T{42}, L::min(), static_cast<T>(L::min() + 1), L::max(), static_cast<T>(L::max() - 1)};
}

TEST_F(RoundTrip, Bool) { run<bool>({.sql_type = "bool"}, {true, false}); }
TEST_F(RoundTrip, Int16) { run<std::int16_t>({.sql_type = "int2"}, integer_edges<std::int16_t>()); }
TEST_F(RoundTrip, Int32) { run<std::int32_t>({.sql_type = "int4"}, integer_edges<std::int32_t>()); }
TEST_F(RoundTrip, Int64) { run<std::int64_t>({.sql_type = "int8"}, integer_edges<std::int64_t>()); }

template <class T>
std::vector<T> floating_edges() {
  using L = std::numeric_limits<T>;
  return {T(0),         -T(0),         T(1.5),        T(-2.25),       T(0.1),          T(1) / T(3),
          L::max(),     L::lowest(),   L::min(),      L::denorm_min(), -L::denorm_min(), L::epsilon(),
          L::infinity(), -L::infinity(), L::quiet_NaN(), T(123456789.0),  T(1e-30)};
}

TEST_F(RoundTrip, Float) { run<float>({.sql_type = "float4"}, floating_edges<float>()); }
TEST_F(RoundTrip, Double) { run<double>({.sql_type = "float8"}, floating_edges<double>()); }

TEST_F(RoundTrip, Numeric) {
  using pgkit::Decimal;
  std::vector<Decimal> values;
  for (const char* text : {"0", "1", "-1", "0.1", "-0.000001", "3.14159265358979323846264338327950288",
                           "123456789012345678901234567890", "1.000", "-99999999999999999999.99999999999999999999",
                           "1e-300", "9.9e300"}) {
    values.emplace_back(text);
  }
  values.emplace_back("0." + std::string(999, '0') + "1");  // scale 1000, the largest numeric's text
  values.emplace_back("1" + std::string(1000, '0'));
  for (const char* special : {"NaN", "Infinity", "-Infinity"}) values.emplace_back(special);
  run<Decimal>({.sql_type = "numeric"}, values);
}

TEST_F(RoundTrip, Text) {
  run<std::string>({.sql_type = "text"},
                   {"", "a", " leading and trailing ", "it's", "\"double\"", "back\\slash", "\\x41", "tab\there",
                    "new\nline\r\n", "{braces,comma}", "NULL", "héllo wörld", "日本語", "emoji 😀 𝄞", "$q$ dollar $$",
                    std::string(10000, 'x')});
}

TEST_F(RoundTrip, Varchar) { run<std::string>({.sql_type = "varchar"}, {"", "naïve", "x y"}); }

TEST_F(RoundTrip, Bytea) {
  using B = std::byte;
  std::vector<pgkit::Bytes> values{{}, {B{0}}, {B{0}, B{1}, B{0}, B{255}}, {B{'\\'}, B{'\''}, B{'"'}}, {B{'\n'}, B{'\t'}}};
  pgkit::Bytes all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<B>(i));
  values.push_back(all);
  run<pgkit::Bytes>({.sql_type = "bytea"}, values);
}

TEST_F(RoundTrip, Uuid) {
  using pgkit::Uuid;
  run<Uuid>({.sql_type = "uuid"}, {Uuid{}, Uuid::parse("00000000-0000-0000-0000-000000000001"),
                                   Uuid::parse("ffffffff-ffff-ffff-ffff-ffffffffffff"),
                                   Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")});
}

std::vector<std::chrono::sys_days> date_values() {
  using namespace std::chrono;
  // 'infinity' is not a sys_days: reading it is a ConversionError (datetime.hpp), so it is not sent.
  return {sys_days{1970y / 1 / 1},   sys_days{2000y / 1 / 1},  sys_days{2000y / 2 / 29},
          sys_days{1999y / 12 / 31}, sys_days{1y / 1 / 1},     sys_days{0y / 12 / 31},  // 1 BC
          sys_days{-4713y / 11 / 24},                                                 // the first: 4714-11-24 BC
          sys_days{9999y / 12 / 31}, sys_days{10000y / 1 / 1}, sys_days{32767y / 12 / 31}};
}

using Timestamptz = std::chrono::sys_time<std::chrono::microseconds>;
std::vector<Timestamptz> timestamptz_values() {
  using namespace std::chrono;
  using T = Timestamptz;
  const T epoch{};
  return {epoch,
          epoch + 1us,
          epoch - 1us,
          T{sys_days{2000y / 1 / 1}},
          T{sys_days{2000y / 1 / 1}} - 1us,
          T{sys_days{2024y / 2 / 29}} + 23h + 59min + 59s + 999999us,
          T{sys_days{2024y / 3 / 31}} + 1h + 30min,  // a DST change in Europe
          T{sys_days{1y / 1 / 1}},
          T{sys_days{-4713y / 11 / 24}},  // 4714-11-24 BC, the first
          T{sys_days{9999y / 12 / 31}} + 86399999999us,
          T{sys_days{294276y / 12 / 30}} + 86399999999us,  // near the last (a time zone east of UTC may not pass it)
          T::max(),                                         // infinity
          T::min()};                                        // -infinity
}

using Timestamp = std::chrono::local_time<std::chrono::microseconds>;
std::vector<Timestamp> timestamp_values() {
  using namespace std::chrono;
  using T = Timestamp;
  const T epoch{};
  return {epoch,
          epoch + 1us,
          epoch - 1us,
          T{local_days{2000y / 1 / 1}} + 12h + 30min,
          T{local_days{1y / 1 / 1}} - 1us,  // 1 BC, the last microsecond
          T{local_days{-4713y / 11 / 24}},
          T{local_days{294276y / 12 / 31}} + 86399999999us,
          T::max(),
          T::min()};
}

using Time = std::chrono::hh_mm_ss<std::chrono::microseconds>;
std::vector<Time> time_values() { return {Time{0us}, Time{1us}, Time{12h + 34min + 56s + 789012us}, Time{24h - 1us}, Time{24h}}; }

std::vector<pgkit::TimeTz> timetz_values() {
  using pgkit::TimeTz;
  const auto last_offset = 15h + 59min + 59s;
  return {TimeTz{0us, 0s},           TimeTz{12h + 1us, 5h + 45min}, TimeTz{24h, 14h},        TimeTz{24h - 1us, last_offset},
          TimeTz{0us, -last_offset}, TimeTz{1h, -(3h + 30min)},     TimeTz{23h, 1s}};
}

std::vector<pgkit::Interval> interval_values() {
  using pgkit::Interval;
  constexpr auto max32 = std::numeric_limits<std::int32_t>::max();
  constexpr auto min32 = std::numeric_limits<std::int32_t>::min();
  return {Interval{}, Interval{1, 2, 3}, Interval{-1, -2, -3}, Interval{14, 0, 0}, Interval{-14, 3, -1},
          Interval{0, 0, 86'400'000'000}, Interval{0, 0, -1}, Interval{1, -1, 1}, Interval{0, 0, 1'500'000},
          Interval{max32, max32, std::numeric_limits<std::int64_t>::max()},
          Interval{min32 + 1, min32 + 1, std::numeric_limits<std::int64_t>::min() + 1}};
}

TEST_F(RoundTrip, Date) { run({.sql_type = "date"}, date_values()); }
TEST_F(RoundTrip, Timestamptz) { run({.sql_type = "timestamptz"}, timestamptz_values()); }
TEST_F(RoundTrip, Timestamp) { run({.sql_type = "timestamp"}, timestamp_values()); }
TEST_F(RoundTrip, Time) { run({.sql_type = "time"}, time_values()); }
TEST_F(RoundTrip, TimeTz) { run({.sql_type = "timetz"}, timetz_values()); }
TEST_F(RoundTrip, Interval) { run({.sql_type = "interval"}, interval_values()); }

// The same values under sessions whose text differs from the default: the described statements then
// get text results wherever pgkit could not print the server's text, and every path must still hold.
const char* const odd_settings[] = {
    "SET TimeZone = 'Asia/Kathmandu'; SET DateStyle = 'SQL, DMY'; SET IntervalStyle = 'sql_standard'",
    "SET TimeZone = 'America/St_Johns'; SET DateStyle = 'German'; SET IntervalStyle = 'iso_8601'",
    "SET TimeZone = 'Pacific/Chatham'; SET DateStyle = 'Postgres, MDY'; SET IntervalStyle = 'postgres_verbose'",
    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'postgres'",
};

TEST_F(RoundTrip, DateTimesUnderEverySetting) {
  for (const char* settings : odd_settings) {
    SCOPED_TRACE(settings);
    run({.sql_type = "date", .session_setup = settings}, date_values());
    run({.sql_type = "timestamptz", .session_setup = settings}, timestamptz_values());
    run({.sql_type = "timestamp", .session_setup = settings}, timestamp_values());
    run({.sql_type = "time", .session_setup = settings}, time_values());
    run({.sql_type = "timetz", .session_setup = settings}, timetz_values());
    run({.sql_type = "interval", .session_setup = settings}, interval_values());
  }
}

// The failures `body` reports, intercepted (they do not fail the test), one message a line.
std::string failures_of(const std::function<void()>& body) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    body();
  }
  std::string all;
  for (int i = 0; i < failures.size(); ++i) all += std::string(failures.GetTestPartResult(i).message()) + "\n";
  return all;
}

// The kit itself: a value the server changes is caught on every path, and a known failure that passes fails.
TEST_F(RoundTrip, KitCatchesAChangedValue) {
  // varchar(2) keeps two characters of three.
  const std::string failures = failures_of([] { run<std::string>({.sql_type = "varchar(2)"}, {"abc"}); });
  for (const char* path : {"param_text", "param_binary", "param_cached", "array"}) {
    EXPECT_NE(failures.find(fmt::format("varchar(2) {} value #0", path)), std::string::npos) << path << "\n" << failures;
  }
  EXPECT_NE(failures.find("came back as ab"), std::string::npos) << failures;
  EXPECT_NE(failures.find("value too long"), std::string::npos) << "COPY into varchar(2)\n" << failures;
}

TEST_F(RoundTrip, KitFailsAKnownFailureThatPasses) {
  const std::string failures = failures_of(
      [] { run<std::int32_t>({.sql_type = "int4", .known_failures = {{Path::param_text, 0, "not a bug"}}}, {7}); });
  EXPECT_NE(failures.find("known failure passes now (not a bug)"), std::string::npos) << failures;
}

TEST_F(RoundTrip, DurationAsInterval) {
  using std::chrono::microseconds;
  run<microseconds>({.sql_type = "interval"}, {0us, 1us, -1us, microseconds(86'400'000'000 * 400), -90061000001us});
}

TEST_F(RoundTrip, Jsonb) {
  using nlohmann::json;
  run<json>({.sql_type = "jsonb"},
            {json(nullptr), json(true), json(0), json(-1.5), json("str \"q\" \\ é"), json::array(),
             json::object(), json{{"b", 1}, {"a", json::array({1, nullptr, "x"})}}, json::parse("[[[[[]]]]]"),
             json(std::numeric_limits<std::int64_t>::min())});
}

TEST_F(RoundTrip, Json) {
  using nlohmann::ordered_json;
  // ordered_json keeps the key order and the json column keeps the text: both must survive.
  run<ordered_json>({.sql_type = "json"},
                    {ordered_json(nullptr), ordered_json::parse(R"({"z":1,"a":[true,null]})"),
                     ordered_json("tab\t and \\"), ordered_json::array()});
}

}  // namespace
