// The seed's JSON section in C++: a users table with JSONB metadata, a nested field queried and updated.
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

class SeedJson : public pgkit::testing::DatabaseTest {
 protected:
  void SetUp() override {
    conn_.exec("DROP TABLE IF EXISTS users");
    conn_.exec("CREATE TABLE users (id SERIAL PRIMARY KEY, username VARCHAR(50) NOT NULL, metadata JSONB)");
    conn_.exec("INSERT INTO users (username, metadata) VALUES ($1, $2)", "john_doe", john_metadata());
    conn_.exec("INSERT INTO users (username, metadata) VALUES ($1, $2)", "jane_roe",
               nlohmann::json{{"preferences", {{"theme", "light"}}}});
  }

  static nlohmann::json john_metadata() {
    return {{"preferences", {{"theme", "dark"}, {"language", "en"}}}, {"settings", {{"notifications", true}}}};
  }

  pgkit::Connection conn_ = connect();
};

TEST_F(SeedJson, StoresTheNestedDocument) {
  EXPECT_EQ(conn_.query_value<nlohmann::json>("SELECT metadata FROM users WHERE username = $1", "john_doe"),
            john_metadata());
}

TEST_F(SeedJson, FindsUsersByANestedFieldWithTheCorrectedPath) {
  EXPECT_EQ(conn_.query<std::string>("SELECT username FROM users WHERE metadata->'preferences'->>'theme' = $1", "dark"),
            std::vector<std::string>{"john_doe"});
  EXPECT_EQ(
      conn_.query<std::string>("SELECT username FROM users WHERE metadata #>> '{preferences,theme}' = $1", "dark"),
      std::vector<std::string>{"john_doe"});
  EXPECT_EQ(conn_.query_value<std::string>("SELECT metadata->'preferences'->>'language' FROM users WHERE id = 1"),
            "en");
}

// The seed wrote metadata->>'preferences'->>'theme': ->> gives text, and text has no ->> operator.
TEST_F(SeedJson, TheSeedsPathIsAnUndefinedFunction) {
  try {
    conn_.exec("SELECT username FROM users WHERE metadata->>'preferences'->>'theme' = $1", "dark");
    ADD_FAILURE() << "the seed's broken path ran";
  } catch (const pgkit::UndefinedFunction& e) {
    EXPECT_EQ(e.sqlstate(), "42883");
    EXPECT_NE(std::string_view(e.what()).find("operator does not exist: text ->> unknown"), std::string_view::npos)
        << e.what();
  }
  // The connection is fine afterwards.
  EXPECT_EQ(conn_.query_value<std::int64_t>("SELECT count(*) FROM users"), 2);
}

TEST_F(SeedJson, UpdatesOnePathWithJsonbSet) {
  const auto updated =
      conn_.exec("UPDATE users SET metadata = jsonb_set(metadata, '{preferences,theme}', $1) WHERE username = $2",
                 nlohmann::json("light"), "john_doe");
  EXPECT_EQ(updated.affected_rows(), 1);

  nlohmann::json expected = john_metadata();
  expected["preferences"]["theme"] = "light";
  EXPECT_EQ(conn_.query_value<nlohmann::json>("SELECT metadata FROM users WHERE username = $1", "john_doe"), expected);
  EXPECT_EQ(conn_.query<std::string>(
                "SELECT username FROM users WHERE metadata->'preferences'->>'theme' = $1 ORDER BY username", "light"),
            (std::vector<std::string>{"jane_roe", "john_doe"}));
  // Everything else in the document is untouched.
  EXPECT_EQ(conn_.query_value<bool>("SELECT (metadata->'settings'->>'notifications')::boolean FROM users "
                                    "WHERE username = $1",
                                    "john_doe"),
            true);
}

TEST_F(SeedJson, AUserWithoutMetadataReadsAsNullopt) {
  conn_.exec("INSERT INTO users (username) VALUES ($1)", "no_metadata");
  EXPECT_EQ(
      conn_.query_value<std::optional<nlohmann::json>>("SELECT metadata FROM users WHERE username = $1", "no_metadata"),
      std::nullopt);
}

}  // namespace
