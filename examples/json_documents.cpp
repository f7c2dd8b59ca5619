// jsonb in and out as nlohmann::json, and the corrected path query from the seed.
#include <pgkit/connection.hpp>
#include <pgkit/json.hpp>

#include <fmt/format.h>

#include "example_database.hpp"

int main() {
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());
  conn.exec("CREATE TEMP TABLE users (id SERIAL PRIMARY KEY, username text NOT NULL, metadata jsonb)");
  const nlohmann::json metadata = {{"preferences", {{"theme", "dark"}, {"language", "en"}}}};
  conn.exec("INSERT INTO users (username, metadata) VALUES ($1, $2)", "john_doe", metadata);

  // ->> yields text, so the path goes -> first: metadata->'preferences'->>'theme'.
  const auto who = conn.query_value<std::string>(
      "SELECT username FROM users WHERE metadata->'preferences'->>'theme' = $1", "dark");
  conn.exec("UPDATE users SET metadata = jsonb_set(metadata, '{preferences,theme}', $1)", nlohmann::json("light"));
  const auto after = conn.query_value<nlohmann::json>("SELECT metadata FROM users WHERE username = $1", who);
  fmt::print("{}: {}\n", who, after.dump());
  return after["preferences"]["theme"] == "light" ? 0 : 1;
}
