// The SQL text of a model's statements, built once when its metadata is (never per call), so that
// the driver's statement cache sees the same text every time and prepares it.
#pragma once

#include <pgkit/orm/model.hpp>

#include <string>
#include <vector>

namespace pgkit::orm::detail {

struct Statements {
  std::string table;                // the quoted (qualified) table name
  std::vector<std::string> quoted;  // each column's quoted name
  std::string select_list;          // every column, in TableMeta order
};

Statements build_statements(const TableMeta& meta);

}  // namespace pgkit::orm::detail
