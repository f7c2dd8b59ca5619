// check_schema: the models' metadata beside pg_catalog. Every name goes to the server as a parameter.
#include <pgkit/detail/type_table.hpp>
#include <pgkit/orm/schema_check.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>
#include <tuple>

namespace pgkit::orm {
namespace {

// The relation the model names: its schema when given, else the one search_path finds first.
constexpr const char* table_sql =
    "SELECT c.oid::pg_catalog.int8 FROM pg_catalog.pg_class c "
    "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
    "AND CASE WHEN $2 = '' THEN pg_catalog.pg_table_is_visible(c.oid) ELSE n.nspname = $2 END";

// Each column with its type as declared and the type under its domains (a domain reads as its base).
constexpr const char* columns_sql =
    "SELECT a.attname::pg_catalog.text, NOT a.attnotnull, pg_catalog.format_type(a.atttypid, a.atttypmod), "
    "b.oid::pg_catalog.int8, b.typtype::pg_catalog.text, "
    "pg_catalog.format_type(b.oid, NULL), e.typtype::pg_catalog.text "
    "FROM pg_catalog.pg_attribute a "
    "CROSS JOIN LATERAL (WITH RECURSIVE d AS ("
    "  SELECT t.oid, t.typtype, t.typbasetype FROM pg_catalog.pg_type t WHERE t.oid = a.atttypid "
    "  UNION ALL SELECT t.oid, t.typtype, t.typbasetype FROM pg_catalog.pg_type t JOIN d ON t.oid = d.typbasetype "
    "  WHERE d.typtype = 'd') SELECT d.oid, d.typtype FROM d WHERE d.typtype <> 'd') b "
    "JOIN pg_catalog.pg_type bt ON bt.oid = b.oid "
    "LEFT JOIN pg_catalog.pg_type e ON e.oid = bt.typelem AND bt.typlen = -1 "
    "WHERE a.attrelid = ($1::pg_catalog.int8)::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped";

// Unique indexes (primary keys and unique constraints have one) over plain columns, without a predicate.
constexpr const char* uniques_sql =
    "SELECT i.indisprimary, ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) k "
    "JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k ORDER BY 1) "
    "FROM pg_catalog.pg_index i WHERE i.indrelid = ($1::pg_catalog.int8)::pg_catalog.oid AND i.indisunique "
    "AND i.indpred IS NULL AND i.indexprs IS NULL";

// Foreign keys: their columns (in order), the referenced table and its columns (in the same order).
constexpr const char* foreign_keys_sql =
    "SELECT ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.unnest(c.conkey) WITH ORDINALITY k(n, o) "
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o), "
    "tn.nspname::pg_catalog.text, tc.relname::pg_catalog.text, "
    "ARRAY(SELECT a.attname::pg_catalog.text FROM pg_catalog.unnest(c.confkey) WITH ORDINALITY k(n, o) "
    "  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) "
    "FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class tc ON tc.oid = c.confrelid "
    "JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace "
    "WHERE c.conrelid = ($1::pg_catalog.int8)::pg_catalog.oid AND c.contype = 'f'";

struct DbColumn {
  bool nullable = false;
  std::string declared;  // format_type of the column's own type (a domain's name)
  Oid base = 0;          // the type under any domains
  std::string base_kind;  // pg_type.typtype: b base, e enum, c composite, r range, ...
  std::string base_name;
  std::optional<std::string> element_kind;  // an array's element's typtype
};

struct DbForeignKey {
  std::vector<std::string> columns;
  std::string target_schema;
  std::string target_table;
  std::vector<std::string> target_columns;
};

// Integer and floating widths: a member holds a column of its own kind that is no wider.
int integer_rank(Oid type) {
  if (type == oid::int2) return 1;
  if (type == oid::int4) return 2;
  if (type == oid::int8) return 3;
  return 0;
}

bool scalar_holds(Oid member, Oid column) {
  if (member == column) return true;
  const int member_rank = integer_rank(member);
  const int column_rank = integer_rank(column);
  if (member_rank > 0) return column_rank > 0 && column_rank <= member_rank;
  if (member == oid::float8) return column == oid::float4 || column_rank == 1 || column_rank == 2;
  if (member == oid::numeric) return column_rank > 0;
  if (member == oid::jsonb) return column == oid::json;
  if (member == oid::json) return column == oid::jsonb;
  return false;
}

// Whether a member of the column's C++ type reads every value of the column's (base) type.
bool member_holds(const ColumnMeta& member, const DbColumn& column) {
  if (member.is_text) return true;  // every type reads as its text
  if (member.type == oid::unspecified) {
    // Enums and other text-format types the driver leaves to the server: an enum or text column.
    return column.base_kind == "e" || column.base == oid::text || column.base == oid::varchar ||
           pgkit::detail::builtin_type(column.base) == nullptr;
  }
  if (scalar_holds(member.type, column.base)) return true;
  const auto* member_row = pgkit::detail::builtin_type(member.type);
  const auto* column_row = pgkit::detail::builtin_type(column.base);
  if (member_row == nullptr || !member_row->is_array() || column_row == nullptr || !column_row->is_array()) {
    // An array of a user type (enum[]) read into std::vector<std::string>.
    return member.type == oid::text_array && column.element_kind.has_value();
  }
  return member_row->element == oid::text || scalar_holds(member_row->element, column_row->element);
}

std::string model_type(const ColumnMeta& member) {
  if (member.is_text) return "std::string";
  if (member.type == oid::unspecified) return "an enum or text-format type";
  return type_name(member.type);
}

std::string join(const std::vector<std::string>& names) { return fmt::format("{}", fmt::join(names, ", ")); }

std::vector<std::string> column_names(const TableMeta& meta, const std::vector<std::size_t>& indexes) {
  std::vector<std::string> names;
  for (const auto i : indexes) names.push_back(meta.columns.at(i).name);
  return names;
}

class Checker {
 public:
  Checker(Connection& conn, const TableMeta& meta, std::vector<SchemaFinding>& findings)
      : conn_(conn), meta_(meta), findings_(findings) {}

