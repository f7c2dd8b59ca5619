// Intervals as text. Each IntervalStyle's output has a form of its own, so the text itself says which
// style wrote it (a SET IntervalStyle inside a script changes nothing here):
//   postgres          1 year 2 mons -3 days +04:05:06.789      (units, then a signed clock)
//   postgres_verbose  @ 1 year 2 mons -3 days 4 hours 5 mins 6.789 secs ago
//   sql_standard      1-2 | -3 4:05:06.789 | +1-2 -3 +4:05:06.789 (mixed signs) | 0
//   iso_8601          P1Y2M-3DT4H5M6.789S
// Parts are summed in 128 bits and checked against the interval's range at the end: the smallest
// interval's parts ("-2562047788:00:54.775808") reach past 64 bits on the way.
#include "datetime_scan.hpp"
#include "datetime_text.hpp"

#include <algorithm>
#include <limits>

namespace pgkit::detail {
namespace {

using scan::Cursor;
using scan::wide;

constexpr wide micros_per_second = 1'000'000;
constexpr wide micros_per_minute = 60 * micros_per_second;
constexpr wide micros_per_hour = 60 * micros_per_minute;
// Far beyond any valid interval and far within 128 bits: text that sums past it is refused.
constexpr wide sum_limit = wide{1} << 100;

struct Parts {
  wide months = 0;
  wide days = 0;
  wide micros = 0;

