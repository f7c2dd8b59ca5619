// The decoders' types (network, range, money, bits, geometry, Array with bounds) through a typed binary
// COPY in and back out, checked against the server's own text of what it stored.
#include "bulk/copy_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/array.hpp>
#include <pgkit/bits.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/geometry.hpp>
#include <pgkit/money.hpp>
#include <pgkit/network.hpp>
#include <pgkit/range.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::Connection;
using ::testing::ElementsAre;
using Text = std::optional<std::string>;

class CopyDecoders : public pgkit::testing::DatabaseTest {
 protected:
  void SetUp() override { conn.exec("SET lc_monetary = 'C'"); }

  // `values` copied into a new `table` (id int, v <sql_type>), read back by a binary COPY out; the
  // server's text of each stored value goes to `texts`.
  template <class T>
  std::vector<std::optional<T>> round_trip(const std::string& table, std::string_view sql_type,
                                           const std::vector<std::optional<T>>& values, std::vector<Text>& texts) {
    conn.exec(fmt::format("CREATE TABLE {} (id int PRIMARY KEY, v {})", table, sql_type));
    std::vector<std::tuple<int, std::optional<T>>> rows;
    for (std::size_t i = 0; i < values.size(); ++i) rows.emplace_back(static_cast<int>(i), values[i]);
    EXPECT_EQ(pgkit::copy_in(conn, table, {"id", "v"}, rows), static_cast<std::int64_t>(values.size()));
    std::vector<std::optional<T>> back;
    for (const auto& [id, value] :
         pgkit::CopyRows<int, std::optional<T>>(conn, fmt::format("SELECT id, v FROM {} ORDER BY id", table))) {
      EXPECT_EQ(id, static_cast<int>(back.size()));
      back.push_back(value);
    }
    texts = conn.query<Text>(fmt::format("SELECT v::text FROM {} ORDER BY id", table));
    return back;
  }

  Connection conn = connect();
};

TEST_F(CopyDecoders, NetworkAddresses) {
  std::vector<Text> texts;
  const std::vector<std::optional<pgkit::Inet>> inets = {pgkit::Inet::parse("::ffff:1.2.3.4"), std::nullopt,
                                                         pgkit::Inet::parse("10.1.2.3/8")};
  EXPECT_EQ(round_trip("inets", "inet", inets, texts), inets);
  EXPECT_THAT(texts, ElementsAre("::ffff:1.2.3.4/128", std::nullopt, "10.1.2.3/8"));
  const std::vector<std::optional<pgkit::Cidr>> cidrs = {pgkit::Cidr::parse("::/0"), pgkit::Cidr::parse("10.0.0.0/8")};
  EXPECT_EQ(round_trip("cidrs", "cidr", cidrs, texts), cidrs);
  EXPECT_THAT(texts, ElementsAre("::/0", "10.0.0.0/8"));
  const std::vector<std::optional<pgkit::MacAddr>> macs = {pgkit::MacAddr::parse("08:00:2b:01:02:03")};
  EXPECT_EQ(round_trip("macs", "macaddr", macs, texts), macs);
  EXPECT_THAT(texts, ElementsAre("08:00:2b:01:02:03"));
}

TEST_F(CopyDecoders, RangesAndMultiranges) {
  using IntRange = pgkit::Range<std::int32_t>;
  std::vector<Text> texts;
  const std::vector<std::optional<IntRange>> ranges = {IntRange(1, 5), IntRange(), IntRange(std::nullopt, 3),
                                                       std::nullopt};
  EXPECT_EQ(round_trip("ranges", "int4range", ranges, texts), ranges);
  EXPECT_THAT(texts, ElementsAre("[1,5)", "empty", "(,3)", std::nullopt));
  using Multi = pgkit::Multirange<std::int32_t>;
  const std::vector<std::optional<Multi>> multis = {Multi{}, Multi{IntRange(1, 2), IntRange(4, std::nullopt)}};
  EXPECT_EQ(round_trip("multis", "int4multirange", multis, texts), multis);
  EXPECT_THAT(texts, ElementsAre("{}", "{[1,2),[4,)}"));
}

TEST_F(CopyDecoders, MoneyBitsAndGeometry) {
  std::vector<Text> texts;
  const std::vector<std::optional<pgkit::Money>> money = {pgkit::Money{INT64_MIN}, pgkit::Money{INT64_MAX}};
  EXPECT_EQ(round_trip("money", "money", money, texts), money);
  EXPECT_THAT(texts, ElementsAre("-$92,233,720,368,547,758.08", "$92,233,720,368,547,758.07"));
  const std::vector<std::optional<pgkit::BitString>> bits = {pgkit::BitString(""), pgkit::BitString("101000001")};
  EXPECT_EQ(round_trip("bits", "varbit", bits, texts), bits);
  EXPECT_THAT(texts, ElementsAre("", "101000001"));
  const std::vector<std::optional<pgkit::Point>> points = {pgkit::Point{1.5, -2}};
  EXPECT_EQ(round_trip("points", "point", points, texts), points);
  EXPECT_THAT(texts, ElementsAre("(1.5,-2)"));
  const std::vector<std::optional<pgkit::Path>> paths = {pgkit::Path{{{0, 0}, {1, 1}}, true}};
  EXPECT_EQ(round_trip("paths", "path", paths, texts), paths);
  EXPECT_THAT(texts, ElementsAre("((0,0),(1,1))"));
}

TEST_F(CopyDecoders, ArraysWithLowerBounds) {
  std::vector<Text> texts;
  const std::vector<std::optional<pgkit::Array<int>>> arrays = {
      pgkit::Array<int>({1, 2}, 0), pgkit::Array<int>::with_shape({{-3, 1}, {1, 2}}, {7, 8}), pgkit::Array<int>()};
  EXPECT_EQ(round_trip("arrays", "int[]", arrays, texts), arrays);
  EXPECT_THAT(texts, ElementsAre("[0:1]={1,2}", "[-3:-3][1:2]={{7,8}}", "{}"));
}

}  // namespace
