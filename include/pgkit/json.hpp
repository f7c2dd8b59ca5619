// json and jsonb as nlohmann::json (or nlohmann::ordered_json), in and out, inside arrays too.
//
//   nlohmann::json metadata = {{"preferences", {{"theme", "dark"}}}};
//   conn.exec("INSERT INTO users (username, metadata) VALUES ($1, $2)", "john_doe", metadata);
//   auto theme = conn.query_value<std::string>(
//       "SELECT metadata->'preferences'->>'theme' FROM users WHERE username = $1", "john_doe");
//
// nlohmann::json is sent as jsonb. nlohmann::ordered_json is sent untyped, so that the server reads it as
// whatever the context needs: a json column then keeps its key order (jsonb never does); write $1::jsonb
// or $1::json where nothing else says which. Strings that are not valid UTF-8, NaN and infinities are a
// ConversionError, never a silently replaced character or a null; so is text from the server that is not JSON.
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
  // Sent as jsonb, the text would be parsed into jsonb's key order before a json column could keep it.
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::unspecified;
  static constexpr Format format = Format::text;
  static void encode(const nlohmann::ordered_json& value, std::string& out) { detail::dump_json(value, out); }
  static nlohmann::ordered_json decode(const Field& field) { return detail::parse_ordered_json(field); }
};

}  // namespace pgkit
