#include <pgkit/json.hpp>

#include <fmt/format.h>

namespace pgkit::detail {
namespace {

template <class Json>
void dump(const Json& value, std::string& out) {
  try {
    out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    throw ConversionError(fmt::format("cannot send the JSON value: {}", e.what()));
  }
}

template <class Json>
Json parse(const Field& field) {
  std::string_view text;
  switch (field.type()) {
    case oid::json:
    case oid::text:
    case oid::varchar:
    case oid::unknown:
    case oid::unspecified:
      text = field.bytes();
      break;
    case oid::jsonb:
      text = field.bytes();
      if (field.is_binary()) {
        if (text.empty() || text[0] != 1) field.fail("nlohmann::json", "unknown jsonb binary version");
        text.remove_prefix(1);
      }
      break;
    default:
      field.fail("nlohmann::json", "it is not json, jsonb or text");
  }
  try {
    return Json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    field.fail("nlohmann::json", e.what());
  }
}

}  // namespace

void dump_json(const nlohmann::json& value, std::string& out) { dump(value, out); }
void dump_json(const nlohmann::ordered_json& value, std::string& out) { dump(value, out); }
nlohmann::json parse_json(const Field& field) { return parse<nlohmann::json>(field); }
nlohmann::ordered_json parse_ordered_json(const Field& field) { return parse<nlohmann::ordered_json>(field); }

}  // namespace pgkit::detail
