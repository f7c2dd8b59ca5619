// Composite types and records: a struct described with BOOST_DESCRIBE_STRUCT reads from and writes to
// a PostgreSQL composite value, field by field in order; a std::tuple reads an anonymous record
// (SELECT ROW(1, 'a')). Include this header to get them (it brings Boost.Describe).
//
//   struct Item { std::string name; std::optional<int> qty; };   // CREATE TYPE item AS (name text, qty int)
//   BOOST_DESCRIBE_STRUCT(Item, (), (name, qty))
//   auto item = conn.query_value<std::tuple<Item>>("SELECT ('a', NULL)::item");         // or row[0].as<Item>()
//   conn.exec("INSERT INTO t (i, items) VALUES ($1, $2)", item, std::vector<Item>{item});
//   auto [n, s] = row["r"].as<std::tuple<int, std::string>>();                          // a record
//   pgkit::check_composite<Item>(conn.type_info("item"));   // names and count match the type's fields
//
// Both result formats are read: text (the record_out form, "(a,\"b c\",,)", a NULL field empty) and
// binary (the record_recv form: field count, then each field's type OID, length and bytes). Values are
// sent as text of unspecified type, so the server reads them as the composite type the context needs
// (a column, `$1::item`, `$1::item[]`); a context that does not name the type (SELECT $1) cannot.
// Members are matched by position: a value whose field count differs from the struct's member count
// is a ConversionError naming both; NULL fields need std::optional members.
#pragma once

#include <pgkit/describe.hpp>
#include <pgkit/type_info.hpp>
#include <pgkit/types.hpp>

#include <boost/mp11/algorithm.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace pgkit {

namespace detail {

// The fields of one composite or record value, as Fields of their own (binary: with each field's type
// OID; text: of unspecified type, in text format).
struct RecordFields {
  std::vector<Field> fields;
  std::string storage;  // the unescaped fields of a text-format value
};
// `members`: how many fields the reader expects, which tells "()" apart: no fields, or one NULL field.
void parse_record(const Field& field, std::size_t members, RecordFields& out);
[[noreturn]] void throw_record_width(const Field& field, std::size_t fields, std::size_t members,
                                     std::string_view member_names);
// Appends one field of a record literal: nothing for NULL, else the text, quoted where record_in needs.
void append_record_text_field(std::string& out, std::optional<std::string_view> text);
void check_composite_fields(const TypeInfo& info, std::span<const std::string_view> members);

template <class M>
void append_record_member(std::string& out, const M& value) {
  if constexpr (is_optional_v<M>) {
    if (!value) {
      append_record_text_field(out, std::nullopt);
    } else {
      append_record_member(out, *value);
    }
  } else {
    std::string text;
    if constexpr (Type<M>::format == Format::text) {
      Type<M>::encode(value, text);
    } else {
      Type<M>::to_text(value, text);
    }
    append_record_text_field(out, text);
  }
}

template <class T>
std::string member_names() {
  std::string names;
  boost::mp11::mp_for_each<described_fields<T>>([&](auto member) {
    if (!names.empty()) names += ", ";
    names += member.name;
  });
  return names;
}

}  // namespace detail

// Throws InterfaceError unless `info` is a composite type whose fields are T's members, same names, same
// order: a check to run once (say at start-up) where a mismatch would otherwise read fields into the
// wrong members.
template <detail::described_struct T>
void check_composite(const TypeInfo& info) {
  std::vector<std::string_view> names;
  boost::mp11::mp_for_each<detail::described_fields<T>>([&](auto member) { names.emplace_back(member.name); });
  detail::check_composite_fields(info, names);
}

template <detail::described_struct T>
struct Type<T> {
  static constexpr std::size_t members = boost::mp11::mp_size<detail::described_fields<T>>::value;
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::unspecified;
  static constexpr Format format = Format::text;

  static void encode(const T& value, std::string& out) {
    out.push_back('(');
    bool first = true;
    boost::mp11::mp_for_each<detail::described_fields<T>>([&](auto member) {
      if (!std::exchange(first, false)) out.push_back(',');
      detail::append_record_member(out, value.*member.pointer);
    });
    out.push_back(')');
  }
  static T decode(const Field& field) {
    detail::RecordFields record;
    detail::parse_record(field, members, record);
    if (record.fields.size() != members) {
      detail::throw_record_width(field, record.fields.size(), members, detail::member_names<T>());
    }
    T value{};
    std::size_t i = 0;
    boost::mp11::mp_for_each<detail::described_fields<T>>([&](auto member) {
      using Member = std::remove_cvref_t<decltype(value.*member.pointer)>;
      value.*member.pointer = record.fields[i++].template as<Member>();
    });
    return value;
  }
};

// An anonymous record (or any composite) as a tuple, by position.
template <class... Ts>
struct Type<std::tuple<Ts...>> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::unspecified;
  static constexpr Format format = Format::text;

  static void encode(const std::tuple<Ts...>& value, std::string& out) {
    out.push_back('(');
    bool first = true;
    std::apply(
        [&](const auto&... item) {
          ((out.append(std::exchange(first, false) ? "" : ","), detail::append_record_member(out, item)), ...);
        },
        value);
    out.push_back(')');
  }
  static std::tuple<Ts...> decode(const Field& field) {
    detail::RecordFields record;
    detail::parse_record(field, sizeof...(Ts), record);
    if (record.fields.size() != sizeof...(Ts)) {
      detail::throw_record_width(field, record.fields.size(), sizeof...(Ts), "a std::tuple");
    }
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<Ts...>(record.fields[I].template as<Ts>()...);
    }(std::index_sequence_for<Ts...>{});
  }
};

}  // namespace pgkit
