// json and jsonb as nlohmann::json (or nlohmann::ordered_json), in and out, inside arrays too.
//
//   nlohmann::json metadata = {{"preferences", {{"theme", "dark"}}}};
//   conn.exec("INSERT INTO users (username, metadata) VALUES ($1, $2)", "john_doe", metadata);
//   auto theme = conn.query_value<std::string>(
//       "SELECT metadata->'preferences'->>'theme' FROM users WHERE username = $1", "john_doe");
//
// Values are sent as jsonb. Strings that are not valid UTF-8 are a ConversionError, never a
// silently replaced character; so is text from the server that is not JSON.
#pragma once

#include <pgkit/types.hpp>

#include <nlohmann/json.hpp>

#include <string>

namespace pgkit {

namespace detail {
void dump_json(const nlohmann::json& value, std::string& out);
void dump_json(const nlohmann::ordered_json& value, std::string& out);
nlohmann::json parse_json(const Field& field);
nlohmann::ordered_json parse_ordered_json(const Field& field);
}  // namespace detail

template <>
struct Type<nlohmann::json> {
  static constexpr Oid oid = oid::jsonb;
  static constexpr Oid array_oid = oid::jsonb_array;
  static constexpr Format format = Format::text;
  static void encode(const nlohmann::json& value, std::string& out) { detail::dump_json(value, out); }
  static nlohmann::json decode(const Field& field) { return detail::parse_json(field); }
};

template <>
struct Type<nlohmann::ordered_json> {
  static constexpr Oid oid = oid::jsonb;
  static constexpr Oid array_oid = oid::jsonb_array;
  static constexpr Format format = Format::text;
  static void encode(const nlohmann::ordered_json& value, std::string& out) { detail::dump_json(value, out); }
  static nlohmann::ordered_json decode(const Field& field) { return detail::parse_ordered_json(field); }
};

}  // namespace pgkit
