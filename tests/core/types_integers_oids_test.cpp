// numeric read as an integer when it is whole and fits; oid and the reg* types read as pgkit::Oid.
#include "core/types_test_support.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/numeric.hpp>

#include <gmock/gmock.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace {

using pgkit::ConversionError;
using pgkit::Oid;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::read_binary;
using ::testing::HasSubstr;

class TypesNumericInteger : public pgkit::types_test::TypesTest {};

TEST_F(TypesNumericInteger, WholeNumbersReadAsIntegers) {
  expect_reads(conn, "12::numeric", std::int64_t{12});
  expect_reads(conn, "12.000::numeric", std::int32_t{12});
  expect_reads(conn, "-7.0::numeric", std::int16_t{-7});
  expect_reads(conn, "0.00::numeric", 0);
  expect_reads(conn, "'1e3'::numeric", 1000);
  expect_reads(conn, "'-0.000'::numeric", std::int64_t{0});
  expect_reads(conn, "10000000000000000::numeric", std::int64_t{10'000'000'000'000'000});
  expect_reads(conn, "ARRAY[1.0, 2, -3.00]::numeric[]", std::vector<int>{1, 2, -3});
}

TEST_F(TypesNumericInteger, Edges) {
  expect_reads(conn, "9223372036854775807::numeric", std::numeric_limits<std::int64_t>::max());
  expect_reads(conn, "-9223372036854775808::numeric", std::numeric_limits<std::int64_t>::min());
  expect_reads(conn, "2147483647::numeric", std::numeric_limits<std::int32_t>::max());
  expect_reads(conn, "-2147483648::numeric", std::numeric_limits<std::int32_t>::min());
  expect_reads(conn, "32767.0::numeric", std::numeric_limits<std::int16_t>::max());
  expect_reads(conn, "-32768::numeric", std::numeric_limits<std::int16_t>::min());
  expect_reads(conn, "4294967295::numeric", std::numeric_limits<std::uint32_t>::max());
  EXPECT_THAT((expect_read_fails<std::int64_t>(conn, "9223372036854775808::numeric")), HasSubstr("out of range"));
  EXPECT_THAT((expect_read_fails<std::int64_t>(conn, "-9223372036854775809::numeric")), HasSubstr("out of range"));
  EXPECT_THAT((expect_read_fails<std::int32_t>(conn, "2147483648::numeric")), HasSubstr("out of range"));
  EXPECT_THAT((expect_read_fails<std::int16_t>(conn, "-32769::numeric")), HasSubstr("out of range"));
  EXPECT_THAT((expect_read_fails<std::uint32_t>(conn, "-1::numeric")), HasSubstr("out of range"));
  EXPECT_THAT((expect_read_fails<std::int64_t>(conn, "1e30::numeric")), HasSubstr("out of range"));
}

TEST_F(TypesNumericInteger, FractionsAndSpecialValuesAreRefused) {
  for (const char* expression : {"12.5::numeric", "0.001::numeric", "-0.5::numeric", "9223372036854775807.5::numeric",
                                 "'NaN'::numeric", "'Infinity'::numeric", "'-Infinity'::numeric"}) {
    SCOPED_TRACE(expression);
    const std::string message = expect_read_fails<std::int64_t>(conn, expression);
    EXPECT_THAT(message, HasSubstr("not a whole number"));
    EXPECT_THAT(message, HasSubstr("pgkit::Decimal"));
  }
  EXPECT_THAT(expect_read_fails<int>(conn, "12.5::numeric"), HasSubstr("12.5"));
}

class TypesOid : public pgkit::types_test::TypesTest {};

TEST_F(TypesOid, OidsReadAsOid) {
  expect_reads(conn, "'pg_class'::regclass::oid", Oid{1259});
  expect_reads(conn, "4294967295::oid", Oid{4294967295u});
  expect_reads(conn, "0::oid", Oid{0});
  expect_reads(conn, "ARRAY[1259, 4294967295]::oid[]", std::vector<Oid>{1259, 4294967295u});
  // Sent as bigint, which the server casts to oid and to every reg* type.
  EXPECT_EQ(conn.query_value<std::string>("SELECT $1::regclass::text", Oid{1259}), "pg_class");
  EXPECT_EQ(conn.query_value<Oid>("SELECT $1::oid", Oid{4294967295u}), 4294967295u);
  EXPECT_TRUE(conn.query_value<bool>("SELECT EXISTS (SELECT FROM pg_class WHERE oid = $1)", Oid{1259}));
}

TEST_F(TypesOid, RegTypesReadAsOidFromBinary) {
  EXPECT_EQ(read_binary<Oid>(conn, "'pg_class'::regclass"), 1259u);
  EXPECT_EQ(read_binary<Oid>(conn, "'integer'::regtype"), 23u);
  EXPECT_EQ(read_binary<Oid>(conn, "'pg_catalog'::regnamespace"), 11u);
  EXPECT_EQ(read_binary<Oid>(conn, "'int4in'::regproc"), conn.query_value<Oid>("SELECT 'int4in'::regproc::oid"));
  EXPECT_EQ(read_binary<Oid>(conn, "'now()'::regprocedure"),
            conn.query_value<Oid>("SELECT 'now()'::regprocedure::oid"));
  EXPECT_EQ(read_binary<Oid>(conn, "'+(int4,int4)'::regoperator"),
            conn.query_value<Oid>("SELECT '+(int4,int4)'::regoperator::oid"));
  EXPECT_EQ(read_binary<Oid>(conn, "current_user::regrole"), 10u);
  EXPECT_EQ(read_binary<Oid>(conn, "'english'::regconfig"), conn.query_value<Oid>("SELECT 'english'::regconfig::oid"));
  EXPECT_EQ(read_binary<Oid>(conn, "'\"C\"'::regcollation"), 950u);
  EXPECT_EQ(read_binary<std::vector<Oid>>(conn, "ARRAY['int4'::regtype, 'text']"), (std::vector<Oid>{23, 25}));
}

// The text of a reg* value is a name: reading it as a number says how to get the number.
TEST_F(TypesOid, RegTypesAsTextNameTheCast) {
  for (const char* expression : {"'pg_class'::regclass", "'integer'::regtype", "'pg_catalog'::regnamespace"}) {
    SCOPED_TRACE(expression);
    try {
      (void)pgkit::types_test::read_text<Oid>(conn, expression);
      ADD_FAILURE() << "a name was read as a number";
    } catch (const ConversionError& e) {
      EXPECT_THAT(e.what(), HasSubstr("cast it to oid"));
    }
  }
  // Numbers without a name (no such object) and oid 0 ('-') read in text too.
  EXPECT_EQ(pgkit::types_test::read_text<Oid>(conn, "99999::regclass"), 99999u);
  expect_reads(conn, "0::regproc", Oid{0});
  expect_reads(conn, "ARRAY[0, 99999]::regclass[]", std::vector<Oid>{0, 99999});
  expect_reads(conn, "'pg_class'::regclass::oid", std::optional<Oid>(1259));
}

}  // namespace
