// Boost.Describe integration:
//  - an enum described with BOOST_DESCRIBE_ENUM maps to a PostgreSQL enum (or text) by enumerator name;
//  - a struct described with BOOST_DESCRIBE_STRUCT is read from a row by column names
//    (row.as<Product>(), result.as_vector<Product>()).
#pragma once

#include <pgkit/types.hpp>

#include <boost/describe/enumerators.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/mp11/algorithm.hpp>

#include <string>
#include <string_view>
#include <type_traits>

namespace pgkit {
namespace detail {

template <class E>
concept described_enum = std::is_enum_v<E> && boost::describe::has_describe_enumerators<E>::value;

template <class T>
concept described_struct = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;

template <class T>
using described_fields = boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>;

[[noreturn]] void throw_unknown_enum_value(std::string_view type, std::string_view label);

}  // namespace detail

// Sent as text of unspecified type, so the server reads it as the enum type the context needs.
template <detail::described_enum E>
struct Type<E> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::unspecified;
  static constexpr Format format = Format::text;
  static void encode(E value, std::string& out) {
    bool found = false;
    boost::mp11::mp_for_each<boost::describe::describe_enumerators<E>>([&](auto d) {
      if (!found && d.value == value) {
        out += d.name;
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
      if (!found && label == d.name) {
        result = d.value;
        found = true;
      }
    });
    if (!found) field.fail("a described enum", "no enumerator has this name: " + std::string(label));
    return result;
  }
};

}  // namespace pgkit
