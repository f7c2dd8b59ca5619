// Dates and times: PostgreSQL's binary forms count from 2000-01-01; pgkit's interface counts from
// the Unix epoch. Text forms are ISO (DateStyle ISO) and the 'postgres' IntervalStyle.
#include <pgkit/datetime.hpp>

#include <fmt/format.h>

#include <charconv>

namespace pgkit::detail {
namespace {

constexpr std::int64_t microseconds_per_day = 86'400'000'000;
constexpr std::int64_t pg_epoch_unix_microseconds = 946'684'800'000'000;
constexpr std::int32_t pg_epoch_unix_days = 10'957;
constexpr std::int32_t date_infinity = std::numeric_limits<std::int32_t>::max();
constexpr std::int32_t date_minus_infinity = std::numeric_limits<std::int32_t>::min();

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Proleptic Gregorian calendar over 64-bit day counts (H. Hinnant's algorithms): PostgreSQL's dates
// reach year 5874897, std::chrono::year only 32767.
struct CivilDate {
  std::int64_t year;  // astronomical: 0 is 1 BC
  unsigned month;
  unsigned day;
};

CivilDate civil_from_unix_days(std::int64_t days) {
  days += 719'468;
  const std::int64_t era = (days >= 0 ? days : days - 146'096) / 146'097;
  const auto day_of_era = static_cast<unsigned>(days - era * 146'097);
  const unsigned year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36'524 - day_of_era / 146'096) / 365;
  const unsigned day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const unsigned shifted_month = (5 * day_of_year + 2) / 153;  // March is 0
  const unsigned day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
  const unsigned month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
  return {static_cast<std::int64_t>(year_of_era) + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

std::int64_t unix_days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146'097 + static_cast<std::int64_t>(day_of_era) - 719'468;
}

unsigned days_in_month(std::int64_t year, unsigned month) {
  static constexpr unsigned lengths[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : lengths[month - 1];
}

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

// A small cursor over text-format values.
class Scanner {
 public:
  Scanner(const Field& field, std::string_view target) : field_(field), text_(field.bytes()), target_(target) {}

  [[noreturn]] void fail() const {
    field_.fail(target_, fmt::format("'{}' is not in the expected ISO form (DateStyle ISO)", text_));
  }
  bool done() const { return pos_ >= text_.size(); }
  bool peek(char c) const { return pos_ < text_.size() && text_[pos_] == c; }
  bool accept(char c) {
    if (!peek(c)) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!accept(c)) fail();
  }
  bool accept(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  std::int64_t number(std::size_t min_digits = 1) {
    std::int64_t value = 0;
    const char* begin = text_.data() + pos_;
    const auto [ptr, ec] = std::from_chars(begin, text_.data() + text_.size(), value);
    if (ec != std::errc() || static_cast<std::size_t>(ptr - begin) < min_digits || *begin == '-' || *begin == '+') fail();
    pos_ += static_cast<std::size_t>(ptr - begin);
    return value;
  }
  // ".123" -> microseconds (at most 6 digits kept, as the server sends).
  std::int64_t fraction() {
    if (!accept('.')) return 0;
    std::int64_t value = 0;
    int digits = 0;
    while (!done() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (digits < 6) value = value * 10 + (text_[pos_] - '0');
      ++digits;
      ++pos_;
    }
    if (digits == 0) fail();
    for (; digits < 6; ++digits) value *= 10;
    return value;
  }
  std::string_view rest() const { return text_.substr(pos_); }

 private:
  const Field& field_;
  std::string_view text_;
  std::string_view target_;
  std::size_t pos_ = 0;
};

// "YYYY-MM-DD" -> days since the Unix epoch (BC handled by the caller).
std::int64_t scan_date(Scanner& scan, bool before_christ) {
  const std::int64_t year = scan.number(4);
  scan.expect('-');
  const std::int64_t month = scan.number(2);
  scan.expect('-');
  const std::int64_t day = scan.number(2);
  const std::int64_t astronomical = before_christ ? 1 - year : year;
  if (astronomical > 10'000'000 || astronomical < -10'000'000 || month < 1 || month > 12 || day < 1 ||
      day > days_in_month(astronomical, static_cast<unsigned>(month))) {
    scan.fail();
  }
  return unix_days_from_civil(astronomical, static_cast<unsigned>(month), static_cast<unsigned>(day));
}

std::int64_t scan_clock(Scanner& scan) {
  const std::int64_t hours = scan.number(2);
  scan.expect(':');
  const std::int64_t minutes = scan.number(2);
  scan.expect(':');
  const std::int64_t seconds = scan.number(2);
  const std::int64_t micros = scan.fraction();
  if (minutes > 59 || seconds > 60) scan.fail();
  return ((hours * 60 + minutes) * 60 + seconds) * 1'000'000 + micros;
}

bool ends_with_bc(std::string_view text) { return text.ends_with(" BC"); }

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
    if (__builtin_add_overflow(pg, pg_epoch_unix_microseconds, &unix)) field.fail(target, "out of range");
    return unix;
  }
  const std::string_view text = field.bytes();
  if (text == "infinity") return timestamp_infinity;
  if (text == "-infinity") return timestamp_minus_infinity;
  Scanner scan(field, target);
  const bool bc = ends_with_bc(text);
  const std::int64_t days = scan_date(scan, bc);
  scan.expect(' ');
  const std::int64_t clock = scan_clock(scan);
  std::int64_t offset = 0;
  if (scan.peek('+') || scan.peek('-')) {
    const bool east = scan.accept('+');
    if (!east) scan.expect('-');
    offset = scan.number(2) * 3600;
    if (scan.accept(':')) offset += scan.number(2) * 60;
    if (scan.accept(':')) offset += scan.number(2);
    if (!east) offset = -offset;
  }
  if (bc) scan.accept(" BC");
  if (!scan.done()) scan.fail();
  // PostgreSQL's last years (to 294276) are beyond 64-bit microseconds since 1970.
  std::int64_t micros = 0;
  if (__builtin_mul_overflow(days, microseconds_per_day, &micros) || __builtin_add_overflow(micros, clock, &micros) ||
      __builtin_sub_overflow(micros, offset * 1'000'000, &micros)) {
    field.fail(target, "out of range");
  }
  return micros;
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
  if (field.bytes() == "infinity" || field.bytes() == "-infinity") {
    field.fail("a date", "it is infinite; C++ dates have no infinity");
  }
  Scanner scan(field, "a date");
  const bool bc = ends_with_bc(field.bytes());
  const std::int64_t unix_days = scan_date(scan, bc);
  if (bc) scan.accept(" BC");
  if (!scan.done()) scan.fail();
  if (unix_days > std::numeric_limits<std::int32_t>::max() || unix_days < std::numeric_limits<std::int32_t>::min()) {
    scan.fail();
  }
  return static_cast<std::int32_t>(unix_days);
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
  Scanner scan(field, "std::chrono::hh_mm_ss");
  const std::int64_t micros = scan_clock(scan);
  if (!scan.done()) scan.fail();
  return micros;
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
  // IntervalStyle 'postgres': "1 year 2 mons -3 days +04:05:06.789".
  Interval value;
  std::string_view text = field.bytes();
  const auto fail = [&]() -> Interval {
    field.fail("pgkit::Interval", fmt::format("'{}' is not in the 'postgres' IntervalStyle", text));
  };
  while (!text.empty()) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    if (text.empty()) break;
    const auto token_end = text.find(' ');
    const std::string_view token = text.substr(0, token_end);
    if (token.find(':') != std::string_view::npos) {
      std::string_view clock = token;
      bool negative = false;
      if (clock.front() == '-' || clock.front() == '+') {
        negative = clock.front() == '-';
        clock.remove_prefix(1);
      }
      std::int64_t hours = 0, minutes = 0, seconds = 0;
      const char* p = clock.data();
      const char* end = clock.data() + clock.size();
      auto r = std::from_chars(p, end, hours);
      if (r.ec != std::errc() || r.ptr == end || *r.ptr != ':') return fail();
      r = std::from_chars(r.ptr + 1, end, minutes);
      if (r.ec != std::errc() || r.ptr == end || *r.ptr != ':') return fail();
      r = std::from_chars(r.ptr + 1, end, seconds);
      if (r.ec != std::errc()) return fail();
      std::int64_t micros = 0;
      if (r.ptr != end) {
        if (*r.ptr != '.') return fail();
        int digits = 0;
        for (const char* q = r.ptr + 1; q != end; ++q, ++digits) {
          if (*q < '0' || *q > '9') return fail();
          if (digits < 6) micros = micros * 10 + (*q - '0');
        }
        for (; digits < 6; ++digits) micros *= 10;
      }
      const std::int64_t total = ((hours * 60 + minutes) * 60 + seconds) * 1'000'000 + micros;
      value.microseconds += negative ? -total : total;
      text = token_end == std::string_view::npos ? std::string_view{} : text.substr(token_end);
      continue;
    }
    std::int64_t amount = 0;
    const char* begin = token.data() + (token.front() == '+' ? 1 : 0);
    const auto [ptr, ec] = std::from_chars(begin, token.data() + token.size(), amount);
    if (ec != std::errc() || ptr != token.data() + token.size() || token_end == std::string_view::npos) return fail();
    text = text.substr(token_end + 1);
    const auto unit_end = text.find(' ');
    const std::string_view unit = text.substr(0, unit_end);
    text = unit_end == std::string_view::npos ? std::string_view{} : text.substr(unit_end);
    if (unit == "year" || unit == "years") {
      value.months += static_cast<std::int32_t>(amount * 12);
    } else if (unit == "mon" || unit == "mons") {
      value.months += static_cast<std::int32_t>(amount);
    } else if (unit == "day" || unit == "days") {
      value.days += static_cast<std::int32_t>(amount);
    } else {
      return fail();
    }
  }
  return value;
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
