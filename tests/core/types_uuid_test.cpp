// pgkit::Uuid: the text forms PostgreSQL accepts, and values in both directions and both formats.
#include "core/types_test_support.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/uuid.hpp>

#include <gmock/gmock.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

namespace {

using pgkit::ConversionError;
using pgkit::Uuid;
using pgkit::types_test::expect_read_fails;
using pgkit::types_test::expect_reads;
using pgkit::types_test::expect_round_trip;
using pgkit::types_test::read_binary;
using pgkit::types_test::server_text;
using pgkit::types_test::server_type;
using ::testing::HasSubstr;

class TypesUuid : public pgkit::types_test::TypesTest {};

constexpr std::string_view kCanonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";

TEST_F(TypesUuid, ParsesEveryFormPostgresAccepts) {
  const Uuid expected = Uuid::parse(kCanonical);
  EXPECT_EQ(expected.str(), kCanonical);
  EXPECT_EQ(expected.bytes()[0], 0xa0);
  EXPECT_EQ(expected.bytes()[15], 0x11);
  for (const char* form : {"A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                           "a0eebc999c0b4ef8bb6d6bb9bd380a11", "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
                           "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}", "{A0eeBC999c0b4ef8bb6d6bb9bd380a11}"}) {
    EXPECT_EQ(Uuid::parse(form), expected) << form;
  }
}

TEST_F(TypesUuid, RejectsMalformedText) {
  for (const char* text : {"", "{}", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
                           "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
                           "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
                           "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
                           "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                           "{{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}}"}) {
    try {
      (void)Uuid::parse(text);
      ADD_FAILURE() << "accepted '" << text << "'";
    } catch (const ConversionError& e) {
      EXPECT_THAT(e.what(), HasSubstr("not a valid UUID"));
    }
  }
}

// Uuid::parse must accept exactly what uuid_in accepts, with the same value.
TEST_F(TypesUuid, ParsingAgreesWithTheServer) {
  const std::vector<std::string> inputs = {
      std::string(kCanonical),
      "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11",
      "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
      "a0eebc999c0b4ef8bb6d6bb9bd380a11",
      "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11",
      "{a0eebc99-9c0b4ef8-bb6d6bb9-bd380a11}",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-",
      "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "a0e-ebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
      "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
      "{-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
      "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-}",
      " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
      "",
      "{}",
  };
  for (const std::string& input : inputs) {
    SCOPED_TRACE("'" + input + "'");
    std::optional<std::string> server;
    try {
      server = conn.query_value<std::string>("SELECT $1::uuid::text", input);
    } catch (const pgkit::InvalidTextRepresentation&) {
    }
    std::optional<std::string> client;
    try {
      client = Uuid::parse(input).str();
    } catch (const ConversionError&) {
    }
    EXPECT_EQ(client.has_value(), server.has_value()) << "accepted by " << (client ? "pgkit" : "the server");
    if (client && server) {
      EXPECT_EQ(*client, *server);
    }
  }
}

TEST_F(TypesUuid, RoundTripsInBothFormats) {
  std::array<std::uint8_t, 16> all_ones{};
  all_ones.fill(0xFF);
  for (const Uuid& value : {Uuid::parse(kCanonical), Uuid(), Uuid(all_ones)}) {
    expect_round_trip(conn, value, "uuid");
    EXPECT_EQ(server_text(conn, value), value.str());
  }
  EXPECT_EQ(Uuid().str(), "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(server_type(conn, Uuid()), "uuid");
  EXPECT_TRUE(
      conn.query_value<bool>("SELECT $1 = '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'::uuid", Uuid::parse(kCanonical)));
}

TEST_F(TypesUuid, ServerGeneratedValuesDecode) {
  for (int i = 0; i < 20; ++i) {
    const auto [binary, text] = conn.query_one<Uuid, std::string>("SELECT u, u::text FROM gen_random_uuid() AS u");
    EXPECT_EQ(binary.str(), text);
    EXPECT_EQ(binary, Uuid::parse(text));
  }
  expect_reads(conn, "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid", Uuid::parse(kCanonical));
  // A uuid sent as a string is read by the server like a literal.
  EXPECT_EQ(conn.query_value<Uuid>("SELECT $1::uuid", "{a0eebc999c0b4ef8bb6d6bb9bd380a11}"), Uuid::parse(kCanonical));
}

TEST_F(TypesUuid, OrderingMatchesTheServer) {
  std::vector<Uuid> values;
  for (const char* text : {"ffffffff-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000001",
                           "80000000-0000-0000-0000-000000000000", "7fffffff-ffff-ffff-ffff-ffffffffffff",
                           "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0100-000000000000"}) {
    values.push_back(Uuid::parse(text));
  }
  const auto sorted_by_server = conn.query<Uuid>("SELECT u FROM unnest($1::uuid[]) AS u ORDER BY u", values);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(sorted_by_server, values);
}

TEST_F(TypesUuid, OtherTypesAreNotUuids) {
  expect_read_fails<Uuid>(conn, "'not a uuid'::text");
  expect_read_fails<Uuid>(conn, "42");
  EXPECT_THROW((void)read_binary<Uuid>(conn, "'\\x00112233445566778899aabbccddeeff'::bytea"), ConversionError);
}

}  // namespace
