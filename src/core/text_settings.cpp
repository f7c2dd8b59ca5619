#include "text_settings.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace pgkit::detail {
namespace {

struct CommonAbbreviation {
  std::string_view abbreviation;  // upper case
  std::int32_t utc_offset;
};

constexpr CommonAbbreviation common_abbreviations[] = {
#include "timezone_abbreviations.inc"
};

constexpr std::int64_t since_ever = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t for_ever = std::numeric_limits<std::int64_t>::max();
constexpr ZoneAbbreviation zone_abbreviations[] = {
#include "timezone_zones.inc"
};

constexpr char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return upper(x) == upper(y);
         });
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

int two_digits(std::string_view text, std::size_t at) noexcept {
  return (text[at] - '0') * 10 + (text[at + 1] - '0');
}

// '+0545', '-03', '+053045', '+05:45', '-03:30:45' -> seconds east of UTC.
std::optional<std::int32_t> numeric_offset(std::string_view text) noexcept {
  if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  std::array<int, 3> parts{};
  std::size_t at = 1;
  for (std::size_t part = 0; part < 3 && at < text.size(); ++part) {
    if (part > 0 && text[at] == ':') ++at;
    if (at + 2 > text.size() || !is_digit(text[at]) || !is_digit(text[at + 1])) return std::nullopt;
    parts[part] = two_digits(text, at);
    at += 2;
  }
  if (at != text.size() || parts[1] > 59 || parts[2] > 59) return std::nullopt;
  const int seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  return text[0] == '-' ? -seconds : seconds;
}

// A POSIX TZ specification: std offset [dst [offset] [,rule]]. Names are letters or <quoted>; offsets
// count hours west of UTC ("UTC+3" is three hours behind UTC). PostgreSQL also takes a bare offset
// ("+05:45"), whose name prints empty.
class PosixScanner {
 public:
  explicit PosixScanner(std::string_view text) : text_(text) {}

  bool parse(std::vector<TextSettings::PosixName>& out) {
    std::string standard_name;
    std::int32_t standard = 0;
    if (!name(standard_name) || !offset(standard)) return false;
    out.push_back({standard_name, standard});
    if (at_ == text_.size()) return true;
    std::string daylight_name;
    if (!name(daylight_name) || daylight_name.empty()) return false;
    std::int32_t daylight = standard + 3600;  // POSIX: one hour ahead unless said
    if (at_ < text_.size() && text_[at_] != ',' && !offset(daylight)) return false;
    out.push_back({daylight_name, daylight});
    return at_ == text_.size() || text_[at_] == ',';
  }

