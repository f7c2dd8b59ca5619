// Boost.Describe integration:
//  - an enum described with BOOST_DESCRIBE_ENUM maps to a PostgreSQL enum (or text) by enumerator name,
//    or by the label pgkit::EnumLabels<E> gives it (labels need not be C++ identifiers);
//  - a struct described with BOOST_DESCRIBE_STRUCT is read from a row by column names
//    (row.as<Product>(), result.as_vector<Product>()).
#pragma once

#include <pgkit/result.hpp>
#include <pgkit/types.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/mp11/algorithm.hpp>

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace pgkit {

// Labels that differ from the enumerator names, for PostgreSQL labels that are not C++ identifiers
// (pagila's mpaa_rating has 'PG-13' and 'NC-17'). Enumerators not listed keep their names:
//
//   enum class MpaaRating { G, PG, PG_13, R, NC_17 };
//   BOOST_DESCRIBE_ENUM(MpaaRating, G, PG, PG_13, R, NC_17)
//   template <>
//   struct pgkit::EnumLabels<MpaaRating> {
//     static constexpr std::pair<MpaaRating, std::string_view> renamed[] = {
//         {MpaaRating::PG_13, "PG-13"}, {MpaaRating::NC_17, "NC-17"}};
//   };
//
// Two enumerators with the same label do not compile.
template <class E>
struct EnumLabels {};

namespace detail {

template <class E>
concept described_enum = std::is_enum_v<E> && boost::describe::has_describe_enumerators<E>::value;

template <class T>
concept described_struct = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;

template <class T>
using described_fields = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

[[noreturn]] void throw_unknown_enum_value(std::string_view type, std::string_view label);

template <class E>
concept renamed_enum = requires { EnumLabels<E>::renamed; };

// The PostgreSQL label of the enumerator `value` named `name`.
template <class E>
constexpr std::string_view enum_label(E value, std::string_view name) {
  if constexpr (renamed_enum<E>) {
    for (const auto& [enumerator, label] : EnumLabels<E>::renamed) {
      if (enumerator == value) return label;
    }
  }
  return name;
}

// Whether every enumerator has a label of its own (aliases of one value share theirs).
template <class E>
consteval bool enum_labels_are_distinct() {
  bool distinct = true;
  boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto a) {
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto b) {
      if (a.value != b.value && enum_label(a.value, a.name) == enum_label(b.value, b.name)) distinct = false;
    });
  });
  return distinct;
}

}  // namespace detail

// Sent as text of unspecified type, so the server reads it as the enum type the context needs.
template <detail::described_enum E>
struct Type<E> {
  static_assert(detail::enum_labels_are_distinct<E>(), "two enumerators have the same label (pgkit::EnumLabels)");
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::unspecified;
  static constexpr Format format = Format::text;
  static void encode(E value, std::string& out) {
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
      if (!found && d.value == value) {
        out += detail::enum_label(d.value, d.name);
        found = true;
      }
    });
    if (!found) detail::throw_unknown_enum_value("a described enum", std::to_string(static_cast<long long>(value)));
  }
  // An enum's binary form is its label, so both formats read the same.
  static E decode(const Field& field) {
    const std::string_view label = field.bytes();
    E result{};
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
      if (!found && label == detail::enum_label(d.value, d.name)) {
        result = d.value;
        found = true;
      }
    });
    if (!found) field.fail("a described enum", "no enumerator has this label: " + std::string(label));
    return result;
  }
};

namespace detail {

// A described struct read from a row by column names (row.as<T>(), result.as_vector<T>()).
template <described_struct T>
  requires(!is_tuple<T>::value)
struct RowReader<T> : ReaderBase<T, boost::mp11::mp_size<described_fields<T>>::value> {
  explicit RowReader(Columns columns) {
    std::size_t i = 0;
    boost::mp11::mp_for_each<described_fields<T>>(
        [&](auto member) { this->columns_[i++] = column_index(columns, member.name); });
  }
  explicit RowReader(const ResultData& data) : RowReader(columns_of(data)) {}
  template <std::size_t N>
  T make(const std::array<Field, N>& fields) const {
    T value{};
    std::size_t i = 0;
    boost::mp11::mp_for_each<described_fields<T>>([&](auto member) {
      using Member = std::remove_cvref_t<decltype(value.*member.pointer)>;
      value.*member.pointer = fields[i++].template as<Member>();
    });
    return value;
  }
};

}  // namespace detail

}  // namespace pgkit