  void run() {
    const auto table = conn_.query_optional<std::int64_t>(table_sql, meta_.name, meta_.schema);
    if (!table) {
      add("", FindingKind::missing_table, "a table", "no such table or view");
      return;
    }
    table_ = *table;
    check_columns();
    check_keys();
    check_foreign_keys();
  }

 private:
  void add(std::string column, FindingKind kind, std::string model, std::string database) {
    findings_.push_back({meta_.display_name(), std::move(column), kind, std::move(model), std::move(database)});
  }

  void check_columns() {
    using ColumnRow = std::tuple<std::string, bool, std::string, std::int64_t, std::string, std::string,
                                 std::optional<std::string>>;
    for (auto& [name, nullable, declared, base, kind, base_name, element] :
         conn_.query<ColumnRow>(columns_sql, table_)) {
      columns_[name] = {nullable, declared, static_cast<Oid>(base), kind, base_name, element};
    }
    for (const auto& member : meta_.columns) {
      const auto found = columns_.find(member.name);
      if (found == columns_.end()) {
        add(member.name, FindingKind::missing_column, fmt::format("member {} ({})", member.member, model_type(member)),
            "no such column");
        continue;
      }
      const DbColumn& column = found->second;
      if (!member_holds(member, column)) {
        const std::string database =
            column.declared == column.base_name ? column.declared : fmt::format("{} (over {})", column.declared, column.base_name);
        add(member.name, FindingKind::type_mismatch, fmt::format("member {} reads {}", member.member, model_type(member)),
            database);
      }
      if (column.nullable && !member.nullable) {
        add(member.name, FindingKind::nullability,
            fmt::format("member {} is not std::optional: a NULL raises UnexpectedNull", member.member), "nullable");
      }
    }
  }

