// Dates and times, on std::chrono:
//   timestamptz  <-> std::chrono::sys_time<D>   (system_clock::time_point among them)
//   timestamp    <-> std::chrono::local_time<D> (a wall-clock time with no zone)
//   date         <-> std::chrono::year_month_day, sys_days, local_days
//   time         <-> std::chrono::hh_mm_ss<D>
//   timetz       <-> pgkit::TimeTz (a time of day and its UTC offset)
//   interval     <-> pgkit::Interval (exact), or std::chrono::duration when it has no months
// PostgreSQL keeps microseconds: finer C++ values are floored to the microsecond when sent, and a value
// read into a coarser duration must be exact, or ConversionError says what would be lost. Timestamps'
// 'infinity' and '-infinity' map to time_point::max() and ::min() (both ways); a value outside what the
// C++ type can hold (system_clock's nanoseconds end in 2262) is a ConversionError, never a wrap.
// Text results are read as the server wrote them: under any DateStyle, IntervalStyle and TimeZone of the
// session when the result was made (docs/driver.md, "Dates and times as text").
#pragma once

#include <pgkit/types.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <ratio>
#include <string>
#include <type_traits>

namespace pgkit {

// PostgreSQL's interval: months, days and microseconds are separate, because a month has no fixed
// number of days and a day no fixed number of hours (across a DST change).
struct Interval {
  std::int32_t months = 0;
  std::int32_t days = 0;
  std::int64_t microseconds = 0;
  friend bool operator==(const Interval&, const Interval&) = default;
};

// PostgreSQL's time with time zone: a time of day with the UTC offset it was written with. Having no
// date, it knows nothing of daylight saving time: the offset is fixed.
struct TimeTz {
  std::chrono::microseconds time_of_day{};  // 00:00:00 to 24:00:00
  std::chrono::seconds utc_offset{};        // east of UTC, as ISO 8601 counts: +05:45 is 20700 s; below 16 h
  friend bool operator==(const TimeTz&, const TimeTz&) = default;
};

namespace detail {

inline constexpr std::int64_t timestamp_infinity = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t timestamp_minus_infinity = std::numeric_limits<std::int64_t>::min();

// Microseconds since the Unix epoch, or timestamp_(minus_)infinity.
std::int64_t decode_timestamp(const Field& field, bool with_time_zone);
void encode_timestamp(std::int64_t unix_microseconds, std::string& out);
void timestamp_to_text(std::int64_t unix_microseconds, bool with_time_zone, std::string& out);
// The server's text for a binary timestamp or timestamptz field (timestamptz in UTC), over PostgreSQL's
// whole range, which reaches past what 64-bit microseconds since 1970 hold.
void binary_timestamp_to_text(const Field& field, std::string& out);
// Days since the Unix epoch; infinite dates are a ConversionError.
std::int32_t decode_date(const Field& field);
void encode_date(std::int32_t unix_days, std::string& out);
void date_to_text(std::int32_t unix_days, std::string& out);
std::int64_t decode_time(const Field& field);  // microseconds since midnight
void time_to_text(std::int64_t microseconds, std::string& out);
Interval decode_interval(const Field& field);
void interval_to_text(const Interval& value, std::string& out);
TimeTz decode_timetz(const Field& field);
void encode_timetz(const TimeTz& value, std::string& out);
void timetz_to_text(const TimeTz& value, std::string& out);
[[noreturn]] void throw_out_of_range(std::string_view what);

// `d` in whole microseconds, floored; throws when that does not fit in 64 bits.
template <class Rep, class Period>
std::int64_t to_microseconds(std::chrono::duration<Rep, Period> d) {
  static_assert(std::is_integral_v<Rep>, "pgkit sends durations with an integer count");
  using PerMicro = std::ratio_divide<Period, std::micro>;
  if constexpr (PerMicro::num == 1) {
    return std::chrono::floor<std::chrono::microseconds>(d).count();
  } else {
    static_assert(PerMicro::den == 1, "the duration's period must be a whole number of microseconds or finer");
    std::int64_t result = 0;
    if (__builtin_mul_overflow(static_cast<std::int64_t>(d.count()), PerMicro::num, &result)) {
      throw_out_of_range("the duration does not fit in 64-bit microseconds");
    }
    return result;
  }
}

// `microseconds` as Duration; false when it does not fit or would lose precision.
template <class Duration>
bool from_microseconds(std::int64_t microseconds, Duration& out) {
  using Rep = typename Duration::rep;
  using PerMicro = std::ratio_divide<typename Duration::period, std::micro>;
  if constexpr (PerMicro::num == 1) {
    static_assert(PerMicro::den >= 1);
    Rep count{};
    if (__builtin_mul_overflow(microseconds, static_cast<std::int64_t>(PerMicro::den), &count)) return false;
    out = Duration(count);
    return true;
  } else {
    static_assert(PerMicro::den == 1, "the duration's period must be a whole number of microseconds or finer");
    if (microseconds % PerMicro::num != 0) return false;
    const std::int64_t count = microseconds / PerMicro::num;
    if (count > std::numeric_limits<Rep>::max() || count < std::numeric_limits<Rep>::min()) return false;
    out = Duration(static_cast<Rep>(count));
    return true;
  }
}

template <class Clock, class Duration, bool WithTimeZone>
struct TimestampType {
  using TimePoint = std::chrono::time_point<Clock, Duration>;
  static constexpr Oid oid = WithTimeZone ? oid::timestamptz : oid::timestamp;
  static constexpr Oid array_oid = WithTimeZone ? oid::timestamptz_array : oid::timestamp_array;
  static constexpr Format format = Format::binary;

