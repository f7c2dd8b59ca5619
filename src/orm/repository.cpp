// The non-template half of Repository<T>: statement text that depends on the call (filters, orderings,
// changes, upserts), and errors told in the model's terms.
#include <pgkit/orm/repository.hpp>

#include "orm/statements.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pgkit::orm::detail {

const Statements& statements(const TableMeta& meta) { return *meta.statements; }

const char* relation_label(const TableMeta& meta, std::size_t member_index) noexcept {
  for (const auto& relation : meta.relations) {
    if (relation.member_index == member_index) return relation.label.c_str();
  }
  return nullptr;
}

namespace {

// "User::email (column "email")" for each column name in `names` (a server message's list).
std::string members_of_columns(const TableMeta& meta, std::string_view names) {
  std::string out;
  while (!names.empty()) {
    const auto comma = names.find(", ");
    std::string_view name = names.substr(0, comma);
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    for (const auto& column : meta.columns) {
      if (column.name == name) {
        if (!out.empty()) out += ", ";
        out += fmt::format("{}::{} (column \"{}\")", meta.model, column.member, column.name);
      }
    }
    names = comma == std::string_view::npos ? std::string_view() : names.substr(comma + 2);
  }
  return out;
}

[[noreturn]] void rethrow_unique(const UniqueViolation& e, const TableMeta& meta) {
  // The server's detail reads "Key (a, b)=(...) already exists."; its column list names the members.
  const std::string& detail = e.diagnostics().detail;
  std::string members;
  if (detail.starts_with("Key (")) {
    const auto end = detail.find(")=(");
    if (end != std::string::npos) members = members_of_columns(meta, std::string_view(detail).substr(5, end - 5));
  }
  const std::string what = fmt::format("{} [model {}, {}, constraint \"{}\"]", e.what(), meta.model,
                                       members.empty() ? "member unknown" : members, e.diagnostics().constraint_name);
  throw UniqueViolation(what, std::make_shared<const Diagnostics>(e.diagnostics()));
}

[[noreturn]] void rethrow_undefined_column(const UndefinedColumn& e, const TableMeta& meta) {
  std::string members;
  const std::string_view message = e.diagnostics().message_primary;
  for (const auto& column : meta.columns) {
    if (message.find("\"" + column.name + "\"") != std::string_view::npos ||
        message.find("." + column.name + " ") != std::string_view::npos) {
      members = fmt::format("member {}::{} is mapped to column \"{}\", which table {} lacks", meta.model, column.member,
                            column.name, meta.display_name());
    }
  }
  const std::string what = fmt::format("{} [model {}: {}; check_schema compares models with the database]", e.what(),
                                       meta.model, members.empty() ? "the model and the table disagree" : members);
  throw UndefinedColumn(what, std::make_shared<const Diagnostics>(e.diagnostics()));
}

void append_order(const TableMeta& meta, const std::vector<OrderTerm>& order, std::string& sql) {
  if (order.empty()) return;
  sql += " ORDER BY ";
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += statements(meta).quoted[meta.column_of_member_index(order[i].member_index)];
    sql += order[i].direction == Direction::desc ? " DESC" : "";
  }
}

}  // namespace

void rethrow_with_model(const TableMeta& meta) {
  try {
    throw;
  } catch (const UniqueViolation& e) {
    rethrow_unique(e, meta);
  } catch (const UndefinedColumn& e) {
    rethrow_undefined_column(e, meta);
  }
}

std::vector<std::size_t> result_columns(const Result& result, const TableMeta& meta) {
  std::vector<std::size_t> columns;
  columns.reserve(meta.columns.size());
  for (const auto& column : meta.columns) {
    const auto found = result.find_column(column.name);
    if (!found) {
      std::string present;
      for (std::size_t i = 0; i < result.columns(); ++i) present += (i ? ", " : "") + std::string(result.column_name(i));
      throw ModelError(fmt::format("{}::{}: the result has no column \"{}\" (it has: {})", meta.model, column.member,
                                   column.name, present));
    }
    columns.push_back(*found);
  }
  return columns;
}

void check_key_count(const TableMeta& meta, std::size_t given) {
  if (given != meta.primary_key.size()) {
    throw InterfaceError(fmt::format("{}: a key has {} value(s) (the primary key's columns), {} given", meta.model,
                                     meta.primary_key.size(), given));
  }
}

void check_result_width(const Result& result, const TableMeta& meta) {
  if (result.data() != nullptr && result.columns() != meta.columns.size()) {
    throw ModelError(fmt::format("{}: a result of {} columns for {} model columns", meta.model, result.columns(),
                                 meta.columns.size()));
  }
}

std::string select_sql(const TableMeta& meta, SelectKind kind, const FilterNode& where, const std::vector<OrderTerm>& order,
                       std::optional<std::int64_t> limit, std::int64_t offset, Params& params) {
  const Statements& s = statements(meta);
  std::string sql;
  switch (kind) {
    case SelectKind::rows: sql = s.select_from; break;
    case SelectKind::count: sql = s.count; break;
    case SelectKind::exists: sql = "SELECT EXISTS (SELECT FROM " + s.table; break;
    case SelectKind::remove: sql = "DELETE FROM " + s.table; break;
  }
  if (where.kind != FilterNode::Kind::always) {
    sql += " WHERE ";
    render_filter(where, meta, sql, params);
  }
  if (kind == SelectKind::exists) sql += ")";
  append_order(meta, order, sql);
  if (limit) {
    params.add(*limit);
    sql += fmt::format(" LIMIT ${}", params.size());
  }
  if (offset != 0) {
    params.add(offset);
    sql += fmt::format(" OFFSET ${}", params.size());
  }
  return sql;
}

