// Rendering typed filters: quoted column names from the model, values as numbered parameters.
#include <pgkit/orm/detail/statements.hpp>
#include <pgkit/orm/filter.hpp>

#include <fmt/format.h>

namespace pgkit::orm::detail {

namespace {

// Adds the leaf's next value to params and returns its placeholder.
std::string next_value(const FilterNode& node, std::size_t i, Params& params) {
  node.values.at(i)(params);
  return fmt::format("${}", params.size());
}

void render_group(const FilterNode& node, const char* separator, const TableMeta& meta, std::string& sql,
                  Params& params) {
  sql += '(';
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    if (i > 0) sql += separator;
    render_filter(node.children[i], meta, sql, params);
  }
  sql += ')';
}

}  // namespace

void check_count(const TableMeta& meta, const char* argument, std::int64_t value, bool positive) {
  if (value < 0 || (positive && value == 0)) {
    throw InterfaceError(
        fmt::format("{}: {} must be {} 0, got {}", meta.model, argument, positive ? ">" : ">=", value));
  }
}

void render_filter(const FilterNode& node, const TableMeta& meta, std::string& sql, Params& params) {
  using Kind = FilterNode::Kind;
  const auto column = [&] { return meta.statements->quoted[meta.column_of_member_index(node.member_index)]; };
  switch (node.kind) {
    case Kind::always:
      sql += "TRUE";
      return;
    case Kind::compare:
      sql += fmt::format("{} {} {}", column(), node.op, next_value(node, 0, params));
      return;
    case Kind::any:
      sql += fmt::format("{} = ANY({})", column(), next_value(node, 0, params));
      return;
    case Kind::is_null:
      sql += column() + " IS NULL";
      return;
    case Kind::is_not_null:
      sql += column() + " IS NOT NULL";
      return;
    case Kind::like:
      sql += fmt::format("{} LIKE {}", column(), next_value(node, 0, params));
      return;
    case Kind::ilike:
      sql += fmt::format("{} ILIKE {}", column(), next_value(node, 0, params));
      return;
    case Kind::between: {
      const std::string low = next_value(node, 0, params);
      sql += fmt::format("{} BETWEEN {} AND {}", column(), low, next_value(node, 1, params));
      return;
    }
    case Kind::all_of:
      render_group(node, " AND ", meta, sql, params);
      return;
    case Kind::any_of:
      render_group(node, " OR ", meta, sql, params);
      return;
    case Kind::negate:
      sql += "NOT ";
      render_group(node, "", meta, sql, params);
      return;
  }
}

}  // namespace pgkit::orm::detail
