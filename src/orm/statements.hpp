// Building a model's statements (pgkit/orm/detail/statements.hpp), and the variants built on demand.
#pragma once

#include <pgkit/orm/detail/statements.hpp>
#include <pgkit/orm/model.hpp>

#include <cstdint>
#include <string>

namespace pgkit::orm::detail {

Statements build_statements(const TableMeta& meta);

// INSERT of insert_columns without the defaulted ones in `mask`; `with_key` adds the generated key
// column (insert_many gives keys it reserved), `returning` returns every column.
std::string insert_sql(const TableMeta& meta, const Statements& s, std::uint64_t mask, bool with_key, bool returning);

}  // namespace pgkit::orm::detail