std::string partial_update_sql(const TableMeta& meta, const std::vector<std::size_t>& member_indexes) {
  const Statements& s = statements(meta);
  std::string sets;
  int number = 1;
  for (const std::size_t member : member_indexes) {
    const std::size_t column = meta.column_of_member_index(member);
    if (std::ranges::find(meta.primary_key, column) != meta.primary_key.end() || meta.version == column) {
      throw InterfaceError(fmt::format("{}::{}: a key or version column cannot be changed by update(key, ...)",
                                       meta.model, meta.columns[column].member));
    }
    if (!sets.empty()) sets += ", ";
    sets += fmt::format("{} = ${}", s.quoted[column], number++);
  }
  if (meta.version) sets += fmt::format(", {0} = {0} + 1", s.quoted[*meta.version]);
  std::string match;
  for (std::size_t i = 0; i < meta.primary_key.size(); ++i) {
    if (i > 0) match += " AND ";
    match += fmt::format("{} = ${}", s.quoted[meta.primary_key[i]], number++);
  }
  return fmt::format("UPDATE {} SET {} WHERE {} RETURNING {}", s.table, sets, match, s.select_list);
}

std::string upsert_sql(const TableMeta& meta, const Upsert& upsert, std::uint64_t mask, bool with_key) {
  const Statements& s = statements(meta);
  std::string sql = insert_sql(meta, s, mask, with_key, false);
  std::vector<std::size_t> target = meta.primary_key;
  if (upsert.unique.empty()) {
    sql += " ON CONFLICT (" + s.key_list + ")";
  } else {
    const auto group = std::ranges::find_if(meta.uniques, [&](const UniqueMeta& u) { return u.name == upsert.unique; });
    if (group == meta.uniques.end()) {
      throw InterfaceError(fmt::format("{}: no unique group named '{}' (declare it with t.unique_named)", meta.model,
                                       upsert.unique));
    }
    target = group->columns;
    sql += " ON CONFLICT ON CONSTRAINT " + sql::Identifier(upsert.unique).str();
  }
  if (upsert.do_nothing) return sql + " DO NOTHING RETURNING " + s.select_list;
  std::string sets;
  for (std::size_t c = 0; c < meta.columns.size(); ++c) {
    const bool inserted = std::ranges::find(s.insert_columns, c) != s.insert_columns.end();
    const bool skip = std::ranges::find(target, c) != target.end() ||
                      std::ranges::find(meta.primary_key, c) != meta.primary_key.end() || meta.version == c;
    if (!inserted || skip) continue;
    const auto d = std::ranges::find(s.defaulted, c);
    if (d != s.defaulted.end() && (mask >> (d - s.defaulted.begin()) & 1U) != 0) continue;  // left to the server
    if (!sets.empty()) sets += ", ";
    sets += fmt::format("{0} = EXCLUDED.{0}", s.quoted[c]);
  }
  if (meta.version) sets += fmt::format("{1}{0} = {2}.{0} + 1", s.quoted[*meta.version], sets.empty() ? "" : ", ", s.table);
  if (sets.empty()) return sql + " DO NOTHING RETURNING " + s.select_list;
  return sql + " DO UPDATE SET " + sets + " RETURNING " + s.select_list;
}

std::string page_sql(const TableMeta& meta, const FilterNode& where, const std::vector<OrderTerm>& order, bool after,
                     Params& params, std::vector<std::size_t>& order_columns) {
  const Statements& s = statements(meta);
  const Direction direction = order.empty() ? Direction::asc : order.front().direction;
  std::vector<OrderTerm> terms;
  for (const auto& term : order) {
    if (term.direction != direction) {
      throw InterfaceError(meta.model + ": keyset pages need one direction for every ordering column");
    }
    order_columns.push_back(meta.column_of_member_index(term.member_index));
    terms.push_back(term);
  }
  // The key breaks ties, so that no row is skipped or repeated across pages.
  for (const std::size_t k : meta.primary_key) {
    if (std::ranges::find(order_columns, k) != order_columns.end()) continue;
    order_columns.push_back(k);
    terms.push_back({meta.columns[k].member_index, direction});
  }
  std::string sql = s.select_from;
  std::string condition;
  if (where.kind != FilterNode::Kind::always) render_filter(where, meta, condition, params);
  if (after) {
    std::string list;
    std::string values;
    int number = static_cast<int>(params.size()) + 1;
    for (std::size_t i = 0; i < order_columns.size(); ++i) {
      list += (i ? ", " : "") + s.quoted[order_columns[i]];
      values += fmt::format("{}${}", i ? ", " : "", number++);
    }
    const std::string row = fmt::format("({}) {} ({})", list, direction == Direction::asc ? ">" : "<", values);
    condition = condition.empty() ? row : "(" + condition + ") AND " + row;
  }
  if (!condition.empty()) sql += " WHERE " + condition;
  append_order(meta, terms, sql);
  const std::size_t limit_number = params.size() + (after ? order_columns.size() : 0) + 1;
  return sql + fmt::format(" LIMIT ${}", limit_number);
}

std::string insert_variant(const TableMeta& meta, std::uint64_t mask, bool with_key, bool returning) {
  return insert_sql(meta, statements(meta), mask, with_key, returning);
}

}  // namespace pgkit::orm::detail
