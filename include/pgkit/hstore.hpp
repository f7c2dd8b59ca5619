// hstore (the contrib extension: CREATE EXTENSION hstore) as std::map<std::string,
// std::optional<std::string>>, a NULL value as std::nullopt. Read from its text form ("a"=>"1",
// "b"=>NULL) and its binary form (hstore_send's); sent as text of unspecified type, so the context
// names the type (an hstore column, $1::hstore). hstore's OID differs per database:
// conn.type_info("hstore") gives it.
#pragma once

#include <pgkit/types.hpp>

#include <map>
#include <optional>
#include <string>

namespace pgkit {

using Hstore = std::map<std::string, std::optional<std::string>>;

namespace detail {
Hstore decode_hstore(const Field& field);
void encode_hstore(const Hstore& value, std::string& out);
}  // namespace detail

template <>
struct Type<Hstore> {
  static constexpr Oid oid = oid::unspecified;
  static constexpr Oid array_oid = oid::unspecified;
  static constexpr Format format = Format::text;
  static void encode(const Hstore& value, std::string& out) { detail::encode_hstore(value, out); }
  static Hstore decode(const Field& field) { return detail::decode_hstore(field); }
};

}  // namespace pgkit
