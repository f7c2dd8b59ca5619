#include "datetime_text.hpp"

#include "calendar.hpp"
#include "datetime_scan.hpp"

#include <fmt/format.h>

#include <array>

namespace pgkit::detail {
namespace {

using scan::Cursor;
using scan::fail_form;
using scan::fail_range;
using scan::is_letter;
using scan::quoted;
using scan::reported_or;
using scan::settings_of;

constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> weekday_names = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

// "HH:MM:SS[.ffffff]" -> microseconds. `max_hour` 24 (time of day) allows 24:00:00 and nothing later.
bool clock(Cursor& c, std::int64_t max_hour, std::int64_t& out) noexcept {
  std::int64_t hours = 0, minutes = 0, seconds = 0, micros = 0;
  if (!c.digits(2, 2, hours) || !c.accept(':') || !c.digits(2, 2, minutes) || !c.accept(':') ||
      !c.digits(2, 2, seconds) || !c.fraction(micros)) {
    return false;
  }
  if (hours > max_hour || minutes > 59 || seconds > 59 || (hours == 24 && minutes + seconds + micros != 0)) return false;
  out = ((hours * 60 + minutes) * 60 + seconds) * 1'000'000 + micros;
  return true;
}

// "+05:45", "-03:30:52", "+00" -> seconds east of UTC, below 16 hours as PostgreSQL keeps them.
bool numeric_offset(Cursor& c, std::int32_t& out) noexcept {
  const char sign = c.peek();
  if (sign != '+' && sign != '-') return false;
  c.skip();
  std::int64_t hours = 0, minutes = 0, seconds = 0;
  if (!c.digits(2, 2, hours)) return false;
  if (c.accept(':') && (!c.digits(2, 2, minutes) || (c.accept(':') && !c.digits(2, 2, seconds)))) return false;
  if (hours > 15 || minutes > 59 || seconds > 59) return false;
  const auto magnitude = static_cast<std::int32_t>(hours * 3600 + minutes * 60 + seconds);
  out = sign == '-' ? -magnitude : magnitude;
  return true;
}

struct PrintedDate {
  std::int64_t year = 0;  // as printed: 1 and up, BC said apart
  std::int64_t month = 0;
  std::int64_t day = 0;
};

// ISO 2026-07-02, SQL 07/02/2026 or 02/07/2026, German 02.07.2026, Postgres 07-02-2026 or 02-07-2026.
// The form tells the style; only the order of day and month needs the session's DateStyle.
bool numeric_date(Cursor& c, DateOrder order, PrintedDate& out) noexcept {
  const std::size_t start = c.position();
  std::int64_t first = 0;
  if (!c.digits(2, 10, first)) return false;
  const std::size_t width = c.position() - start;
  const char separator = c.peek();
  if (separator == '-' && width >= 4) {
    c.skip();
    out.year = first;
    return c.digits(2, 2, out.month) && c.accept('-') && c.digits(2, 2, out.day);
  }
  if (width != 2 || (separator != '-' && separator != '/' && separator != '.')) return false;
  c.skip();
  std::int64_t second = 0;
  if (!c.digits(2, 2, second) || !c.accept(separator) || !c.digits(4, 10, out.year)) return false;
  // German always puts the day first; SQL and Postgres only under DMY (YMD prints as MDY).
  const bool day_first = separator == '.' || order == DateOrder::dmy;
  out.month = day_first ? second : first;
  out.day = day_first ? first : second;
  return true;
}

int month_number(std::string_view name) noexcept {
  for (std::size_t i = 0; i < month_names.size(); ++i) {
    if (month_names[i] == name) return static_cast<int>(i) + 1;
  }
  return 0;
}

// DateStyle Postgres: "Thu Jul 02 03:04:05.5 2026" (MDY, YMD) or "Thu 02 Jul 03:04:05.5 2026" (DMY).
bool postgres_timestamp(Cursor& c, PrintedDate& date, std::int64_t& clock_us, std::string_view& weekday) noexcept {
  std::string_view month;
  if (!c.letters(3, weekday) || !c.accept(' ')) return false;
  if (is_letter(c.peek())) {
    if (!c.letters(3, month) || !c.accept(' ') || !c.digits(2, 2, date.day)) return false;
  } else if (!c.digits(2, 2, date.day) || !c.accept(' ') || !c.letters(3, month)) {
    return false;
  }
  date.month = month_number(month);
  return date.month != 0 && c.accept(' ') && clock(c, 23, clock_us) && c.accept(' ') && c.digits(4, 10, date.year);
}

bool unix_days(const PrintedDate& date, bool before_christ, std::int64_t& out) noexcept {
  if (date.year < 1 || date.year > 10'000'000 || date.month < 1 || date.month > 12 || date.day < 1) return false;
  const std::int64_t year = before_christ ? 1 - date.year : date.year;  // astronomical: 1 BC is year 0
  const auto month = static_cast<unsigned>(date.month);
  if (date.day > days_in_month(year, month)) return false;
  out = unix_days_from_civil(year, month, static_cast<unsigned>(date.day));
  return true;
}

std::int64_t clamped(scan::wide value) noexcept {
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  return value < min ? min : value > max ? max : static_cast<std::int64_t>(value);
}

// Microseconds since 1970 fit in 64 bits until 294247; the two extremes stand for the infinities.
std::int64_t in_range(const Field& field, std::string_view target, scan::wide micros) {
  if (micros <= timestamp_minus_infinity || micros >= timestamp_infinity) fail_range(field, target);
  return static_cast<std::int64_t>(micros);
}

std::string_view without_bc(std::string_view text, bool& before_christ) noexcept {
  before_christ = text.ends_with(" BC");
  return before_christ ? text.substr(0, text.size() - 3) : text;
}

}  // namespace

std::int64_t timestamp_from_text(const Field& field, bool with_time_zone, std::string_view target) {
  const std::string_view text = field.bytes();
  if (text == "infinity") return timestamp_infinity;
  if (text == "-infinity") return timestamp_minus_infinity;
  const TextSettings& settings = settings_of(field);
  const std::string_view what = with_time_zone ? "a timestamp with time zone" : "a timestamp";
  const auto fail = [&]() -> std::int64_t {
    fail_form(field, target, what, "DateStyle", reported_or(settings.date_style_text, "ISO, MDY"));
  };
  bool bc = false;
  Cursor c(without_bc(text, bc));
  PrintedDate date;
  std::int64_t clock_us = 0;
  std::string_view weekday;
  const bool parsed = is_letter(c.peek()) ? postgres_timestamp(c, date, clock_us, weekday)
                                          : numeric_date(c, settings.date_order, date) && c.accept(' ') &&
                                                clock(c, 23, clock_us);
  std::int64_t days = 0;
  if (!parsed || !unix_days(date, bc, days)) return fail();
  if (!weekday.empty() && weekday != weekday_names[weekday_of_unix_days(days)]) return fail();
  // Summed in 128 bits: the local time of an instant near the end of the range may pass 64 bits (the
  // instant's own microseconds since 1970 are checked at the end).
  const scan::wide local = scan::wide{days} * microseconds_per_day + clock_us;
  if (!with_time_zone) return c.done() ? in_range(field, target, local) : fail();
  std::int32_t offset = 0;
  if (c.peek() == '+' || c.peek() == '-') {  // ISO: the offset right after the time
    if (!numeric_offset(c, offset) || !c.done()) return fail();
  } else {
    // Other styles: a space, then the zone's abbreviation ("CEST", "+0545", "LMT"; empty for a bare POSIX zone).
    if (!c.accept(' ')) return fail();
    const std::string_view abbreviation = c.rest();
    if (abbreviation.find(' ') != std::string_view::npos) return fail();
    const auto resolved = settings.resolve(abbreviation, clamped(local));
    if (!resolved) {
      field.fail(target, fmt::format("{} names the time zone abbreviation '{}', which pgkit cannot resolve under "
                                     "TimeZone '{}' (DateStyle ISO prints offsets instead)",
                                     quoted(text), abbreviation, settings.time_zone));
    }
    offset = *resolved;
  }
  return in_range(field, target, local - scan::wide{offset} * 1'000'000);
}

std::int32_t date_from_text(const Field& field, std::string_view target) {
  const std::string_view text = field.bytes();
  if (text == "infinity" || text == "-infinity") field.fail(target, "it is infinite; C++ dates have no infinity");
  const TextSettings& settings = settings_of(field);
  bool bc = false;
  Cursor c(without_bc(text, bc));
  PrintedDate date;
  std::int64_t days = 0;
  if (!numeric_date(c, settings.date_order, date) || !c.done() || !unix_days(date, bc, days)) {
    fail_form(field, target, "a date", "DateStyle", reported_or(settings.date_style_text, "ISO, MDY"));
  }
  if (days > std::numeric_limits<std::int32_t>::max() || days < std::numeric_limits<std::int32_t>::min()) {
    fail_range(field, target);
  }
  return static_cast<std::int32_t>(days);
}

std::int64_t time_from_text(const Field& field, std::string_view target) {
  Cursor c(field.bytes());
  std::int64_t micros = 0;
  if (!clock(c, 24, micros) || !c.done()) fail_form(field, target, "a time of day");
  return micros;
}

TimeTz timetz_from_text(const Field& field, std::string_view target) {
  Cursor c(field.bytes());
  std::int64_t micros = 0;
  std::int32_t offset = 0;
  if (!clock(c, 24, micros) || !numeric_offset(c, offset) || !c.done()) {
    fail_form(field, target, "a time with time zone");
  }
  return TimeTz{std::chrono::microseconds(micros), std::chrono::seconds(offset)};
}

}  // namespace pgkit::detail
