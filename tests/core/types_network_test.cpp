// inet, cidr, macaddr, macaddr8 (pgkit/network.hpp): the server's text forms, IPv6 compression,
// prefix lengths at their edges, ordering, arrays, and both result formats.
#include "core/decoders_test_support.hpp"
#include "core/types_test_support.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/network.hpp>
#include <pgkit/sql.hpp>

#include <gmock/gmock.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

namespace pgkit {
inline void PrintTo(const Inet& value, std::ostream* os) {
  *os << "Inet(" << value.str() << ")";
}
inline void PrintTo(const Cidr& value, std::ostream* os) {
  *os << "Cidr(" << value.str() << ")";
}
inline void PrintTo(const MacAddr& value, std::ostream* os) {
  *os << "MacAddr(" << value.str() << ")";
}
inline void PrintTo(const MacAddr8& value, std::ostream* os) {
  *os << "MacAddr8(" << value.str() << ")";
}
}  // namespace pgkit

namespace {

using pgkit::Cidr;
using pgkit::ConversionError;
using pgkit::Inet;
using pgkit::MacAddr;
using pgkit::MacAddr8;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::expect_text_matches_server;
using pgkit::types_test::expect_value;
using pgkit::types_test::read_binary;
using pgkit::types_test::read_text;
using pgkit::types_test::server_text;
using ::testing::HasSubstr;

class TypesNetwork : public pgkit::types_test::TypesTest {};

std::string inet_literal(std::string_view text, std::string_view type) {
  return pgkit::sql::Literal(std::string(text)).str() + "::" + std::string(type);
}

// Addresses whose text the server compresses in every way it can: runs of zeros (the longest, the
// first of equal ones, never a single zero word), embedded IPv4, full forms, edges of the prefix.
const std::vector<std::string> kInetInputs = {
    "0.0.0.0",
    "255.255.255.255",
    "192.168.0.5/24",
    "10.0.0.0/8",
    "1.2.3.4/32",
    "1.2.3.4/0",
    "::",
    "::1",
    "::2",
    "1::",
    "::ffff:1.2.3.4",
    "::1.2.3.4",
    "::0.1.0.0",
    "::ffff:0:0",
    "::ffff:0.0.0.1",
    "0:0:0:0:0:1:0:0",
    "1:0:0:2:0:0:0:3",
    "1:0:0:0:2:0:0:3",
    "1:0:2:0:3:0:4:0",
    "1:0:0:0:1:0:0:0",
    "1:2:3:4:5:6:7:8",
    "2001:0db8:0000:0000:0000:ff00:0042:8329",
    "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
    "fe80::1/64",
    "2001:db8::/32",
    "::/0",
    "::1/128",
    "::ffff:1.2.3.4/120",
};

TEST_F(TypesNetwork, InetTextIsTheServers) {
  for (const std::string& input : kInetInputs) {
    SCOPED_TRACE(input);
    const std::string server = pgkit::types_test::server_text_of(conn, inet_literal(input, "inet"));
    const Inet parsed = Inet::parse(input);
    EXPECT_EQ(parsed.str(), server);
    expect_value(conn, inet_literal(input, "inet"), parsed, "inet");
  }
}

TEST_F(TypesNetwork, CidrTextIsTheServers) {
  for (const std::string input :
       {"0.0.0.0/0", "10.0.0.0/8", "1.2.3.4", "1.2.3.4/32", "192.168.0.0/16", "::/0", "::", "::1", "::1/128",
        "2001:db8::/32", "::ffff:1.2.3.0/120", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "8000::/1"}) {
    SCOPED_TRACE(input);
    const std::string server = pgkit::types_test::server_text_of(conn, inet_literal(input, "cidr"));
    const Cidr parsed = Cidr::parse(input);
    EXPECT_EQ(parsed.str(), server);
    expect_value(conn, inet_literal(input, "cidr"), parsed, "cidr");
    // A cidr reads as an Inet too, with its prefix.
    expect_reads(conn, inet_literal(input, "cidr"), parsed.address());
  }
}

TEST_F(TypesNetwork, PrefixLengthEdges) {
  const Inet v4(std::array<std::uint8_t, 4>{10, 1, 2, 3}, 0);
  EXPECT_EQ(v4.str(), "10.1.2.3/0");
  EXPECT_FALSE(v4.host_bits_zero());
  expect_round_trip(conn, v4, "inet");
  std::array<std::uint8_t, 16> ones{};
  ones.fill(0xFF);
  for (int length : {0, 1, 63, 64, 127, 128}) {
    expect_round_trip(conn, Inet(ones, length), "inet");
  }
  EXPECT_THROW(Inet(std::array<std::uint8_t, 4>{}, 33), ConversionError);
  EXPECT_THROW(Inet(ones, 129), ConversionError);
  EXPECT_THROW(Inet(ones, -1), ConversionError);
  for (const char* bad : {"1.2.3.4/33", "::/129", "1.2.3", "1.2.3.4/", "1.2.3.4/x", "::g", "", "1.2.3.4 "}) {
    EXPECT_THROW((void)Inet::parse(bad), ConversionError) << bad;
  }
}

TEST_F(TypesNetwork, CidrRefusesHostBits) {
  try {
    (void)Cidr::parse("10.1.0.0/8");
    ADD_FAILURE() << "a cidr with host bits was accepted";
  } catch (const ConversionError& e) {
    EXPECT_THAT(e.what(), HasSubstr("10.1.0.0/8"));
  }
  // An inet with host bits is not a network; one without reads as a Cidr.
  const std::string message = expect_read_fails<Cidr>(conn, "'10.1.0.0/8'::inet");
  EXPECT_THAT(message, HasSubstr("read it as pgkit::Inet"));
  expect_reads(conn, "'10.0.0.0/8'::inet", Cidr::parse("10.0.0.0/8"));
  // The server refuses a cidr value with host bits sent in binary: pgkit never sends one.
  EXPECT_EQ(server_text(conn, Cidr::parse("::ffff:0:0/96")), "::ffff:0.0.0.0/96");
}

TEST_F(TypesNetwork, OrderIsTheServers) {
  std::vector<Inet> values;
  for (const std::string& input : kInetInputs) values.push_back(Inet::parse(input));
  const auto sorted_by_server = conn.query<Inet>("SELECT a FROM unnest($1::inet[]) AS a ORDER BY a", values);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(sorted_by_server, values);
}

TEST_F(TypesNetwork, Arrays) {
  const std::vector<std::optional<Inet>> values = {Inet::parse("::ffff:1.2.3.4"), std::nullopt,
                                                   Inet::parse("10.0.0.1/8")};
  expect_round_trip(conn, values, "inet[]");
  expect_reads(conn, "ARRAY['::1'::inet, NULL, '1.2.3.4/24']",
               std::vector<std::optional<Inet>>{Inet::parse("::1"), std::nullopt, Inet::parse("1.2.3.4/24")});
  expect_text_matches_server(conn, "ARRAY['::1'::inet, NULL, '1.2.3.4/24']");
  expect_round_trip(conn, std::vector<Cidr>{Cidr::parse("10.0.0.0/8"), Cidr::parse("::/0")}, "cidr[]");
  expect_text_matches_server(conn, "ARRAY['10.0.0.0/8'::cidr, '::/0']");
}

TEST_F(TypesNetwork, MacAddresses) {
  const MacAddr mac = MacAddr::parse("08:00:2b:01:02:03");
  EXPECT_EQ(mac.bytes()[0], 0x08);
  EXPECT_EQ(MacAddr::parse("08-00-2B-01-02-03"), mac);
  EXPECT_EQ(MacAddr::parse("08002b010203"), mac);
  expect_value(conn, "'08:00:2b:01:02:03'::macaddr", mac, "macaddr");
  expect_value(conn, "'ff:ff:ff:ff:ff:ff'::macaddr", MacAddr::parse("FF:FF:FF:FF:FF:FF"), "macaddr");
  expect_value(conn, "'00:00:00:00:00:00'::macaddr", MacAddr(), "macaddr");
  const MacAddr8 mac8 = MacAddr8::parse("08:00:2b:01:02:03:04:05");
  expect_value(conn, "'08:00:2b:01:02:03:04:05'::macaddr8", mac8, "macaddr8");
  // The server widens a 6-byte address to EUI-64 with ff:fe in the middle.
  expect_reads(conn, "'08:00:2b:01:02:03'::macaddr8", MacAddr8::parse("08:00:2b:ff:fe:01:02:03"));
  expect_round_trip(conn, std::vector<MacAddr>{mac, MacAddr()}, "macaddr[]");
  expect_text_matches_server(conn, "ARRAY['08:00:2b:01:02:03'::macaddr8]");
  for (const char* bad : {"08:00:2b:01:02", "08:00:2b:01:02:0g", "08:00-2b:01:02:03", "08:00:2b:01:02:03:04"}) {
    EXPECT_THROW((void)MacAddr::parse(bad), ConversionError) << bad;
  }
  expect_read_fails<MacAddr>(conn, "'08:00:2b:01:02:03:04:05'::macaddr8");
}

TEST_F(TypesNetwork, OtherTypesAreNotAddresses) {
  expect_read_fails<Inet>(conn, "'1.2.3.4'::text");
  expect_read_fails<Inet>(conn, "42");
  expect_read_fails<MacAddr>(conn, "'08:00:2b:01:02:03'::text");
}

}  // namespace
