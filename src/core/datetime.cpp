// Dates and times: PostgreSQL's binary forms count from 2000-01-01; pgkit's interface counts from
// the Unix epoch. pgkit writes text (literals, text COPY) in DateStyle ISO and IntervalStyle
// 'postgres', the forms the server reads whatever its settings; it reads text in every style
// (datetime_text.cpp, interval_text.cpp).
#include <pgkit/datetime.hpp>

#include "calendar.hpp"
#include "datetime_text.hpp"

#include <fmt/format.h>

namespace pgkit::detail {
namespace {

constexpr std::int32_t date_infinity = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t date_minus_infinity = std::numeric_limits<std::int32_t>::min();

void append_year_month_day(std::int64_t unix_days, std::string& out, bool& before_christ) {
  const CivilDate date = civil_from_unix_days(unix_days);
  before_christ = date.year <= 0;
  const std::int64_t year = before_christ ? 1 - date.year : date.year;  // astronomical year 0 is 1 BC
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}", year, date.month, date.day);
}

void append_clock(std::uint64_t microseconds, std::string& out) {
  const std::uint64_t seconds = microseconds / 1'000'000;
  const std::uint64_t fraction = microseconds % 1'000'000;
  fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
  if (fraction != 0) {
    std::string digits = fmt::format("{:06}", fraction);
    digits.erase(digits.find_last_not_of('0') + 1);
    out += '.';
    out += digits;
  }
}

}  // namespace

std::int64_t decode_timestamp(const Field& field, bool with_time_zone) {
  const std::string_view target = with_time_zone ? "std::chrono::sys_time" : "std::chrono::local_time";
  // A text-format array element of a type pgkit does not know has no type; anything else must be the
  // timestamp kind asked for, in either format (the binary form of text is no timestamp).
  if (field.type() != (with_time_zone ? oid::timestamptz : oid::timestamp) &&
      (field.is_binary() || field.type() != oid::unspecified)) {
    field.fail(target, with_time_zone ? "it is not a timestamp with time zone (timestamp reads as std::chrono::local_time)"
                                      : "it is not a timestamp without time zone (timestamptz reads as std::chrono::sys_time)");
  }
  if (field.is_binary()) {
    const auto pg = static_cast<std::int64_t>(load_be64(field.data()));
    if (pg == timestamp_infinity || pg == timestamp_minus_infinity) return pg;
    std::int64_t unix = 0;
    // The two extreme values stand for the infinities: a finite timestamp there is out of range too.
    if (__builtin_add_overflow(pg, pg_epoch_unix_microseconds, &unix) || unix == timestamp_infinity) {
      field.fail(target, "out of range");
    }
    return unix;
  }
  return timestamp_from_text(field, with_time_zone, target);
}

void encode_timestamp(std::int64_t unix_microseconds, std::string& out) {
  std::int64_t pg = unix_microseconds;
  if (unix_microseconds != timestamp_infinity && unix_microseconds != timestamp_minus_infinity &&
      __builtin_sub_overflow(unix_microseconds, pg_epoch_unix_microseconds, &pg)) {
    throw_out_of_range("the time point is outside PostgreSQL's timestamp range");
  }
  append_be64(out, static_cast<std::uint64_t>(pg));
}

void timestamp_to_text(std::int64_t unix_microseconds, bool with_time_zone, std::string& out) {
  if (unix_microseconds == timestamp_infinity) {
    out += "infinity";
    return;
  }
  if (unix_microseconds == timestamp_minus_infinity) {
    out += "-infinity";
    return;
  }
  const std::int64_t days = floor_div(unix_microseconds, microseconds_per_day);
  bool bc = false;
  append_year_month_day(days, out, bc);
  out += ' ';
  append_clock(static_cast<std::uint64_t>(unix_microseconds - days * microseconds_per_day), out);
  if (with_time_zone) out += "+00";
  if (bc) out += " BC";
}

void binary_timestamp_to_text(const Field& field, std::string& out) {
  const bool with_time_zone = field.type() == oid::timestamptz;
  if (!field.is_binary() || field.size() != 8 || (!with_time_zone && field.type() != oid::timestamp)) {
    field.fail("std::string", "it is not a binary timestamp");
  }
  const auto pg = static_cast<std::int64_t>(load_be64(field.data()));
  if (pg == timestamp_infinity || pg == timestamp_minus_infinity) {
    out += pg == timestamp_infinity ? "infinity" : "-infinity";
    return;
  }
  // Counted from 2000-01-01 here: the latest timestamps do not fit in microseconds since 1970.
  const std::int64_t days = floor_div(pg, microseconds_per_day);
  bool bc = false;
  append_year_month_day(days + pg_epoch_unix_days, out, bc);
  out += ' ';
  append_clock(static_cast<std::uint64_t>(pg - days * microseconds_per_day), out);
  if (with_time_zone) out += "+00";
  if (bc) out += " BC";
}

std::int32_t decode_date(const Field& field) {
  std::int32_t days = 0;
  if (field.is_binary()) {
    if (field.type() != oid::date) field.fail("a date", "it is not a date");
    days = static_cast<std::int32_t>(load_be32(field.data()));
    if (days == date_infinity || days == date_minus_infinity) {
      field.fail("a date", "it is infinite; C++ dates have no infinity");
    }
    return days + pg_epoch_unix_days;
  }
  if (field.type() != oid::date && field.type() != oid::unspecified) field.fail("a date", "it is not a date");
  return date_from_text(field, "a date");
}

