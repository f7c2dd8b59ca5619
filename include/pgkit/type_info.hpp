// What the server says about a type whose OID is only known at run time (enums, composites, domains,
// ranges, extension types such as hstore): Connection::type_info("name") looks it up once per
// connection and caches it (psycopg's TypeInfo.fetch).
//
//   pgkit::TypeInfo info = conn.type_info("inventory.item");  // schema-qualified or by search_path
//   info.oid; info.array_oid; info.kind == pgkit::TypeKind::composite; info.fields[0].name;
#pragma once

#include <pgkit/oid.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace pgkit {

// pg_type.typtype.
enum class TypeKind { base, composite, domain, enumeration, pseudo, range, multirange };

struct CompositeField {
  std::string name;
  Oid type = 0;
  friend bool operator==(const CompositeField&, const CompositeField&) = default;
};

struct TypeInfo {
  Oid oid = 0;
  Oid array_oid = 0;  // 0 when the type has no array type
  TypeKind kind = TypeKind::base;
  std::string name;  // as format_type prints it: schema-qualified unless on the search_path
  // Composites: their attributes in order (dropped ones left out, as the server's output leaves them).
  std::vector<CompositeField> fields;
  // Enums: their labels in sort order.
  std::vector<std::string> labels;
  // Domains: the type they constrain. Ranges and multiranges: the element (sub)type.
  Oid base_type = 0;

  // The position of the composite's field `name`; throws InterfaceError naming the fields there are.
  [[nodiscard]] std::size_t field_index(std::string_view field) const;
};

}  // namespace pgkit