  static std::int64_t unix_microseconds(const TimePoint& value) {
    if (value == TimePoint::max()) return timestamp_infinity;
    if (value == TimePoint::min()) return timestamp_minus_infinity;
    return to_microseconds(value.time_since_epoch());
  }
  static void encode(const TimePoint& value, std::string& out) { encode_timestamp(unix_microseconds(value), out); }
  static void to_text(const TimePoint& value, std::string& out) {
    timestamp_to_text(unix_microseconds(value), WithTimeZone, out);
  }
  static TimePoint decode(const Field& field) {
    const std::int64_t us = decode_timestamp(field, WithTimeZone);
    if (us == timestamp_infinity) return TimePoint::max();
    if (us == timestamp_minus_infinity) return TimePoint::min();
    Duration since_epoch{};
    if (!from_microseconds(us, since_epoch)) {
      field.fail(WithTimeZone ? "std::chrono::sys_time" : "std::chrono::local_time",
                 "the value does not fit in the time_point's duration without loss (use microseconds)");
    }
    return TimePoint(since_epoch);
  }
};

template <class TimePoint>
struct DateType {
  static constexpr Oid oid = oid::date;
  static constexpr Oid array_oid = oid::date_array;
  static constexpr Format format = Format::binary;
  static void encode(const TimePoint& value, std::string& out) {
    encode_date(checked_days(value), out);
  }
  static void to_text(const TimePoint& value, std::string& out) { date_to_text(checked_days(value), out); }
  static TimePoint decode(const Field& field) { return TimePoint(std::chrono::days(decode_date(field))); }
  static std::int32_t checked_days(const TimePoint& value) {
    const auto days = value.time_since_epoch().count();
    if (days > std::numeric_limits<std::int32_t>::max() || days < std::numeric_limits<std::int32_t>::min()) {
      throw_out_of_range("the date is outside PostgreSQL's range");
    }
    return static_cast<std::int32_t>(days);
  }
};

}  // namespace detail

template <class Duration>
struct Type<std::chrono::sys_time<Duration>> : detail::TimestampType<std::chrono::system_clock, Duration, true> {};

template <class Duration>
struct Type<std::chrono::local_time<Duration>> : detail::TimestampType<std::chrono::local_t, Duration, false> {};

template <>
struct Type<std::chrono::sys_days> : detail::DateType<std::chrono::sys_days> {};
template <>
struct Type<std::chrono::local_days> : detail::DateType<std::chrono::local_days> {};

template <>
struct Type<std::chrono::year_month_day> {
  static constexpr Oid oid = oid::date;
  static constexpr Oid array_oid = oid::date_array;
  static constexpr Format format = Format::binary;
  static std::chrono::sys_days checked(const std::chrono::year_month_day& value) {
    if (!value.ok()) detail::throw_out_of_range("the year_month_day is not a valid date");
    return std::chrono::sys_days(value);
  }
  static void encode(const std::chrono::year_month_day& value, std::string& out) {
    Type<std::chrono::sys_days>::encode(checked(value), out);
  }
  static void to_text(const std::chrono::year_month_day& value, std::string& out) {
    Type<std::chrono::sys_days>::to_text(checked(value), out);
  }
  static std::chrono::year_month_day decode(const Field& field) {
    const std::int32_t days = detail::decode_date(field);
    // year_month_day covers years -32767..32767; PostgreSQL's dates reach 5874897.
    if (days > 11248737 || days < -12687428) field.fail("std::chrono::year_month_day", "the year is out of its range");
    return std::chrono::year_month_day(std::chrono::sys_days(std::chrono::days(days)));
  }
};

template <class Duration>
struct Type<std::chrono::hh_mm_ss<Duration>> {
  static constexpr Oid oid = oid::time;
  static constexpr Oid array_oid = oid::time_array;
  static constexpr Format format = Format::binary;
  static std::int64_t microseconds(const std::chrono::hh_mm_ss<Duration>& value) {
    const std::int64_t us = detail::to_microseconds(value.to_duration());
    if (us < 0 || us > 86'400'000'000) detail::throw_out_of_range("a time of day must be within 00:00:00..24:00:00");
    return us;
  }
  static void encode(const std::chrono::hh_mm_ss<Duration>& value, std::string& out) {
    detail::append_be64(out, static_cast<std::uint64_t>(microseconds(value)));
  }
  static void to_text(const std::chrono::hh_mm_ss<Duration>& value, std::string& out) {
    detail::time_to_text(microseconds(value), out);
  }
  static std::chrono::hh_mm_ss<Duration> decode(const Field& field) {
    Duration d{};
    if (!detail::from_microseconds(detail::decode_time(field), d)) {
      field.fail("std::chrono::hh_mm_ss", "the time does not fit the duration without loss");
    }
    return std::chrono::hh_mm_ss<Duration>(d);
  }
};

template <>
struct Type<TimeTz> {
  static constexpr Oid oid = oid::timetz;
  static constexpr Oid array_oid = oid::timetz_array;
  static constexpr Format format = Format::binary;
  static void encode(const TimeTz& value, std::string& out) { detail::encode_timetz(value, out); }
  static void to_text(const TimeTz& value, std::string& out) { detail::timetz_to_text(value, out); }
  static TimeTz decode(const Field& field) { return detail::decode_timetz(field); }
};

template <>
struct Type<Interval> {
  static constexpr Oid oid = oid::interval;
  static constexpr Oid array_oid = oid::interval_array;
  static constexpr Format format = Format::binary;
  static void encode(const Interval& value, std::string& out) {
    detail::append_be64(out, static_cast<std::uint64_t>(value.microseconds));
    detail::append_be32(out, static_cast<std::uint32_t>(value.days));
    detail::append_be32(out, static_cast<std::uint32_t>(value.months));
  }
  static void to_text(const Interval& value, std::string& out) { detail::interval_to_text(value, out); }
  static Interval decode(const Field& field) { return detail::decode_interval(field); }
};

// A duration is an interval of microseconds. Reading one needs an interval without months (a day
// counts as 24 hours).
template <class Rep, class Period>
struct Type<std::chrono::duration<Rep, Period>> {
  using Duration = std::chrono::duration<Rep, Period>;
  static constexpr Oid oid = oid::interval;
  static constexpr Oid array_oid = oid::interval_array;
  static constexpr Format format = Format::binary;
  static void encode(const Duration& value, std::string& out) {
    Type<Interval>::encode(Interval{0, 0, detail::to_microseconds(value)}, out);
  }
  static void to_text(const Duration& value, std::string& out) {
    detail::interval_to_text(Interval{0, 0, detail::to_microseconds(value)}, out);
  }
  static Duration decode(const Field& field) {
    const Interval interval = detail::decode_interval(field);
    if (interval.months != 0) field.fail("std::chrono::duration", "the interval has months (read it as pgkit::Interval)");
    std::int64_t total = 0;
    Duration d{};
    if (__builtin_mul_overflow(static_cast<std::int64_t>(interval.days), std::int64_t{86'400'000'000}, &total) ||
        __builtin_add_overflow(total, interval.microseconds, &total) || !detail::from_microseconds(total, d)) {
      field.fail("std::chrono::duration", "the interval does not fit the duration without loss");
    }
    return d;
  }
};

}  // namespace pgkit
