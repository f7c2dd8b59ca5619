// Model metadata: what TableDef records, and the checks done once when meta<T>() first runs.
#include "orm/statements.hpp"

#include <pgkit/detail/type_table.hpp>
#include <pgkit/orm/model.hpp>
#include <pgkit/sql.hpp>

#include <boost/core/demangle.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace pgkit::orm {

const ColumnMeta* TableMeta::find_member(std::string_view member) const noexcept {
  for (const auto& column : columns) {
    if (column.member == member) return &column;
  }
  return nullptr;
}

std::size_t TableMeta::column_of_member(std::string_view member) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].member == member) return i;
  }
  throw ModelError(fmt::format("{}: member '{}' is not a column (not described, or a relation)", model, member));
}

std::size_t TableMeta::column_of_member_index(std::size_t member_index) const {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].member_index == member_index) return i;
  }
  throw ModelError(fmt::format("{}: described member #{} is not a column", model, member_index));
}

const RelationMeta& TableMeta::relation(std::string_view member) const {
  for (const auto& r : relations) {
    if (r.member == member) return r;
  }
  throw ModelError(fmt::format("{}: member '{}' is not a declared relation", model, member));
}

std::string TableMeta::display_name() const {
  return schema.empty() ? name : schema + "." + name;
}

namespace detail {

std::string type_display_name(const std::type_info& type) {
  return boost::core::demangle(type.name());
}

void throw_not_loaded(const char* label, const std::type_info& target, std::string_view wrapper) {
  if (label != nullptr) throw NotLoaded(label);
  // An object the program made itself: only the wrapper knows what it holds.
  throw NotLoaded(fmt::format("a {}<{}> relation", wrapper, type_display_name(target)));
}

std::size_t find_member(const MemberTable& table, std::size_t offset, const std::type_info& model) {
  for (std::size_t i = 0; i < table.members.size(); ++i) {
    if (table.members[i].offset == offset) return i;
  }
  const std::string name = type_display_name(model);
  throw ModelError(fmt::format(
      "{}: Model<{}>::define, a filter or an ordering names a member that BOOST_DESCRIBE_STRUCT does not list", name,
      name));
}

namespace {

std::vector<std::size_t> columns_of(const TableMeta& meta, const std::vector<std::size_t>& member_indexes) {
  std::vector<std::size_t> columns;
  columns.reserve(member_indexes.size());
  for (const std::size_t index : member_indexes) columns.push_back(meta.column_of_member_index(index));
  return columns;
}

// A name the server will accept as an identifier; otherwise a ModelError saying whose it is.
void check_name(const TableMeta& meta, std::string_view what, std::string_view name) {
  try {
    (void)sql::Identifier(name);
  } catch (const InterfaceError& e) {
    throw ModelError(fmt::format("{}: {} '{}' is not a valid identifier: {}", meta.model, what, name, e.what()));
  }
}

std::string sql_type_of(const TableMeta& meta, const ColumnMeta& column) {
  if (column.type_given) return column.sql_type;
  if (column.is_text) return "text";
  if (column.type != oid::unspecified) {
    if (const auto* row = pgkit::detail::builtin_type(column.type)) return std::string(row->sql_name);
  }
  throw ModelError(
      fmt::format("{}::{}: its C++ type has no built-in SQL type (an enum, a composite?); declare it with "
                  "t.column(&{}::{}).type(\"...\")",
                  meta.model, column.member, meta.model, column.member));
}

void check_generated(const TableMeta& meta, const ColumnMeta& column) {
  switch (column.generated) {
    case Generated::none:
      return;
    case Generated::identity:
    case Generated::serial:
      if (!column.is_integer) {
        throw ModelError(
            fmt::format("{}::{}: an identity or serial key must be an integer member", meta.model, column.member));
      }
      return;
    case Generated::uuid:
      if (column.type != oid::uuid) {
        throw ModelError(fmt::format("{}::{}: a uuid key must be a pgkit::Uuid member", meta.model, column.member));
      }
      return;
  }
}

void check_columns(TableMeta& meta) {
  std::set<std::string, std::less<>> names;
  for (auto& column : meta.columns) {
    check_name(meta, "column of member " + column.member, column.name);
    if (!names.insert(column.name).second) {
      throw ModelError(fmt::format("{}::{}: column name '{}' is used twice", meta.model, column.member, column.name));
    }
    column.sql_type = sql_type_of(meta, column);
    check_generated(meta, column);
  }
}

void check_keys(const TableMeta& meta) {
  if (meta.primary_key.empty()) {
    throw ModelError(
        fmt::format("{}: no primary key: call t.primary_key(...) in Model<{}>::define", meta.model, meta.model));
  }
  for (const std::size_t column : meta.primary_key) {
    if (meta.columns[column].nullable) {
      throw ModelError(fmt::format("{}::{}: a primary key column cannot be a std::optional", meta.model,
                                   meta.columns[column].member));
    }
  }
  if (meta.version) {
    const auto& column = meta.columns[*meta.version];
    if (std::ranges::find(meta.primary_key, *meta.version) != meta.primary_key.end()) {
      throw ModelError(
          fmt::format("{}::{}: the version column cannot be part of the primary key", meta.model, column.member));
    }
  }
  for (const auto& unique : meta.uniques) {
    if (!unique.name.empty()) check_name(meta, "unique constraint", unique.name);
  }
  for (const auto& check : meta.checks) check_name(meta, "check constraint", check.name);
  for (const auto& fk : meta.foreign_keys) {
    if (!fk.name.empty()) check_name(meta, "foreign key", fk.name);
  }
  for (const auto& index : meta.indexes) {
    if (!index.name.empty()) check_name(meta, "index", index.name);
  }
}

}  // namespace

void set_table(TableMeta& meta, std::string_view schema, std::string_view name) {
  meta.schema = std::string(schema);
  meta.name = std::string(name);
}

void set_primary_key(TableMeta& meta, const std::vector<std::size_t>& member_indexes) {
  if (!meta.primary_key.empty()) throw ModelError(fmt::format("{}: primary_key() declared twice", meta.model));
  meta.primary_key = columns_of(meta, member_indexes);
}

void add_unique(TableMeta& meta, std::string_view name, const std::vector<std::size_t>& member_indexes) {
  meta.uniques.push_back({std::string(name), columns_of(meta, member_indexes)});
}

void add_index(TableMeta& meta, const std::vector<std::size_t>& member_indexes) {
  meta.indexes.push_back({{}, columns_of(meta, member_indexes), false});
}

void add_check(TableMeta& meta, std::string_view name, std::string_view expression) {
  if (expression.empty()) throw ModelError(fmt::format("{}: check '{}' has no expression", meta.model, name));
  meta.checks.push_back({std::string(name), std::string(expression)});
}

void set_version(TableMeta& meta, std::size_t member_index) {
  meta.version = meta.column_of_member_index(member_index);
}

void add_foreign_key(TableMeta& meta, const std::vector<std::size_t>& member_indexes, MetaGetter target,
                     std::vector<std::string> target_members) {
  ForeignKeyMeta fk;
  fk.columns = columns_of(meta, member_indexes);
  fk.target = target;
  fk.target_members = std::move(target_members);
  meta.foreign_keys.push_back(std::move(fk));
}

void add_relation(TableMeta& meta, RelationMeta relation) {
  for (const auto& existing : meta.relations) {
    if (existing.member == relation.member) {
      throw ModelError(fmt::format("{}::{}: relation declared twice", meta.model, relation.member));
    }
  }
  relation.label = meta.model + "::" + relation.member;
  meta.relations.push_back(std::move(relation));
}

TableMeta finish_meta(TableMeta meta) {
  if (meta.name.empty()) {
    throw ModelError(
        fmt::format("{}: no table name: call t.table(\"...\") in Model<{}>::define", meta.model, meta.model));
  }
  check_name(meta, "table name", meta.name);
  if (!meta.schema.empty()) check_name(meta, "schema", meta.schema);
  check_columns(meta);
  check_keys(meta);
  meta.statements = std::make_shared<const Statements>(build_statements(meta));
  return meta;
}

}  // namespace detail

