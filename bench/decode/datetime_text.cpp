// Reading dates and times from text results, with Google Benchmark: the cost of one field's decode
// under each DateStyle / IntervalStyle, beside the binary decode of the same value. Under a
// non-default style the driver fetches these types in text, so this is their hot path.
// Against DATABASE_URL or a throwaway embedded cluster.
#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/embedded.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

namespace {

using Instant = std::chrono::sys_time<std::chrono::microseconds>;

const pgkit::embedded::ServerForThisRun& server() {
  static const pgkit::embedded::ServerForThisRun instance;
  return instance;
}

// One value of `expression` as the server writes it under the given settings (text), or in binary.
pgkit::Result sample(const char* date_style, const char* interval_style, const char* zone, const char* expression,
                     bool binary) {
  static pgkit::Connection conn(server().conninfo());
  conn.exec("SELECT set_config('DateStyle', $1, false), set_config('IntervalStyle', $2, false), "
            "set_config('TimeZone', $3, false)",
            std::string(date_style), std::string(interval_style), std::string(zone));
  const std::string sql = std::string("SELECT ") + expression;
  if (!binary) return conn.execute_script(sql);
  conn.exec(sql);  // a statement's first run is in text; once described, its result comes in binary
  return conn.exec(sql);
}

struct Case {
  const char* name;
  const char* date_style;
  const char* interval_style;
  const char* zone;
  const char* expression;
  bool binary;
};

// Registers the decode of `c`'s value as T; the value is fetched when the benchmark first runs.
template <class T>
void add(const Case& c) {
  benchmark::RegisterBenchmark(c.name, [c](benchmark::State& state) {
    const pgkit::Result result = sample(c.date_style, c.interval_style, c.zone, c.expression, c.binary);
    const pgkit::Field field = result.one()[0];
    state.SetLabel(std::string(field.is_binary() ? "binary" : field.bytes()));
    for (auto _ : state) benchmark::DoNotOptimize(field.as<T>());
  });
}

constexpr const char* timestamptz = "'2026-07-02 03:04:05.123456+00'::timestamptz";
constexpr const char* interval = "'-1 year 2 mons -3 days 04:05:06.789'::interval";

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  add<Instant>({"timestamptz_binary", "ISO, MDY", "postgres", "UTC", timestamptz, true});
  add<Instant>({"timestamptz_iso", "ISO, MDY", "postgres", "Asia/Kathmandu", timestamptz, false});
  add<Instant>({"timestamptz_sql_abbreviation", "SQL, DMY", "postgres", "Europe/Berlin", timestamptz, false});
  add<Instant>({"timestamptz_postgres_lmt", "Postgres, MDY", "postgres", "America/St_Johns",
                "'1800-01-01 00:00+00'::timestamptz", false});
  add<std::chrono::sys_days>({"date_german", "German, DMY", "postgres", "UTC", "'2026-07-02'::date", false});
  add<pgkit::TimeTz>({"timetz", "ISO, MDY", "postgres", "UTC", "'13:04:05.5-03:30'::timetz", false});
  add<pgkit::Interval>({"interval_binary", "ISO, MDY", "postgres", "UTC", interval, true});
  add<pgkit::Interval>({"interval_postgres", "ISO, MDY", "postgres", "UTC", interval, false});
  add<pgkit::Interval>({"interval_postgres_verbose", "ISO, MDY", "postgres_verbose", "UTC", interval, false});
  add<pgkit::Interval>({"interval_sql_standard", "ISO, MDY", "sql_standard", "UTC", interval, false});
  add<pgkit::Interval>({"interval_iso_8601", "ISO, MDY", "iso_8601", "UTC", interval, false});
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