void encode_date(std::int32_t unix_days, std::string& out) {
  std::int32_t pg = 0;
  if (__builtin_sub_overflow(unix_days, pg_epoch_unix_days, &pg)) throw_out_of_range("the date is out of range");
  append_be32(out, static_cast<std::uint32_t>(pg));
}

void date_to_text(std::int32_t unix_days, std::string& out) {
  bool bc = false;
  append_year_month_day(unix_days, out, bc);
  if (bc) out += " BC";
}

std::int64_t decode_time(const Field& field) {
  if (field.is_binary()) {
    if (field.type() != oid::time) field.fail("std::chrono::hh_mm_ss", "it is not a time without time zone");
    return static_cast<std::int64_t>(load_be64(field.data()));
  }
  if (field.type() != oid::time && field.type() != oid::unspecified) {
    field.fail("std::chrono::hh_mm_ss", "it is not a time without time zone");
  }
  return time_from_text(field, "std::chrono::hh_mm_ss");
}

void time_to_text(std::int64_t microseconds, std::string& out) {
  append_clock(static_cast<std::uint64_t>(microseconds), out);
}

Interval decode_interval(const Field& field) {
  if (field.is_binary()) {
    if (field.type() != oid::interval || field.size() != 16) field.fail("pgkit::Interval", "it is not an interval");
    return Interval{static_cast<std::int32_t>(load_be32(field.data() + 12)),
                    static_cast<std::int32_t>(load_be32(field.data() + 8)),
                    static_cast<std::int64_t>(load_be64(field.data()))};
  }
  if (field.type() != oid::interval && field.type() != oid::unspecified) {
    field.fail("pgkit::Interval", "it is not an interval");
  }
  return interval_from_text(field, "pgkit::Interval");
}

TimeTz decode_timetz(const Field& field) {
  constexpr std::string_view target = "pgkit::TimeTz";
  if (field.is_binary()) {
    if (field.type() != oid::timetz || field.size() != 12) field.fail(target, "it is not a time with time zone");
    // The server keeps the offset in seconds west of UTC.
    const auto west = static_cast<std::int32_t>(load_be32(field.data() + 8));
    return TimeTz{std::chrono::microseconds(static_cast<std::int64_t>(load_be64(field.data()))),
                  std::chrono::seconds(-static_cast<std::int64_t>(west))};
  }
  if (field.type() != oid::timetz && field.type() != oid::unspecified) field.fail(target, "it is not a time with time zone");
  return timetz_from_text(field, target);
}

namespace {
constexpr std::int64_t timetz_offset_limit = 16 * 3600;  // exclusive, as the server checks
void check_timetz(const TimeTz& value) {
  if (value.time_of_day.count() < 0 || value.time_of_day.count() > microseconds_per_day) {
    throw_out_of_range("a time of day must be within 00:00:00..24:00:00");
  }
  if (value.utc_offset.count() <= -timetz_offset_limit || value.utc_offset.count() >= timetz_offset_limit) {
    throw_out_of_range("a time zone offset must be within -15:59:59..+15:59:59");
  }
}
}  // namespace

void encode_timetz(const TimeTz& value, std::string& out) {
  check_timetz(value);
  append_be64(out, static_cast<std::uint64_t>(value.time_of_day.count()));
  append_be32(out, static_cast<std::uint32_t>(static_cast<std::int32_t>(-value.utc_offset.count())));
}

// As the server writes it: "13:04:05.5+05:45", minutes and seconds of the offset only when not zero.
void timetz_to_text(const TimeTz& value, std::string& out) {
  check_timetz(value);
  append_clock(static_cast<std::uint64_t>(value.time_of_day.count()), out);
  const std::int64_t east = value.utc_offset.count();
  const std::int64_t magnitude = east < 0 ? -east : east;
  out += east < 0 ? '-' : '+';
  const std::int64_t hours = magnitude / 3600, minutes = magnitude / 60 % 60, seconds = magnitude % 60;
  if (seconds != 0) {
    fmt::format_to(std::back_inserter(out), "{:02}:{:02}:{:02}", hours, minutes, seconds);
  } else if (minutes != 0) {
    fmt::format_to(std::back_inserter(out), "{:02}:{:02}", hours, minutes);
  } else {
    fmt::format_to(std::back_inserter(out), "{:02}", hours);
  }
}

// As the server writes IntervalStyle 'postgres': only exactly 1 is singular ("-1 days"), and a positive
// part right after a negative one carries a '+' ("-1 years +2 days").
void interval_to_text(const Interval& value, std::string& out) {
  bool first = true;
  bool after_negative = false;
  const auto add = [&](std::int64_t amount, std::string_view unit) {
    if (amount == 0) return;
    if (!first) out += ' ';
    if (after_negative && amount > 0) out += '+';
    fmt::format_to(std::back_inserter(out), "{} {}{}", amount, unit, amount == 1 ? "" : "s");
    after_negative = amount < 0;
    first = false;
  };
  add(value.months / 12, "year");
  add(value.months % 12, "mon");
  add(value.days, "day");
  if (value.microseconds != 0 || first) {
    if (!first) out += ' ';
    auto magnitude = static_cast<std::uint64_t>(value.microseconds);
    if (value.microseconds < 0) {
      out += '-';
      magnitude = 0 - magnitude;
    } else if (after_negative) {
      out += '+';
    }
    append_clock(magnitude, out);
  }
}

}  // namespace pgkit::detail
