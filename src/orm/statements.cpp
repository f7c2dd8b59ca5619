#include "orm/statements.hpp"

#include <pgkit/sql.hpp>

namespace pgkit::orm::detail {

Statements build_statements(const TableMeta& meta) {
  Statements s;
  s.table = meta.schema.empty() ? sql::Identifier(meta.name).str() : sql::Identifier(meta.schema, meta.name).str();
  for (const auto& column : meta.columns) {
    s.quoted.push_back(sql::Identifier(column.name).str());
    if (!s.select_list.empty()) s.select_list += ", ";
    s.select_list += s.quoted.back();
  }
  return s;
}

}  // namespace pgkit::orm::detail
