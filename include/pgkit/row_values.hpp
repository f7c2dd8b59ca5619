// The values of one row to send: a std::tuple (each element), a struct described with
// BOOST_DESCRIBE_STRUCT (each public member, in declaration order), or a single value. Bulk writers
// (execute_many, typed COPY) take ranges of any of these.
#pragma once

#include <pgkit/describe.hpp>

#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

namespace pgkit::detail {

template <class T>
struct is_std_tuple : std::false_type {};
template <class... Ts>
struct is_std_tuple<std::tuple<Ts...>> : std::true_type {};

// Calls f(value) for each value of `row`, in column order.
template <class Row, class F>
void for_each_row_value(const Row& row, F&& f) {
  if constexpr (is_std_tuple<Row>::value) {
    std::apply([&](const auto&... values) { (f(values), ...); }, row);
  } else if constexpr (described_struct<Row>) {
    boost::mp11::mp_for_each<described_fields<Row>>([&](auto member) { f(row.*member.pointer); });
  } else {
    f(row);
  }
}

// Values per row (known at compile time).
template <class Row>
constexpr std::size_t row_width() {
  if constexpr (is_std_tuple<Row>::value) {
    return std::tuple_size_v<Row>;
  } else if constexpr (described_struct<Row>) {
    return boost::mp11::mp_size<described_fields<Row>>::value;
  } else {
    return 1;
  }
}

// The member names of a described struct (empty for other rows): the default column list.
template <class Row>
std::vector<std::string_view> row_member_names() {
  std::vector<std::string_view> names;
  if constexpr (described_struct<Row>) {
    boost::mp11::mp_for_each<described_fields<Row>>([&](auto member) { names.emplace_back(member.name); });
  }
  return names;
}

}  // namespace pgkit::detail
