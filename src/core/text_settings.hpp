// The session settings that decide how the server writes dates, times and intervals as text
// (DateStyle, IntervalStyle, TimeZone, as its ParameterStatus messages report them). A result keeps
// those in force when it was made, so that its text is read the way the server wrote it: 01/02/2026
// is the 2nd of January under 'SQL, MDY' and the 1st of February under 'SQL, DMY', and 'IST' is
// +05:30 in Asia/Kolkata but +01:00 in Europe/Dublin.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit::detail {

enum class DateStyle : std::uint8_t { iso, sql, postgres, german };
enum class DateOrder : std::uint8_t { mdy, dmy, ymd };
enum class IntervalStyle : std::uint8_t { postgres, postgres_verbose, sql_standard, iso_8601 };

// A row of the generated per-zone table (src/core/timezone_zones.inc): what `abbreviation`, printed
// in `zone` for an instant in [from, to) (Unix seconds), means.
struct ZoneAbbreviation {
  std::string_view zone;
  std::string_view abbreviation;
  std::int64_t from;
  std::int64_t to;
  std::int32_t utc_offset;  // seconds east of UTC
};

struct TextSettings {
  DateStyle date_style = DateStyle::iso;
  DateOrder date_order = DateOrder::mdy;
  IntervalStyle interval_style = IntervalStyle::postgres;
  // As reported, to notice a change; empty when the server did not report the setting.
  std::string date_style_text;
  std::string interval_style_text;
  std::string time_zone;
  // The session zone's rows of the per-zone table (empty for zones it does not list).
  std::span<const ZoneAbbreviation> zone_abbreviations;
  // When TimeZone is a POSIX specification ("UTC+3", "<+05:45>-05:45", "EST5EDT,M3.2.0,M11.1.0", or a
  // bare "+05:45" whose abbreviation prints empty): its standard and daylight names and offsets.
  struct PosixName {
    std::string name;
    std::int32_t utc_offset;
  };
  std::vector<PosixName> posix_names;

  // Reads the reported values; an unknown value keeps the default (ISO, MDY; postgres).
  static TextSettings from_reported(std::string_view date_style, std::string_view interval_style,
                                    std::string_view time_zone);

  // The offset (seconds east of UTC) that `abbreviation`, printed after the local wall time
  // `local_microseconds` (microseconds since 1970-01-01 00:00 as if it were UTC), stands for; nullopt
  // when it is not known. In order: a numeric abbreviation ('+0545', '-03', '+05:45') is its own
  // offset; then the session zone's own meaning (per-zone table, or its POSIX names); then
  // pg_timezone_abbrevs (what the server would read it as).
  [[nodiscard]] std::optional<std::int32_t> resolve(std::string_view abbreviation,
                                                    std::int64_t local_microseconds) const;
};

// The server's defaults: DateStyle 'ISO, MDY', IntervalStyle 'postgres', no zone. Fields that carry no
// settings (values not read from a result) are read under these.
const TextSettings& default_text_settings() noexcept;

// Per connection: the settings last captured, made again only when the server reported a change.
class TextSettingsCache {
 public:
  // Cheap when nothing changed (three ParameterStatus look-ups and compares, no allocation).
  std::shared_ptr<const TextSettings> capture(const PGconn* conn);

 private:
  std::shared_ptr<const TextSettings> current_;
};

}  // namespace pgkit::detail
