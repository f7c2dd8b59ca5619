#include "result_format.hpp"

#include "text.hpp"

#include <pgkit/detail/type_table.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>

namespace pgkit::detail {
namespace {

// Zones whose offset is zero at every date: under them the server prints timestamptz as pgkit's
// rendering does ("+00"). The server reports the zone with the tz database's spelling.
bool is_utc_zone(std::string_view zone) {
  static constexpr std::array<std::string_view, 18> utc = {
      "UTC",       "Etc/UTC",       "UCT",       "Etc/UCT",       "GMT",       "Etc/GMT",
      "GMT0",      "Etc/GMT0",      "GMT+0",     "GMT-0",         "Etc/GMT+0", "Etc/GMT-0",
      "Greenwich", "Etc/Greenwich", "Universal", "Etc/Universal", "Zulu",      "Etc/Zulu"};
  return std::any_of(utc.begin(), utc.end(), [&](std::string_view name) { return iequals(name, zone); });
}

std::string_view reported(const PGconn* conn, const char* setting) {
  const char* value = PQparameterStatus(conn, setting);
  return value != nullptr ? std::string_view(value) : std::string_view();
}

// Whether the session's reported settings among `depends` (TextSetting flags) are those pgkit's
// renderings assume: DateStyle ISO (either field order), IntervalStyle postgres, TimeZone UTC.
bool session_prints_like_pgkit(const PGconn* conn, std::uint8_t depends) {
  if ((depends & TextSetting::date_style) != 0 && !reported(conn, "DateStyle").starts_with("ISO")) return false;
  if ((depends & TextSetting::interval_style) != 0 && reported(conn, "IntervalStyle") != "postgres") return false;
  if ((depends & TextSetting::time_zone) != 0 && !is_utc_zone(reported(conn, "TimeZone"))) return false;
  return true;
}

}  // namespace

std::vector<Oid> column_types_of(const PGresult* description) {
  std::vector<Oid> types;
  const int count = PQnfields(description);
  types.reserve(static_cast<std::size_t>(std::max(count, 0)));
  for (int i = 0; i < count; ++i) types.push_back(PQftype(description, i));
  return types;
}

Format result_format_for(std::span<const Oid> column_types, const PGconn* conn) {
  if (column_types.empty()) return Format::text;
  bool binary_pays = false;
  bool text_pays = false;
  std::uint8_t depends = 0;
  for (const Oid type : column_types) {
    const BuiltinType* row = builtin_type(type);
    if (row == nullptr || !row->binary_readable()) return Format::text;
    binary_pays = binary_pays || row->wire == Wire::binary;
    text_pays = text_pays || row->wire == Wire::text;
    depends = static_cast<std::uint8_t>(depends | row->text_depends);
  }
  // numeric's binary form is base 10000, which the server builds and pgkit turns back into decimal
  // text, while its text form is what both ends want (measured in bench/): with nothing that binary
  // does better beside it, text is the faster choice.
  if (text_pays && !binary_pays) return Format::text;
  return session_prints_like_pgkit(conn, static_cast<std::uint8_t>(depends & TextSetting::reported)) ? Format::binary
                                                                                                     : Format::text;
}

}  // namespace pgkit::detail
