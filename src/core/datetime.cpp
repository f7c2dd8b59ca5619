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

void append_year_month_day(std::int32_t unix_days, std::string& out, bool& before_christ) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{unix_days}}};
  int year = static_cast<int>(ymd.year());
  before_christ = year <= 0;
  if (before_christ) year = 1 - year;  // astronomical year 0 is 1 BC
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}", year, static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day()));
}

void append_clock(std::int64_t microseconds, std::string& out) {
  const std::int64_t seconds = microseconds / 1'000'000;
  const std::int64_t fraction = microseconds % 1'000'000;
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
std::int32_t scan_date(Scanner& scan, bool before_christ) {
  const std::int64_t year = scan.number(4);
  scan.expect('-');
  const std::int64_t month = scan.number(2);
  scan.expect('-');
  const std::int64_t day = scan.number(2);
  const std::int64_t astronomical = before_christ ? 1 - year : year;
  if (astronomical > 32767 || astronomical < -32767) scan.fail();
  const std::chrono::year_month_day ymd{std::chrono::year{static_cast<int>(astronomical)},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) scan.fail();
  return static_cast<std::int32_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
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
  if (field.type() != (with_time_zone ? oid::timestamptz : oid::timestamp) && field.type() != oid::unspecified &&
      field.type() != oid::unknown && field.type() != oid::text) {
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
  std::int64_t micros = days * microseconds_per_day + scan_clock(scan);
  if (scan.peek('+') || scan.peek('-')) {
    const bool east = scan.accept('+');
    if (!east) scan.expect('-');
    std::int64_t offset = scan.number(2) * 3600;
    if (scan.accept(':')) offset += scan.number(2) * 60;
    if (scan.accept(':')) offset += scan.number(2);
    micros -= (east ? offset : -offset) * 1'000'000;
  }
  if (bc) scan.accept(" BC");
  if (!scan.done()) scan.fail();
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
  append_year_month_day(static_cast<std::int32_t>(days), out, bc);
  out += ' ';
  append_clock(unix_microseconds - days * microseconds_per_day, out);
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
  if (field.bytes() == "infinity" || field.bytes() == "-infinity") {
    field.fail("a date", "it is infinite; C++ dates have no infinity");
  }
  Scanner scan(field, "a date");
  const bool bc = ends_with_bc(field.bytes());
  days = scan_date(scan, bc);
  if (bc) scan.accept(" BC");
  if (!scan.done()) scan.fail();
  return days;
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
  Scanner scan(field, "std::chrono::hh_mm_ss");
  const std::int64_t micros = scan_clock(scan);
  if (!scan.done()) scan.fail();
  return micros;
}

void time_to_text(std::int64_t microseconds, std::string& out) { append_clock(microseconds, out); }

Interval decode_interval(const Field& field) {
  if (field.is_binary()) {
    if (field.type() != oid::interval || field.size() != 16) field.fail("pgkit::Interval", "it is not an interval");
    return Interval{static_cast<std::int32_t>(load_be32(field.data() + 12)),
                    static_cast<std::int32_t>(load_be32(field.data() + 8)),
                    static_cast<std::int64_t>(load_be64(field.data()))};
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

void interval_to_text(const Interval& value, std::string& out) {
  const auto plural = [](std::int64_t n, const char* one, const char* many) { return n == 1 || n == -1 ? one : many; };
  const std::int32_t years = value.months / 12;
  const std::int32_t months = value.months % 12;
  bool any = false;
  bool negative_before = false;
  const auto add = [&](std::int64_t amount, const char* one, const char* many) {
    if (amount == 0) return;
    if (any) out += ' ';
    fmt::format_to(std::back_inserter(out), "{} {}", amount, plural(amount, one, many));
    any = true;
    negative_before = negative_before || amount < 0;
  };
  add(years, "year", "years");
  add(months, "mon", "mons");
  add(value.days, "day", "days");
  if (value.microseconds != 0 || !any) {
    if (any) out += ' ';
    std::int64_t micros = value.microseconds;
    if (micros < 0) {
      out += '-';
      micros = -micros;
    } else if (negative_before) {
      out += '+';
    }
    append_clock(micros, out);
  }
}

}  // namespace pgkit::detail