ColumnDef& ColumnDef::name(std::string_view name) {
  meta_.columns[column_].name = std::string(name);
  return *this;
}

ColumnDef& ColumnDef::type(std::string_view sql_type) {
  if (sql_type.empty())
    throw ModelError(fmt::format("{}::{}: empty type()", meta_.model, meta_.columns[column_].member));
  meta_.columns[column_].sql_type = std::string(sql_type);
  meta_.columns[column_].type_given = true;
  return *this;
}

ColumnDef& ColumnDef::server_default(std::string_view expression) {
  meta_.columns[column_].server_default = std::string(expression);
  return *this;
}

KeyDef& KeyDef::generated(Generated kind) {
  if (meta_.primary_key.size() != 1 && kind != Generated::none) {
    throw ModelError(fmt::format("{}: only a single-column primary key can be generated", meta_.model));
  }
  for (const std::size_t column : meta_.primary_key) meta_.columns[column].generated = kind;
  return *this;
}

IndexDef& IndexDef::name(std::string_view name) {
  meta_.indexes[index_].name = std::string(name);
  return *this;
}

IndexDef& IndexDef::unique() {
  meta_.indexes[index_].unique = true;
  return *this;
}

ForeignKeyDef& ForeignKeyDef::on_delete(OnDelete action) {
  meta_.foreign_keys[index_].on_delete = action;
  return *this;
}

ForeignKeyDef& ForeignKeyDef::name(std::string_view name) {
  meta_.foreign_keys[index_].name = std::string(name);
  return *this;
}

}  // namespace pgkit::orm
