// Ranges and multiranges over the driver's scalar types: pgkit::Range<T>, pgkit::Multirange<T>.
//
//   T                                              range        multirange
//   int32_t                                        int4range    int4multirange
//   int64_t                                        int8range    int8multirange
//   pgkit::Decimal                                 numrange     nummultirange
//   std::chrono::sys_days, local_days, year_month_day  daterange   datemultirange
//   std::chrono::local_time<D>                     tsrange      tsmultirange
//   std::chrono::sys_time<D>                       tstzrange    tstzmultirange
//
//   pgkit::Range<int> seats(1, 10, "[]");
//   conn.exec("INSERT INTO bookings (seats) VALUES ($1)", seats);
//   auto stored = conn.query_value<pgkit::Range<int>>("SELECT seats FROM bookings");   // [1,11)
//
// Values are kept as given: the server canonicalises discrete ranges (int4range, int8range, daterange)
// to "[)" and normalises multiranges (sorted, merged, empty ranges dropped), so what comes back may be
// written differently from what was sent, and compares unequal with ==, which compares the parts.
#pragma once

#include <pgkit/types.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgkit {

namespace detail {
// Throws ConversionError: the bounds of a range are "[)", "[]", "()" or "(]".
[[noreturn]] void throw_bad_range_bounds(std::string_view bounds);
}  // namespace detail

template <class T>
class Range {
 public:
  // The empty range.
  Range() = default;
  // std::nullopt is an unbounded (infinite) side; an unbounded side is never inclusive, as on the
  // server. `bounds` says which sides include their bound: "[)" (the default), "[]", "()" or "(]".
  Range(std::optional<T> lower, std::optional<T> upper, std::string_view bounds = "[)")
      : empty_(false), lower_(std::move(lower)), upper_(std::move(upper)) {
    if (bounds.size() != 2 || (bounds[0] != '[' && bounds[0] != '(') || (bounds[1] != ']' && bounds[1] != ')')) {
      detail::throw_bad_range_bounds(bounds);
    }
    lower_inclusive_ = bounds[0] == '[' && lower_.has_value();
    upper_inclusive_ = bounds[1] == ']' && upper_.has_value();
  }
  static Range empty() { return Range(); }

  [[nodiscard]] bool is_empty() const noexcept { return empty_; }
  // std::nullopt when the side is unbounded (or the range is empty).
  [[nodiscard]] const std::optional<T>& lower() const noexcept { return lower_; }
  [[nodiscard]] const std::optional<T>& upper() const noexcept { return upper_; }
  [[nodiscard]] bool lower_inclusive() const noexcept { return lower_inclusive_; }
  [[nodiscard]] bool upper_inclusive() const noexcept { return upper_inclusive_; }
  [[nodiscard]] bool lower_infinite() const noexcept { return !empty_ && !lower_; }
  [[nodiscard]] bool upper_infinite() const noexcept { return !empty_ && !upper_; }

  friend bool operator==(const Range&, const Range&) = default;

 private:
  template <class, class>
  friend struct Type;
  Range(std::optional<T> lower, bool lower_inclusive, std::optional<T> upper, bool upper_inclusive)
      : empty_(false),
        lower_inclusive_(lower_inclusive && lower.has_value()),
        upper_inclusive_(upper_inclusive && upper.has_value()),
        lower_(std::move(lower)),
        upper_(std::move(upper)) {}

  bool empty_ = true;
  bool lower_inclusive_ = false;
  bool upper_inclusive_ = false;
  std::optional<T> lower_;
  std::optional<T> upper_;
};

// A multirange: ranges in the order given (the server returns them sorted and merged).
template <class T>
class Multirange {
 public:
  Multirange() = default;
  Multirange(std::initializer_list<Range<T>> ranges) : ranges_(ranges) {}
  explicit Multirange(std::vector<Range<T>> ranges) : ranges_(std::move(ranges)) {}

  [[nodiscard]] const std::vector<Range<T>>& ranges() const noexcept { return ranges_; }
  [[nodiscard]] std::size_t size() const noexcept { return ranges_.size(); }
  [[nodiscard]] bool empty() const noexcept { return ranges_.empty(); }
  [[nodiscard]] auto begin() const noexcept { return ranges_.begin(); }
  [[nodiscard]] auto end() const noexcept { return ranges_.end(); }

  friend bool operator==(const Multirange&, const Multirange&) = default;

 private:
  std::vector<Range<T>> ranges_;
};