  static bool add(wide& sum, wide value) noexcept {
    sum += value;
    return sum < sum_limit && sum > -sum_limit;
  }
  void negate() noexcept {
    months = -months;
    days = -days;
    micros = -micros;
  }
};

// "[+-]H+:MM:SS[.ffffff]", the sign covering the whole clock.
bool signed_clock(Cursor& c, wide& out) noexcept {
  const bool negative = c.peek() == '-';
  if (c.peek() == '-' || c.peek() == '+') c.skip();
  std::int64_t hours = 0, minutes = 0, seconds = 0, fraction = 0;
  if (!c.digits(1, 18, hours) || !c.accept(':') || !c.digits(2, 2, minutes) || !c.accept(':') ||
      !c.digits(2, 2, seconds) || !c.fraction(fraction) || minutes > 59 || seconds > 59) {
    return false;
  }
  const wide magnitude = hours * micros_per_hour + minutes * micros_per_minute + seconds * micros_per_second + fraction;
  out = negative ? -magnitude : magnitude;
  return true;
}

// "[+-]digits[.digits]" -> the integer part and the fraction in microseconds, both carrying the sign.
bool signed_decimal(Cursor& c, wide& integer, wide& fraction_us) noexcept {
  const bool negative = c.peek() == '-';
  if (c.peek() == '-' || c.peek() == '+') c.skip();
  std::int64_t whole = 0, fraction = 0;
  if (!c.digits(1, 18, whole) || !c.fraction(fraction)) return false;
  integer = negative ? -wide{whole} : wide{whole};
  fraction_us = negative ? -wide{fraction} : wide{fraction};
  return true;
}

bool clock_ahead(std::string_view rest) noexcept {
  std::size_t at = rest.starts_with('-') || rest.starts_with('+') ? 1 : 0;
  while (at < rest.size() && scan::is_digit(rest[at])) ++at;
  return at < rest.size() && rest[at] == ':';
}

bool add_unit(Parts& parts, std::string_view unit, wide amount) noexcept {
  if (unit == "year" || unit == "years") return Parts::add(parts.months, amount * 12);
  if (unit == "mon" || unit == "mons") return Parts::add(parts.months, amount);
  if (unit == "day" || unit == "days") return Parts::add(parts.days, amount);
  if (unit == "hour" || unit == "hours") return Parts::add(parts.micros, amount * micros_per_hour);
  if (unit == "min" || unit == "mins") return Parts::add(parts.micros, amount * micros_per_minute);
  if (unit == "sec" || unit == "secs") return Parts::add(parts.micros, amount * micros_per_second);
  return false;
}

// "1 year 2 mons -3 days +04:05:06.789", "-1 days +00:00:01", "00:00:00".
bool postgres_interval(std::string_view text, Parts& parts) noexcept {
  Cursor c(text);
  for (bool first = true; !c.done(); first = false) {
    if (!first && !c.accept(' ')) return false;
    wide amount = 0;
    if (clock_ahead(c.rest())) {
      if (!signed_clock(c, amount) || !Parts::add(parts.micros, amount)) return false;
      continue;
    }
    if (!c.signed_integer(amount) || !c.accept(' ')) return false;
    const std::string_view unit = c.word();
    if (unit != "year" && unit != "years" && unit != "mon" && unit != "mons" && unit != "day" && unit != "days") {
      return false;
    }
    if (!add_unit(parts, unit, amount)) return false;
  }
  return !text.empty();
}

// "@ 1 year 2 mons -3 days 4 hours 5 mins 6.789 secs ago", "@ 0". "ago" negates every part.
bool verbose_interval(std::string_view text, Parts& parts) noexcept {
  if (text == "@ 0") return true;
  Cursor c(text);
  if (!c.accept('@') || c.done()) return false;
  while (!c.done()) {
    if (!c.accept(' ')) return false;
    if (c.rest() == "ago") {
      parts.negate();
      return true;
    }
    wide integer = 0, fraction = 0;
    if (!signed_decimal(c, integer, fraction) || !c.accept(' ')) return false;
    const std::string_view unit = c.word();
    if (fraction != 0 && unit != "sec" && unit != "secs") return false;
    if (!add_unit(parts, unit, integer) || !Parts::add(parts.micros, fraction)) return false;
  }
  return true;
}

// "Y-M" -> months (a magnitude: the caller applies the sign).
bool year_month(Cursor& c, wide& months) noexcept {
  std::int64_t years = 0, extra = 0;
  if (!c.digits(1, 18, years) || !c.accept('-') || !c.digits(1, 2, extra) || extra > 11) return false;
  months = wide{years} * 12 + extra;
  return true;
}

// The SQL standard's forms: "0", "1-2", "3 4:05:06.789", "4:05:06", each with at most one leading '-'
// for the whole value; or, when signs are mixed or both year-month and day-time parts are there, three
// fields each with its own sign: "+1-2 -3 +4:05:06.789".
bool sql_standard_interval(std::string_view text, Parts& parts) noexcept {
  if (text == "0") return true;
  const auto spaces = std::count(text.begin(), text.end(), ' ');
  Cursor c(text);
  if (spaces == 2) {
    const char year_sign = c.peek();
    if (year_sign != '+' && year_sign != '-') return false;
    c.skip();
    wide months = 0, days = 0, micros = 0;
    if (!year_month(c, months) || !c.accept(' ') || (c.peek() != '+' && c.peek() != '-') ||
        !c.signed_integer(days) || !c.accept(' ') || (c.peek() != '+' && c.peek() != '-') ||
        !signed_clock(c, micros) || !c.done()) {
      return false;
    }
    parts.months = year_sign == '-' ? -months : months;
    parts.days = days;
    parts.micros = micros;
    return true;
  }
  const bool negative = c.accept('-');
  if (spaces == 1) {
    std::int64_t days = 0;
    if (!c.digits(1, 18, days) || !c.accept(' ') || !signed_clock(c, parts.micros) || parts.micros < 0) return false;
    parts.days = days;
  } else if (spaces != 0) {
    return false;
  } else if (clock_ahead(c.rest())) {
    if (!signed_clock(c, parts.micros) || parts.micros < 0) return false;
  } else if (!year_month(c, parts.months)) {
    return false;
  }
  if (!c.done()) return false;
  if (negative) parts.negate();
  return true;
}

// "P1Y2M3DT4H5M6.789S", each part with its own sign; "PT0S" for zero. M is months before the T and
// minutes after it.
bool iso_8601_interval(std::string_view text, Parts& parts) noexcept {
  Cursor c(text);
  if (!c.accept('P') || c.done()) return false;
  bool time_part = false;
  while (!c.done()) {
    if (!time_part && c.accept('T')) {
      time_part = true;
      continue;
    }
    wide integer = 0, fraction = 0;
    if (!signed_decimal(c, integer, fraction)) return false;
    const char unit = c.peek();
    c.skip();
    if (fraction != 0 && !(time_part && unit == 'S')) return false;
    bool ok = false;
    if (!time_part) {
      ok = unit == 'Y'   ? Parts::add(parts.months, integer * 12)
           : unit == 'M' ? Parts::add(parts.months, integer)
           : unit == 'D' ? Parts::add(parts.days, integer)
           : unit == 'W' ? Parts::add(parts.days, integer * 7)
                         : false;
    } else {
      ok = unit == 'H'   ? Parts::add(parts.micros, integer * micros_per_hour)
           : unit == 'M' ? Parts::add(parts.micros, integer * micros_per_minute)
           : unit == 'S' ? Parts::add(parts.micros, integer * micros_per_second + fraction)
                         : false;
    }
    if (!ok) return false;
  }
  return true;
}

bool has_letter(std::string_view text) noexcept {
  return std::any_of(text.begin(), text.end(), scan::is_letter);
}

}  // namespace

Interval interval_from_text(const Field& field, std::string_view target) {
  const std::string_view text = field.bytes();
  Parts parts;
  const bool parsed = text.starts_with('@')   ? verbose_interval(text, parts)
                      : text.starts_with('P') ? iso_8601_interval(text, parts)
                      : has_letter(text)      ? postgres_interval(text, parts)
                                              : sql_standard_interval(text, parts);
  if (!parsed) {
    const TextSettings& settings = scan::settings_of(field);
    scan::fail_form(field, target, "an interval", "IntervalStyle", scan::reported_or(settings.interval_style_text, "postgres"));
  }
  constexpr auto int32_min = std::numeric_limits<std::int32_t>::min();
  constexpr auto int32_max = std::numeric_limits<std::int32_t>::max();
  if (parts.months < int32_min || parts.months > int32_max || parts.days < int32_min || parts.days > int32_max ||
      parts.micros < std::numeric_limits<std::int64_t>::min() || parts.micros > std::numeric_limits<std::int64_t>::max()) {
    scan::fail_range(field, target);
  }
  return Interval{static_cast<std::int32_t>(parts.months), static_cast<std::int32_t>(parts.days),
                  static_cast<std::int64_t>(parts.micros)};
}

}  // namespace pgkit::detail
