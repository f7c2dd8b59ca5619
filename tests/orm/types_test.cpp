// Every column type of the driver through a model: the DDL gives each member its SQL type (from the
// type table), and values come back equal through insert/get, pipelined insert_many and COPY.
#include <pgkit/bits.hpp>
#include <pgkit/geometry.hpp>
#include <pgkit/json.hpp>
#include <pgkit/money.hpp>
#include <pgkit/network.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/orm.hpp>
#include <pgkit/range.hpp>

#include <gtest/gtest.h>
#include <support/test_server.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace orm_types_test {

using namespace std::chrono;
using Micros = microseconds;

enum class Mood { happy, sad, ok };
BOOST_DESCRIBE_ENUM(Mood, happy, sad, ok)

struct Everything {
  std::int64_t id = 0;
  bool flag = false;
  std::int16_t small = 0;
  std::int32_t medium = 0;
  std::int64_t big = 0;
  float real = 0;
  double dbl = 0;
  pgkit::Decimal decimal;
  std::string text;
  pgkit::Bytes bytes;
  pgkit::Uuid uuid;
  nlohmann::json doc;
  sys_time<Micros> stamp_tz;
  local_time<Micros> stamp;
  sys_days day;
  hh_mm_ss<Micros> time;
  pgkit::TimeTz time_tz;
  pgkit::Interval interval;
  pgkit::Inet inet;
  pgkit::Cidr cidr;
  pgkit::MacAddr mac;
  pgkit::MacAddr8 mac8;
  pgkit::Point point;
  pgkit::Line line;
  pgkit::LineSegment segment;
  pgkit::Box box;
  pgkit::Circle circle;
  pgkit::Path path;
  pgkit::Polygon polygon;
  pgkit::BitString bits;
  pgkit::Money money;
  pgkit::Range<std::int32_t> int_range;
  pgkit::Multirange<std::int64_t> big_ranges;
  std::vector<std::int32_t> ints;
  std::vector<std::optional<std::string>> texts;
  Mood mood = Mood::happy;
  std::optional<double> maybe;
};
BOOST_DESCRIBE_STRUCT(Everything, (),
                      (id, flag, small, medium, big, real, dbl, decimal, text, bytes, uuid, doc, stamp_tz, stamp, day,
                       time, time_tz, interval, inet, cidr, mac, mac8, point, line, segment, box, circle, path, polygon,
                       bits, money, int_range, big_ranges, ints, texts, mood, maybe))

}  // namespace orm_types_test

template <>
struct pgkit::orm::Model<orm_types_test::Everything> {
  static void define(TableDef<orm_types_test::Everything>& t) {
    using orm_types_test::Everything;
    t.table("everything");
    t.primary_key(&Everything::id).identity();
    t.column(&Everything::mood).type("orm_mood");  // a user type: declared, not guessed
  }
};