 private:
  bool name(std::string& out) {
    if (at_ < text_.size() && text_[at_] == '<') {
      const auto end = text_.find('>', at_);
      if (end == std::string_view::npos) return false;
      out = text_.substr(at_ + 1, end - at_ - 1);
      at_ = end + 1;
      return true;
    }
    const std::size_t start = at_;
    while (at_ < text_.size() && ((text_[at_] >= 'A' && text_[at_] <= 'Z') || (text_[at_] >= 'a' && text_[at_] <= 'z'))) {
      ++at_;
    }
    out = text_.substr(start, at_ - start);
    return true;
  }
  // Hours west [+-]h[h][:mm[:ss]] -> seconds east.
  bool offset(std::int32_t& out) {
    bool west = true;
    if (at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-')) west = text_[at_++] == '+';
    std::int32_t seconds = 0;
    for (int part = 0; part < 3; ++part) {
      if (part > 0 && (at_ >= text_.size() || text_[at_] != ':')) break;
      if (part > 0) ++at_;
      int value = 0;
      int digits = 0;
      for (; at_ < text_.size() && is_digit(text_[at_]) && digits < 3; ++at_, ++digits) value = value * 10 + (text_[at_] - '0');
      if (digits == 0 || (part > 0 && value > 59)) return false;
      seconds += value * (part == 0 ? 3600 : part == 1 ? 60 : 1);
    }
    out = west ? -seconds : seconds;
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

std::span<const ZoneAbbreviation> rows_of_zone(std::string_view zone) noexcept {
  const auto [first, last] =
      std::equal_range(std::begin(zone_abbreviations), std::end(zone_abbreviations), zone,
                       [](const auto& a, const auto& b) {
                         if constexpr (std::is_same_v<std::decay_t<decltype(a)>, std::string_view>) {
                           return a < b.zone;
                         } else {
                           return a.zone < b;
                         }
                       });
  return {first, last};
}

std::optional<std::int32_t> common_offset(std::string_view abbreviation) noexcept {
  std::array<char, 16> buffer{};
  if (abbreviation.empty() || abbreviation.size() > buffer.size()) return std::nullopt;
  std::transform(abbreviation.begin(), abbreviation.end(), buffer.begin(), upper);
  const std::string_view key(buffer.data(), abbreviation.size());
  const auto* found = std::lower_bound(std::begin(common_abbreviations), std::end(common_abbreviations), key,
                                       [](const CommonAbbreviation& row, std::string_view k) { return row.abbreviation < k; });
  if (found == std::end(common_abbreviations) || found->abbreviation != key) return std::nullopt;
  return found->utc_offset;
}

// Rows of one zone that name `abbreviation`: the one whose time range holds the instant the text
// denotes under its offset, or else the nearest (an instant between two samples of the generator).
std::optional<std::int32_t> zone_offset(std::span<const ZoneAbbreviation> rows, std::string_view abbreviation,
                                        std::int64_t local_microseconds) noexcept {
  std::optional<std::int32_t> best;
  std::int64_t best_distance = std::numeric_limits<std::int64_t>::max();
  const std::int64_t local_seconds = local_microseconds / 1'000'000 - (local_microseconds % 1'000'000 < 0 ? 1 : 0);
  for (const auto& row : rows) {
    if (row.abbreviation != abbreviation) continue;
    const std::int64_t instant = local_seconds - row.utc_offset;
    if (instant >= row.from && instant < row.to) return row.utc_offset;
    const std::int64_t distance = instant < row.from ? row.from - instant : instant - row.to + 1;
    if (distance < best_distance) {
      best_distance = distance;
      best = row.utc_offset;
    }
  }
  return best;
}

DateStyle date_style_of(std::string_view word) noexcept {
  if (iequals(word, "SQL")) return DateStyle::sql;
  if (iequals(word, "Postgres")) return DateStyle::postgres;
  if (iequals(word, "German")) return DateStyle::german;
  return DateStyle::iso;
}

}  // namespace

TextSettings TextSettings::from_reported(std::string_view date_style, std::string_view interval_style,
                                         std::string_view time_zone) {
  TextSettings settings;
  settings.date_style_text = date_style;
  settings.interval_style_text = interval_style;
  settings.time_zone = time_zone;
  // "ISO, MDY": the style, then the order of day and month in input and in the SQL/Postgres output.
  const auto comma = date_style.find(',');
  std::string_view order = comma == std::string_view::npos ? std::string_view{} : date_style.substr(comma + 1);
  while (!order.empty() && order.front() == ' ') order.remove_prefix(1);
  settings.date_style = date_style_of(date_style.substr(0, comma));
  if (iequals(order, "DMY")) settings.date_order = DateOrder::dmy;
  if (iequals(order, "YMD")) settings.date_order = DateOrder::ymd;
  if (iequals(interval_style, "postgres_verbose")) settings.interval_style = IntervalStyle::postgres_verbose;
  if (iequals(interval_style, "sql_standard")) settings.interval_style = IntervalStyle::sql_standard;
  if (iequals(interval_style, "iso_8601")) settings.interval_style = IntervalStyle::iso_8601;
  settings.zone_abbreviations = rows_of_zone(time_zone);
  if (!PosixScanner(time_zone).parse(settings.posix_names)) settings.posix_names.clear();
  return settings;
}

std::optional<std::int32_t> TextSettings::resolve(std::string_view abbreviation,
                                                  std::int64_t local_microseconds) const {
  if (const auto numeric = numeric_offset(abbreviation)) return numeric;
  if (const auto own = zone_offset(zone_abbreviations, abbreviation, local_microseconds)) return own;
  for (const auto& posix : posix_names) {
    if (posix.name == abbreviation) return posix.utc_offset;
  }
  return common_offset(abbreviation);
}

const TextSettings& default_text_settings() noexcept {
  static const TextSettings defaults = TextSettings::from_reported("ISO, MDY", "postgres", "");
  return defaults;
}

std::shared_ptr<const TextSettings> TextSettingsCache::capture(const PGconn* conn) {
  const auto reported = [conn](const char* name) {
    const char* value = PQparameterStatus(conn, name);
    return std::string_view(value != nullptr ? value : "");
  };
  const std::string_view date_style = reported("DateStyle");
  const std::string_view interval_style = reported("IntervalStyle");
  const std::string_view time_zone = reported("TimeZone");
  if (!current_ || current_->date_style_text != date_style || current_->interval_style_text != interval_style ||
      current_->time_zone != time_zone) {
    current_ = std::make_shared<const TextSettings>(TextSettings::from_reported(date_style, interval_style, time_zone));
  }
  return current_;
}

}  // namespace pgkit::detail
