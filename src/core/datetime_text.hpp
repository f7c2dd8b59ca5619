// Reading text-format dates, times and intervals as the server writes them under any DateStyle (ISO,
// SQL, Postgres, German; MDY, DMY, YMD), IntervalStyle (postgres, postgres_verbose, sql_standard,
// iso_8601) and TimeZone: the settings in force when the value's result was made travel with its
// Field. Hand-written scanners (no locale, no <regex>, no streams): under a non-default style every
// result of these types is read this way.
#pragma once

#include <pgkit/datetime.hpp>

#include <cstdint>
#include <string_view>

namespace pgkit::detail {

// Microseconds since the Unix epoch, or timestamp_(minus_)infinity.
std::int64_t timestamp_from_text(const Field& field, bool with_time_zone, std::string_view target);
// Days since the Unix epoch; infinite dates are a ConversionError.
std::int32_t date_from_text(const Field& field, std::string_view target);
// Microseconds since midnight, 0 to 24:00:00.
std::int64_t time_from_text(const Field& field, std::string_view target);
TimeTz timetz_from_text(const Field& field, std::string_view target);
Interval interval_from_text(const Field& field, std::string_view target);

}  // namespace pgkit::detail
