// check_schema: do the models still match the live database?
//
//   for (const auto& finding : pgkit::orm::check_schema<User, Post>(conn)) std::cerr << finding.message() << '\n';
//
// Reads pg_catalog (names are parameters, never pasted into SQL) and reports what would go wrong at run
// time: a table or column the model names and the database lacks, a column whose type the member cannot
// hold (an int32 member for a bigint column; an int64 member for an integer column is fine, and a
// std::string member holds any type's text), a nullable column read into a non-optional member (an
// UnexpectedNull waiting to happen), and a primary key, unique group or foreign key the model declares
// and the database does not enforce. The database may have more than the model (columns, constraints,
// indexes): models stay SQL-first friendly. Domains are compared through their base types.
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/orm/model.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit::orm {

enum class FindingKind : std::uint8_t {
  missing_table,
  missing_column,
  type_mismatch,        // the member's C++ type cannot hold every value of the column's type
  nullability,          // the column is nullable and the member is not std::optional
  missing_primary_key,  // no primary key (or unique index) on the model's key columns
  missing_unique,       // no unique constraint or unique index on a unique group's columns
  missing_foreign_key,  // no foreign key from these columns to the model's target table and columns
};

// "missing_table", "type_mismatch", ...
std::string_view to_string(FindingKind kind) noexcept;

struct SchemaFinding {
  std::string table;   // as the model names it ("public.users" or "users")
  std::string column;  // the column (or the columns, comma-separated, for keys); empty for a table
  FindingKind kind = FindingKind::missing_table;
  std::string model_says;     // e.g. "int32 (integer)", "NOT NULL (member is not std::optional)"
  std::string database_says;  // e.g. "bigint", "nullable", "no such column"
  // One line: `users.email: type_mismatch: model says int32 (integer), database says bigint`.
  [[nodiscard]] std::string message() const;
};

// The findings for the given models' metadata, in the order given (tables, then columns, then keys).
std::vector<SchemaFinding> check_schema(Connection& conn, const std::vector<const TableMeta*>& models);

template <class... Models>
std::vector<SchemaFinding> check_schema(Connection& conn) {
  static_assert(sizeof...(Models) >= 1, "check_schema<Models...>: name at least one model");
  return check_schema(conn, std::vector<const TableMeta*>{&meta<Models>()...});
}

}  // namespace pgkit::orm
