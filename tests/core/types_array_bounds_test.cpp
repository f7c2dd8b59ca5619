// Arrays whose subscripts do not start at 1: std::vector refuses them (never drops the bounds
// silently), pgkit::Array<T> (pgkit/array.hpp) keeps them, reads them in both formats and sends them.
#include "core/decoders_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/array.hpp>
#include <pgkit/connection.hpp>
#include <pgkit/numeric.hpp>

#include <gmock/gmock.h>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace pgkit {
template <class T>
void PrintTo(const Array<T>& value, std::ostream* os) {
  *os << "Array(";
  for (const ArrayDimension& d : value.dimensions()) *os << "[" << d.lower_bound << ":" << d.upper_bound() << "]";
  *os << ", " << value.size() << " elements)";
}
}  // namespace pgkit

namespace {

using pgkit::Array;
using pgkit::ArrayDimension;
using pgkit::ConversionError;
using pgkit::types_test::echo_binary;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::expect_text_matches_server;
using pgkit::types_test::expect_value;
using pgkit::types_test::server_text;
using ::testing::HasSubstr;

class TypesArrayBounds : public pgkit::types_test::TypesTest {};

TEST_F(TypesArrayBounds, VectorsRefuseOtherLowerBounds) {
  for (const char* expression : {"'[0:1]={1,2}'::int[]", "'[-3:-2]={1,2}'::int[]", "'[2:2]={7}'::int[]"}) {
    SCOPED_TRACE(expression);
    const std::string message = expect_read_fails<std::vector<int>>(conn, expression);
    EXPECT_THAT(message, HasSubstr("pgkit::Array"));
  }
  EXPECT_THAT(expect_read_fails<std::vector<std::vector<int>>>(conn, "'[1:2][0:1]={{1,2},{3,4}}'::int[]"),
              HasSubstr("[1:2][0:1]"));
  // Default bounds still read, and so do arrays the server shifted back to 1.
  expect_reads(conn, "'[1:2]={1,2}'::int[]", std::vector<int>{1, 2});
  expect_reads(conn, "('[0:1]={1,2}'::int[])[0:1]", std::vector<int>{1, 2});
}

TEST_F(TypesArrayBounds, OneDimension) {
  expect_value(conn, "'[0:1]={1,2}'::int[]", Array<int>({1, 2}, 0), "int[]");
  expect_value(conn, "'[-3:-2]={1,2}'::int[]", Array<int>({1, 2}, -3), "int[]");
  expect_value(conn, "'{5,6}'::int[]", Array<int>({5, 6}), "int[]");
  expect_value(conn, "'[2147483645:2147483646]={1,2}'::int[]", Array<int>({1, 2}, 2147483645), "int[]");
  EXPECT_THROW(Array<int>({1, 2}, 2147483646), ConversionError) << "the server refuses [2147483646:2147483647]";
  expect_value(conn, "'[-2147483648:-2147483648]={9}'::int[]", Array<int>({9}, -2147483648), "int[]");
  expect_value(conn, "'{}'::int[]", Array<int>(), "int[]");
  const Array<int> a({10, 20, 30}, 0);
  EXPECT_EQ(a.at({0}), 10);
  EXPECT_EQ(a.at({2}), 30);
  EXPECT_THROW((void)a.at({3}), ConversionError);
  EXPECT_THROW((void)a.at({-1}), ConversionError);
  EXPECT_THROW((void)a.at({0, 0}), ConversionError);
  EXPECT_EQ(conn.query_value<int>("SELECT array_lower($1::int[], 1)", a), 0);
  EXPECT_EQ(conn.query_value<int>("SELECT ($1::int[])[2]", a), 30);
  EXPECT_EQ(server_text(conn, a), "[0:2]={10,20,30}");
}

TEST_F(TypesArrayBounds, TwoDimensions) {
  const Array<int> grid = Array<int>::with_shape({{0, 2}, {-1, 3}}, {1, 2, 3, 4, 5, 6});
  expect_value(conn, "'[0:1][-1:1]={{1,2,3},{4,5,6}}'::int[]", grid, "int[]");
  EXPECT_EQ(grid.at({0, -1}), 1);
  EXPECT_EQ(grid.at({1, 1}), 6);
  EXPECT_EQ(conn.query_value<int>("SELECT ($1::int[])[1][-1]", grid), 4);
  // Bounds of 1 in every dimension but one still need the decoration.
  expect_value(conn, "'[1:2][2:3]={{1,2},{3,4}}'::int[]", Array<int>::with_shape({{1, 2}, {2, 2}}, {1, 2, 3, 4}),
               "int[]");
  expect_value(conn, "'{{1,2},{3,4}}'::int[]", Array<int>::with_shape({{1, 2}, {1, 2}}, {1, 2, 3, 4}), "int[]");
}

TEST_F(TypesArrayBounds, NullsStringsAndOtherElements) {
  using Maybe = Array<std::optional<int>>;
  expect_value(conn, "'[0:2]={1,NULL,3}'::int[]", Maybe({1, std::nullopt, 3}, 0), "int[]");
  // Strings go as text: the bounds travel in the literal.
  expect_value(conn, "'[0:1]={\"a b\",\"NULL\"}'::text[]", Array<std::string>({"a b", "NULL"}, 0), "text[]");
  expect_value(conn, "'[5:6]={1.50,-2}'::numeric[]",
               Array<pgkit::Decimal>({pgkit::Decimal("1.50"), pgkit::Decimal(-2)}, 5), "numeric[]");
  expect_text_matches_server(conn, "'[0:1]={\"a b\",c}'::text[]");
}

TEST_F(TypesArrayBounds, ShapeIsChecked) {
  EXPECT_THROW(Array<int>::with_shape({{1, 2}, {1, 2}}, {1, 2, 3}), ConversionError);
  EXPECT_THROW(Array<int>::with_shape({{1, -1}}, {}), ConversionError);
  EXPECT_THROW(Array<int>::with_shape({{2147483647, 2}}, {1, 2}), ConversionError);
  EXPECT_THROW(Array<int>::with_shape(std::vector<ArrayDimension>(7, ArrayDimension{1, 1}), {1}), ConversionError);
  // An empty array has no dimensions, as the server's.
  EXPECT_TRUE(Array<int>::with_shape({{0, 0}}, {}).dimensions().empty());
  EXPECT_EQ(echo_binary(conn, Array<int>::with_shape({{3, 0}}, {}), "int[]"), Array<int>());
  // A vector (bounds of 1) and an Array read the same unbounded array.
  expect_reads(conn, "'{7,8}'::int[]", Array<int>({7, 8}));
}

}  // namespace