namespace detail {

// The built-in range types, by element type.
struct RangeTypes {
  Oid element;
  Oid range;
  Oid range_array;
  Oid multirange;
  Oid multirange_array;
};
inline constexpr RangeTypes builtin_range_types[] = {
    {oid::int4, oid::int4range, oid::int4range_array, oid::int4multirange, oid::int4multirange_array},
    {oid::int8, oid::int8range, oid::int8range_array, oid::int8multirange, oid::int8multirange_array},
    {oid::numeric, oid::numrange, oid::numrange_array, oid::nummultirange, oid::nummultirange_array},
    {oid::date, oid::daterange, oid::daterange_array, oid::datemultirange, oid::datemultirange_array},
    {oid::timestamp, oid::tsrange, oid::tsrange_array, oid::tsmultirange, oid::tsmultirange_array},
    {oid::timestamptz, oid::tstzrange, oid::tstzrange_array, oid::tstzmultirange, oid::tstzmultirange_array},
};
// The built-in range types over `element`, or all unspecified.
constexpr RangeTypes range_types_over(Oid element) noexcept {
  for (const RangeTypes& types : builtin_range_types) {
    if (types.element == element) return types;
  }
  return {};
}

// The server's range flags (utils/rangetypes.h).
inline constexpr std::uint8_t range_empty = 0x01;
inline constexpr std::uint8_t range_lower_inclusive = 0x02;
inline constexpr std::uint8_t range_upper_inclusive = 0x04;
inline constexpr std::uint8_t range_lower_infinite = 0x08;
inline constexpr std::uint8_t range_upper_infinite = 0x10;

// One range value taken apart: its flags and its bounds, as Fields of the element type in the
// value's format (text bounds unescaped into `storage`). Not copyable: the Fields may point into it.
struct RangeParts {
  RangeParts() = default;
  RangeParts(const RangeParts&) = delete;
  RangeParts& operator=(const RangeParts&) = delete;
  std::uint8_t flags = 0;
  std::optional<Field> lower;
  std::optional<Field> upper;
  std::string storage;
};
// Parses a range of a built-in range type (or of no known type: an element of a text array), in
// either format. `target` names the C++ type for errors.
void parse_range(const Field& field, std::string_view target, RangeParts& out);
// The ranges of a multirange, as Fields of its range type in its format, viewing `field`'s bytes.
void parse_multirange(const Field& field, std::string_view target, std::vector<Field>& out);
// A bound's text in a range literal, quoted and escaped when needed (range_bound_escape).
void append_range_bound_text(std::string& out, std::string_view text);

template <class T>
void append_element_text(const T& value, std::string& out) {
  if constexpr (has_to_text<T>) {
    Type<T>::to_text(value, out);
  } else {
    Type<T>::encode(value, out);
  }
}

}  // namespace detail

template <class T>
struct Type<Range<T>> {
  static constexpr detail::RangeTypes types = detail::range_types_over(Type<T>::oid);
  static_assert(types.range != oid::unspecified,
                "PostgreSQL has no built-in range over this type: use int32_t, int64_t, pgkit::Decimal, a date or a "
                "timestamp type");
  static_assert(Type<T>::format == Format::binary);
  static constexpr Oid oid = types.range;
  static constexpr Oid array_oid = types.range_array;
  static constexpr Format format = Format::binary;

  static void encode(const Range<T>& value, std::string& out) {
    out.push_back(static_cast<char>(flags(value)));
    if (value.is_empty()) return;
    for (const std::optional<T>* bound : {&value.lower(), &value.upper()}) {
      if (!*bound) continue;
      const std::size_t at = out.size();
      detail::append_be32(out, 0);
      Type<T>::encode(**bound, out);
      const auto length = __builtin_bswap32(static_cast<std::uint32_t>(out.size() - at - 4));
      std::memcpy(out.data() + at, &length, 4);
    }
  }

  static void to_text(const Range<T>& value, std::string& out) {
    if (value.is_empty()) {
      out += "empty";
      return;
    }
    out.push_back(value.lower_inclusive() ? '[' : '(');
    std::string bound;
    if (value.lower()) {
      detail::append_element_text(*value.lower(), bound);
      detail::append_range_bound_text(out, bound);
    }
    out.push_back(',');
    if (value.upper()) {
      bound.clear();
      detail::append_element_text(*value.upper(), bound);
      detail::append_range_bound_text(out, bound);
    }
    out.push_back(value.upper_inclusive() ? ']' : ')');
  }

  static Range<T> decode(const Field& field) {
    detail::RangeParts parts;
    detail::parse_range(field, "pgkit::Range", parts);
    if ((parts.flags & detail::range_empty) != 0) return Range<T>();
    std::optional<T> lower;
    std::optional<T> upper;
    if (parts.lower) lower = parts.lower->template as<T>();
    if (parts.upper) upper = parts.upper->template as<T>();
    return Range<T>(std::move(lower), (parts.flags & detail::range_lower_inclusive) != 0, std::move(upper),
                    (parts.flags & detail::range_upper_inclusive) != 0);
  }

  static std::uint8_t flags(const Range<T>& value) {
    if (value.is_empty()) return detail::range_empty;
    std::uint8_t result = 0;
    if (!value.lower()) result |= detail::range_lower_infinite;
    if (!value.upper()) result |= detail::range_upper_infinite;
    if (value.lower_inclusive()) result |= detail::range_lower_inclusive;
    if (value.upper_inclusive()) result |= detail::range_upper_inclusive;
    return result;
  }
};

template <class T>
struct Type<Multirange<T>> {
  static constexpr detail::RangeTypes types = Type<Range<T>>::types;
  static constexpr Oid oid = types.multirange;
  static constexpr Oid array_oid = types.multirange_array;
  static constexpr Format format = Format::binary;

  static void encode(const Multirange<T>& value, std::string& out) {
    detail::append_be32(out, static_cast<std::uint32_t>(value.size()));
    for (const Range<T>& range : value) {
      const std::size_t at = out.size();
      detail::append_be32(out, 0);
      Type<Range<T>>::encode(range, out);
      const auto length = __builtin_bswap32(static_cast<std::uint32_t>(out.size() - at - 4));
      std::memcpy(out.data() + at, &length, 4);
    }
  }

  static void to_text(const Multirange<T>& value, std::string& out) {
    out.push_back('{');
    bool first = true;
    for (const Range<T>& range : value) {
      if (!std::exchange(first, false)) out.push_back(',');
      Type<Range<T>>::to_text(range, out);
    }
    out.push_back('}');
  }

  static Multirange<T> decode(const Field& field) {
    std::vector<Field> fields;
    detail::parse_multirange(field, "pgkit::Multirange", fields);
    std::vector<Range<T>> ranges;
    ranges.reserve(fields.size());
    for (const Field& range : fields) ranges.push_back(Type<Range<T>>::decode(range));
    return Multirange<T>(std::move(ranges));
  }
};

}  // namespace pgkit
