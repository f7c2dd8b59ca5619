// Connection::type_info: types whose OIDs are known only at run time, looked up once per connection.
#include "connection_impl.hpp"

#include <pgkit/errors.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <tuple>

namespace pgkit {
namespace {

// One round trip for everything a TypeInfo holds. The name goes as a parameter through to_regtype,
// which resolves it as a type name would be in SQL (search_path, schema qualification, "int4[]").
constexpr std::string_view lookup_sql = R"(SELECT t.oid::int8, t.typarray::int8, t.typtype::text,
  pg_catalog.format_type(t.oid, NULL),
  ARRAY(SELECT a.attname::text FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
  ARRAY(SELECT a.atttypid::int8 FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
  ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
  COALESCE(NULLIF(t.typbasetype, 0), r.rngsubtype, mr.rngsubtype, 0)::int8
FROM pg_catalog.pg_type t
LEFT JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
LEFT JOIN pg_catalog.pg_range mr ON mr.rngmultitypid = t.oid
WHERE t.oid = pg_catalog.to_regtype($1))";

TypeKind kind_of(std::string_view typtype, std::string_view name) {
  if (typtype == "b") return TypeKind::base;
  if (typtype == "c") return TypeKind::composite;
  if (typtype == "d") return TypeKind::domain;
  if (typtype == "e") return TypeKind::enumeration;
  if (typtype == "p") return TypeKind::pseudo;
  if (typtype == "r") return TypeKind::range;
  if (typtype == "m") return TypeKind::multirange;
  throw InterfaceError(fmt::format("type {} has a kind pgkit does not know: typtype '{}'", name, typtype));
}

}  // namespace

std::size_t TypeInfo::field_index(std::string_view field) const {
  std::string names;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].name == field) return i;
    names += (i == 0 ? "" : ", ") + fields[i].name;
  }
  throw InterfaceError(fmt::format("type {} has no field \"{}\"; its fields are: {}", name, field,
                                   names.empty() ? "(none)" : names));
}

TypeInfo Connection::type_info(std::string_view name) {
  Impl& impl = live();
  if (const auto cached = impl.types.find(name); cached != impl.types.end()) return cached->second;
  if (name.empty()) throw InterfaceError("type_info needs a type name; it got an empty one");
  using Row = std::tuple<std::int64_t, std::int64_t, std::string, std::string, std::vector<std::string>,
                         std::vector<std::int64_t>, std::vector<std::string>, std::int64_t>;
  const std::string name_text(name);
  const auto rows = query<Row>(lookup_sql, name_text);
  if (rows.empty()) throw InterfaceError(fmt::format("there is no type named \"{}\"", name));
  const auto& [oid, array_oid, typtype, printed, field_names, field_types, labels, base] = rows.front();
  TypeInfo info;
  info.oid = static_cast<Oid>(oid);
  info.array_oid = static_cast<Oid>(array_oid);
  info.kind = kind_of(typtype, printed);
  info.name = printed;
  for (std::size_t i = 0; i < field_names.size() && i < field_types.size(); ++i) {
    info.fields.push_back({field_names[i], static_cast<Oid>(field_types[i])});
  }
  info.labels = labels;
  info.base_type = static_cast<Oid>(base);
  impl.types.emplace(name_text, info);
  return info;
}

void Connection::clear_type_cache() noexcept {
  if (impl_) impl_->types.clear();
}

std::size_t Connection::cached_type_count() const noexcept {
  return impl_ ? impl_->types.size() : 0;
}

}  // namespace pgkit
