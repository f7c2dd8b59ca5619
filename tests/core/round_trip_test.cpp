// Every scalar type the driver sends, through every path of the round-trip kit (tests/support/round_trip.hpp):
// parameters into text and binary results with the statement cache off, preparing at once, and at its
// default threshold; arrays with NULL; binary and text COPY in and out; sql::Literal. Compound types
// (ranges, network, geometry, arrays with bounds, enums) are in round_trip_compound_test.cpp.
#include "support/round_trip.hpp"
#include "support/test_server.hpp"

#include <pgkit/datetime.hpp>
#include <pgkit/json.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/uuid.hpp>

#include <chrono>
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

TEST_F(RoundTrip, Date) {
  using namespace std::chrono;
  const std::vector<sys_days> values{
      sys_days{1970y / 1 / 1},  sys_days{2000y / 1 / 1},    sys_days{2000y / 2 / 29},
      sys_days{1999y / 12 / 31}, sys_days{1y / 1 / 1},       sys_days{0y / 12 / 31},  // 1 BC
      sys_days{-4713y / 11 / 24},                                                    // the first date: 4714-11-24 BC
      sys_days{9999y / 12 / 31}, sys_days{10000y / 1 / 1}, sys_days{32767y / 12 / 31}};
  // 'infinity' is not a sys_days: reading it is a ConversionError (datetime.hpp), so it is not sent.
  run<sys_days>({.sql_type = "date"}, values);
}

TEST_F(RoundTrip, Timestamptz) {
  using namespace std::chrono;
  using T = sys_time<microseconds>;
  const T epoch{};
  const std::vector<T> values{epoch,
                              epoch + 1us,
                              epoch - 1us,
                              T{sys_days{2000y / 1 / 1}},
                              T{sys_days{2000y / 1 / 1}} - 1us,
                              T{sys_days{2024y / 2 / 29}} + 23h + 59min + 59s + 999999us,
                              T{sys_days{1y / 1 / 1}},
                              T{sys_days{-4713y / 11 / 24}},  // 4714-11-24 BC, the first
                              T{sys_days{9999y / 12 / 31}} + 86399999999us,
                              T{sys_days{294276y / 12 / 31}} + 86399999999us,  // the last
                              T::max(),                                         // infinity
                              T::min()};                                        // -infinity
  run<T>({.sql_type = "timestamptz"}, values);
}

TEST_F(RoundTrip, Timestamp) {
  using namespace std::chrono;
  using T = local_time<microseconds>;
  const T epoch{};
  const std::vector<T> values{epoch,
                              epoch + 1us,
                              epoch - 1us,
                              T{local_days{2000y / 1 / 1}} + 12h + 30min,
                              T{local_days{1y / 1 / 1}} - 1us,  // 1 BC, the last microsecond
                              T{local_days{-4713y / 11 / 24}},
                              T{local_days{294276y / 12 / 31}} + 86399999999us,
                              T::max(),
                              T::min()};
  run<T>({.sql_type = "timestamp"}, values);
}

TEST_F(RoundTrip, Time) {
  using T = std::chrono::hh_mm_ss<std::chrono::microseconds>;
  run<T>({.sql_type = "time"}, {T{0us}, T{1us}, T{12h + 34min + 56s + 789012us}, T{24h - 1us}, T{24h}});
}

TEST_F(RoundTrip, TimeTz) {
  using pgkit::TimeTz;
  const auto last_offset = 15h + 59min + 59s;
  run<TimeTz>({.sql_type = "timetz"}, {TimeTz{0us, 0s}, TimeTz{12h + 1us, 5h + 45min}, TimeTz{24h, 14h},
                                       TimeTz{24h - 1us, last_offset}, TimeTz{0us, -last_offset},
                                       TimeTz{1h, -(3h + 30min)}, TimeTz{23h, 1s}});
}

TEST_F(RoundTrip, Interval) {
  using pgkit::Interval;
  constexpr auto max32 = std::numeric_limits<std::int32_t>::max();
  constexpr auto min32 = std::numeric_limits<std::int32_t>::min();
  run<Interval>({.sql_type = "interval"},
                {Interval{}, Interval{1, 2, 3}, Interval{-1, -2, -3}, Interval{14, 0, 0}, Interval{-14, 3, -1},
                 Interval{0, 0, 86'400'000'000}, Interval{0, 0, -1}, Interval{1, -1, 1},
                 Interval{max32, max32, std::numeric_limits<std::int64_t>::max()},
                 Interval{min32 + 1, min32 + 1, std::numeric_limits<std::int64_t>::min() + 1}});
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
