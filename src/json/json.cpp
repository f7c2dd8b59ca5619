#include <pgkit/detail/type_table.hpp>
#include <pgkit/json.hpp>

#include <fmt/format.h>

#include <cmath>
#include <optional>
#include <string>
#include <string_view>

namespace pgkit::detail {
namespace {

// `key` as one reference token of a JSON pointer (RFC 6901).
std::string pointer_token(std::string_view key) {
  std::string token;
  for (const char c : key) {
    if (c == '~') {
      token += "~0";
    } else if (c == '/') {
      token += "~1";
    } else {
      token += c;
    }
  }
  return token;
}

// The JSON pointer of the first NaN or infinity in `value`, if there is one.
template <class Json>
std::optional<std::string> find_non_finite(const Json& value) {
  if (value.is_number_float()) {
    if (std::isfinite(value.template get<double>())) return std::nullopt;
    return std::string();
  }
  if (value.is_array()) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (auto path = find_non_finite(value[i])) return fmt::format("/{}{}", i, *path);
    }
  } else if (value.is_object()) {
    for (const auto& item : value.items()) {
      if (auto path = find_non_finite(item.value())) {
        return "/" + pointer_token(item.key()) + *path;
      }
    }
  }
  return std::nullopt;
}

template <class Json>
void dump(const Json& value, std::string& out) {
  const std::size_t start = out.size();
  try {
    out += value.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  } catch (const nlohmann::json::exception& e) {
    throw ConversionError(fmt::format("cannot send the JSON value: {}", e.what()));
  }
  // nlohmann writes NaN and infinities as null, which would store something else than was sent. Only a
  // document whose text holds "null" can hide one.
  if (out.find("null", start) == std::string::npos) return;
  if (const auto path = find_non_finite(value)) {
    out.resize(start);
    throw ConversionError(fmt::format("cannot send the JSON value: the number at \"{}\" is not finite; JSON has no "
                                      "NaN or infinity",
                                      path->empty() ? "(the whole document)" : *path));
  }
}

template <class Json>
Json parse(const Field& field) {
  // A document in json, jsonb, or any type whose text is its binary form (text, varchar, ...); text
  // array elements of unknown types come untyped.
  const auto* type = detail::builtin_type(field.type());
  if (field.type() != oid::unspecified && field.type() != oid::jsonb && (type == nullptr || !type->binary_is_text())) {
    field.fail("nlohmann::json", "it is not json, jsonb or text");
  }
  std::string_view text = field.bytes();
  if (field.type() == oid::jsonb && field.is_binary()) {
    if (text.empty() || text[0] != 1) field.fail("nlohmann::json", "unknown jsonb binary version");
    text.remove_prefix(1);
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