  void check_keys() {
    std::vector<std::pair<bool, std::vector<std::string>>> uniques;
    for (auto& [primary, columns] : conn_.query<bool, std::vector<std::string>>(uniques_sql, table_)) {
      uniques.emplace_back(primary, std::move(columns));
    }
    const auto enforced = [&](std::vector<std::string> columns) {
      std::sort(columns.begin(), columns.end());
      return std::any_of(uniques.begin(), uniques.end(), [&](const auto& u) { return u.second == columns; });
    };
    if (!meta_.primary_key.empty()) {
      const auto key = column_names(meta_, meta_.primary_key);
      if (!enforced(key)) {
        add(join(key), FindingKind::missing_primary_key, fmt::format("primary key ({})", join(key)),
            "no primary key or unique index on these columns");
      }
    }
    for (const auto& unique : meta_.uniques) {
      const auto columns = column_names(meta_, unique.columns);
      if (!enforced(columns)) {
        add(join(columns), FindingKind::missing_unique,
            unique.name.empty() ? fmt::format("unique ({})", join(columns))
                                : fmt::format("unique {} ({})", unique.name, join(columns)),
            "no unique constraint or index on these columns");
      }
    }
  }

  void check_foreign_keys() {
    if (meta_.foreign_keys.empty()) return;
    std::vector<DbForeignKey> existing;
    for (auto& [columns, schema, table, targets] :
         conn_.query<std::vector<std::string>, std::string, std::string, std::vector<std::string>>(foreign_keys_sql,
                                                                                                   table_)) {
      existing.push_back({std::move(columns), std::move(schema), std::move(table), std::move(targets)});
    }
    for (const auto& key : meta_.foreign_keys) {
      const TableMeta& target = key.target();
      const auto columns = column_names(meta_, key.columns);
      std::vector<std::string> target_columns;
      for (const auto& member : key.target_members) target_columns.push_back(target.columns.at(target.column_of_member(member)).name);
      const bool found = std::any_of(existing.begin(), existing.end(), [&](const DbForeignKey& fk) {
        return fk.columns == columns && fk.target_columns == target_columns && fk.target_table == target.name &&
               (target.schema.empty() || fk.target_schema == target.schema);
      });
      if (!found) {
        add(join(columns), FindingKind::missing_foreign_key,
            fmt::format("foreign key ({}) references {} ({})", join(columns), target.display_name(), join(target_columns)),
            "no such foreign key");
      }
    }
  }

  Connection& conn_;
  const TableMeta& meta_;
  std::vector<SchemaFinding>& findings_;
  std::int64_t table_ = 0;
  std::map<std::string, DbColumn> columns_;
};

}  // namespace

std::string_view to_string(FindingKind kind) noexcept {
  switch (kind) {
    case FindingKind::missing_table: return "missing_table";
    case FindingKind::missing_column: return "missing_column";
    case FindingKind::type_mismatch: return "type_mismatch";
    case FindingKind::nullability: return "nullability";
    case FindingKind::missing_primary_key: return "missing_primary_key";
    case FindingKind::missing_unique: return "missing_unique";
    case FindingKind::missing_foreign_key: return "missing_foreign_key";
  }
  return "unknown";
}

std::string SchemaFinding::message() const {
  const std::string where = column.empty() ? table : fmt::format("{}.{}", table, column);
  return fmt::format("{}: {}: model says {}, database says {}", where, to_string(kind), model_says, database_says);
}

std::vector<SchemaFinding> check_schema(Connection& conn, const std::vector<const TableMeta*>& models) {
  std::vector<SchemaFinding> findings;
  for (const TableMeta* model : models) {
    if (model == nullptr) throw InterfaceError("check_schema: a model's metadata is null");
    Checker(conn, *model, findings).run();
  }
  return findings;
}

}  // namespace pgkit::orm