namespace {

using namespace orm_types_test;
namespace orm = pgkit::orm;

Everything sample(int i) {
  Everything e;
  e.flag = i % 2 == 0;
  e.small = static_cast<std::int16_t>(-i);
  e.medium = 1000 * i;
  e.big = std::int64_t{1} << 40 | i;
  e.real = 1.5F * static_cast<float>(i);
  e.dbl = -0.25 * i;
  e.decimal = pgkit::Decimal("12345678901234567890.0123456789");
  e.text = "text 'with' \"quotes\" " + std::to_string(i);
  e.bytes = {std::byte{0}, std::byte{0xff}, std::byte(i)};
  e.uuid = pgkit::Uuid::parse("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1" + std::to_string(i % 10));
  e.doc = nlohmann::json{{"i", i}, {"list", {1, 2, 3}}};
  e.stamp_tz = sys_time<Micros>(Micros(1'700'000'000'123'456LL + i));
  e.stamp = local_time<Micros>(Micros(1'600'000'000'000'001LL + i));
  e.day = sys_days(year(2024) / February / 29) + days(i);
  e.time = hh_mm_ss<Micros>(hours(13) + minutes(14) + Micros(15'000'016 + i));
  e.time_tz = pgkit::TimeTz{hours(1) + Micros(i), seconds(20700)};
  e.interval = pgkit::Interval{14, 3, 4'000'005 + i};
  e.inet = pgkit::Inet::parse("192.168.0." + std::to_string(i % 250 + 1) + "/24");
  e.cidr = pgkit::Cidr::parse("10.1.0.0/16");
  e.mac = pgkit::MacAddr::parse("08:00:2b:01:02:03");
  e.mac8 = pgkit::MacAddr8::parse("08:00:2b:01:02:03:04:05");
  e.point = {1.5, -2.5 + i};
  e.line = {1, -1, 0.5};
  e.segment = {{0, 0}, {1, static_cast<double>(i)}};
  e.box = {{2, 3}, {0, 1}};
  e.circle = {{1, 1}, 2.5};
  e.path = {{{0, 0}, {1, 1}, {2, 0}}, i % 2 == 0};
  e.polygon = {{{0, 0}, {0, 1}, {1, 0}}};
  e.bits = pgkit::BitString("10110");
  e.money = pgkit::Money{123456 + i};
  e.int_range = pgkit::Range<std::int32_t>(1, 10 + i);
  e.big_ranges =
      pgkit::Multirange<std::int64_t>{pgkit::Range<std::int64_t>(1, 3), pgkit::Range<std::int64_t>(5, std::nullopt)};
  e.ints = {1, -2, i};
  e.texts = {"a", std::nullopt, "c,d"};
  e.mood = i % 2 == 0 ? Mood::sad : Mood::ok;
  if (i % 3 != 0) e.maybe = 0.5 * i;
  return e;
}

// Every column equal, member by member (a failure names the member).
void expect_equal(const Everything& a, const Everything& b) {
  boost::mp11::mp_for_each<boost::describe::describe_members<Everything, boost::describe::mod_public>>([&](auto d) {
    if (std::string_view(d.name) == "id") return;
    const auto& x = a.*d.pointer;
    const auto& y = b.*d.pointer;
    if constexpr (std::is_same_v<std::remove_cvref_t<decltype(x)>, hh_mm_ss<Micros>>) {
      EXPECT_EQ(x.to_duration(), y.to_duration()) << d.name;
    } else {
      EXPECT_TRUE(x == y) << d.name;
    }
  });
}

class OrmTypes : public pgkit::testing::DatabaseTest {};

TEST_F(OrmTypes, EveryDriverTypeThroughAModel) {
  auto conn = connect();
  conn.exec("CREATE TYPE orm_mood AS ENUM ('happy', 'sad', 'ok')");
  orm::create_all<Everything>(conn);
  // The DDL gave each member the type the type table names for its C++ type.
  const auto types = conn.query<std::string, std::string>(
      "SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute "
      "WHERE attrelid = 'everything'::regclass AND attnum > 0 ORDER BY attnum");
  std::map<std::string, std::string> by_column;
  for (const auto& [name, type] : types) by_column[name] = type;
  for (const auto& column : orm::meta<Everything>().columns)
    EXPECT_EQ(by_column[column.name], column.sql_type) << column.name;
  EXPECT_EQ(by_column["stamp_tz"], "timestamp with time zone");
  EXPECT_EQ(by_column["texts"], "text[]");
  EXPECT_EQ(by_column["big_ranges"], "int8multirange");

  orm::Repository<Everything> repo(conn);
  for (int i = 0; i < 3; ++i) {
    const Everything given = sample(i);
    const Everything stored = repo.insert(given);
    expect_equal(stored, given);
    expect_equal(*repo.get(stored.id), given);
  }
  // Pipelined (few rows) and COPY (many rows) read back equal too.
  for (const std::size_t n : {std::size_t{4}, std::size_t{520}}) {
    std::vector<Everything> rows;
    for (std::size_t i = 0; i < n; ++i) rows.push_back(sample(static_cast<int>(i)));
    repo.insert_many(rows);
    for (const std::size_t i : {std::size_t{0}, n / 2, n - 1}) expect_equal(*repo.get(rows[i].id), rows[i]);
  }
}

}  // namespace
