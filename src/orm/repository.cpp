// The non-template half of Repository<T>: statement text that depends on the call (filters, orderings,
// changes, upserts), and errors told in the model's terms.
#include "orm/statements.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/orm/repository.hpp>
#include <pgkit/pipeline.hpp>
#include <pgkit/transaction.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <sstream>

namespace pgkit::orm::detail {

const Statements& statements(const TableMeta& meta) {
  return *meta.statements;
}

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

// The columns of the unique group (or key) an upsert names; InterfaceError for one the model lacks.
std::vector<std::size_t> conflict_target(const TableMeta& meta, const Upsert& upsert) {
  if (!upsert.unique.empty()) {
    const auto group = std::ranges::find_if(meta.uniques, [&](const UniqueMeta& u) { return u.name == upsert.unique; });
    if (group == meta.uniques.end()) {
      throw InterfaceError(
          fmt::format("{}: no unique group named '{}' (declare it with t.unique_named)", meta.model, upsert.unique));
    }
    return group->columns;
  }
  if (upsert.member_indexes.empty()) return meta.primary_key;
  std::vector<std::size_t> wanted;
  std::string members;
  for (const std::size_t m : upsert.member_indexes) {
    wanted.push_back(meta.column_of_member_index(m));
    members += (members.empty() ? "" : ", ") + meta.columns[wanted.back()].member;
  }
  std::ranges::sort(wanted);
  auto same = [&](std::vector<std::size_t> columns) {
    std::ranges::sort(columns);
    return columns == wanted;
  };
  if (same(meta.primary_key)) return meta.primary_key;
  for (const auto& group : meta.uniques) {
    if (same(group.columns)) return group.columns;
  }
  for (const auto& index : meta.indexes) {
    if (index.unique && same(index.columns)) return index.columns;
  }
  throw InterfaceError(fmt::format("{}: ({}) is not a unique group of the model (t.unique or t.index(...).unique())",
                                   meta.model, members));
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
      for (std::size_t i = 0; i < result.columns(); ++i)
        present += (i ? ", " : "") + std::string(result.column_name(i));
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

void check_key_type(const TableMeta& meta, const std::type_info& key) {
  if (meta.key_type == nullptr || *meta.key_type != key) {
    throw InterfaceError(
        fmt::format("{}: insert_many<K> needs K to be the key's member type (or a std::tuple of the "
                    "key's member types, in primary-key order)",
                    meta.model));
  }
}

void check_result_width(const Result& result, const TableMeta& meta) {
  if (result.data() != nullptr && result.columns() != meta.columns.size()) {
    throw ModelError(fmt::format("{}: a result of {} columns for {} model columns", meta.model, result.columns(),
                                 meta.columns.size()));
  }
}

std::string select_sql(const TableMeta& meta, SelectKind kind, const FilterNode& where,
                       const std::vector<OrderTerm>& order, std::optional<std::int64_t> limit, std::int64_t offset,
                       Params& params) {
  const Statements& s = statements(meta);
  std::string sql;
  switch (kind) {
    case SelectKind::rows:
      sql = s.select_from;
      break;
    case SelectKind::count:
      sql = s.count;
      break;
    case SelectKind::exists:
      sql = "SELECT EXISTS (SELECT FROM " + s.table;
      break;
    case SelectKind::remove:
      sql = "DELETE FROM " + s.table;
      break;
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
    if (std::ranges::count(member_indexes, member) > 1) {
      throw InterfaceError(fmt::format("{}::{}: update(key, ...) sets this member more than once", meta.model,
                                       meta.columns[column].member));
    }
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
  const std::vector<std::size_t> target = conflict_target(meta, upsert);
  std::string target_list;
  for (const std::size_t c : target) target_list += (target_list.empty() ? "" : ", ") + s.quoted[c];
  sql += " ON CONFLICT (" + target_list + ")";
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
  if (meta.version)
    sets += fmt::format("{1}{0} = {2}.{0} + 1", s.quoted[*meta.version], sets.empty() ? "" : ", ", s.table);
  // Nothing else to set: a no-op update still locks and returns the conflicting row (DO NOTHING would not).
  if (sets.empty()) sets = fmt::format("{0} = EXCLUDED.{0}", s.quoted[target.front()]);
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
    const ColumnMeta& column = meta.columns[order_columns.back()];
    if (column.nullable) {
      // (a, id) > ($1, $2) is NULL for a row whose a is NULL: such rows would silently never be paged.
      throw InterfaceError(
          fmt::format("{}::{}: a keyset page cannot order by a nullable (std::optional) column; "
                      "order by non-null columns, or use find_by with offset",
                      meta.model, column.member));
    }
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

namespace {

const char* at(const void* obj, std::size_t offset) {
  return static_cast<const char*>(obj) + offset;
}
char* at(void* obj, std::size_t offset) {
  return static_cast<char*>(obj) + offset;
}

void add_column(const TableMeta& meta, const void* obj, std::size_t column, Params& params) {
  const ColumnMeta& c = meta.columns[column];
  c.ops->add(at(obj, c.offset), params);
}

// COPY's text format: backslash escapes for the characters that would end a field or a row.
void append_copy_text(std::string& out, std::string_view text) {
  for (const char ch : text) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += ch;
    }
  }
}

// Whether `mask` leaves column c (a server-default column) to the server.
bool left_to_server(const Statements& s, std::uint64_t mask, std::size_t c) {
  const auto d = std::ranges::find(s.defaulted, c);
  return d != s.defaulted.end() && (mask >> (d - s.defaulted.begin()) & 1U) != 0;
}

// COPY of the rows whose mask is `mask`, naming only the columns they give: COPY applies the server's
// defaults to the columns it omits, as an INSERT does.
void copy_rows(Connection& connection, const TableMeta& meta, const char* first, std::size_t stride, std::size_t count,
               std::uint64_t mask) {
  const Statements& s = statements(meta);
  const bool varies = !s.defaulted.empty();
  std::vector<std::size_t> columns;
  std::string column_list;
  for (std::size_t c = 0; c < meta.columns.size(); ++c) {
    if (left_to_server(s, mask, c)) continue;
    columns.push_back(c);
    column_list += (column_list.empty() ? "" : ", ") + s.quoted[c];
  }
  std::string data;
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    const char* obj = first + i * stride;
    if (varies && insert_mask(meta, obj) != mask) continue;
    for (const std::size_t c : columns) {
      const ColumnMeta& column = meta.columns[c];
      if (c != columns.front()) data += '\t';
      if (column.ops->is_empty(obj + column.offset)) {
        data += "\\N";
        continue;
      }
      text.clear();
      column.ops->text(obj + column.offset, text);
      append_copy_text(data, text);
    }
    data += '\n';
  }
  std::istringstream in(std::move(data));
  copy_in_raw(connection, fmt::format("COPY {} ({}) FROM STDIN", s.table, column_list), in);
}

void pipeline_rows(Connection& connection, const TableMeta& meta, const char* first, std::size_t stride,
                   std::size_t count, std::uint64_t mask, bool with_key) {
  std::string scratch;
  pgkit::detail::ManyRowsWriter writer(connection, insert_text(meta, mask, true, scratch), {});
  const bool varies = !statements(meta).defaulted.empty();
  for (std::size_t i = 0; i < count; ++i) {
    const char* obj = first + i * stride;
    if (varies && insert_mask(meta, obj) != mask) continue;
    Params& params = writer.row_params();
    params.clear();
    insert_params(meta, obj, with_key, params);
    writer.send_row();
  }
  writer.finish();
}

// One INSERT ... RETURNING per row, pipelined, each stored row (its generated key) decoded back into
// its object in input order: for a key whose sequence pg_get_serial_sequence cannot find (a column
// DEFAULT nextval('...') whose sequence is not OWNED BY it, as in pagila), so keys cannot be reserved.
void pipeline_returning(Connection& connection, const TableMeta& meta, char* first, std::size_t stride,
                        std::size_t count) {
  Pipeline pipeline(connection);
  Params params;
  std::string scratch;
  for (std::size_t i = 0; i < count; ++i) {
    params.clear();
    const std::uint64_t mask = insert_params(meta, first + i * stride, false, params);
    pipeline.add(insert_text(meta, mask, false, scratch), params);
  }
  const auto outcomes = pipeline.finish();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    outcomes[i].check();
    check_result_width(outcomes[i].result, meta);
    decode_row(meta, outcomes[i].result, 0, {}, first + i * stride);
  }
}

// The same error class, its message prefixed with the member and column it was reading (an
// UnexpectedNull stays an UnexpectedNull, so callers catching it still do).
[[noreturn]] void rethrow_decode_error(const ConversionError& e, const TableMeta& meta, const ColumnMeta& column) {
  const std::string what = fmt::format("{}::{} (column \"{}\"): {}", meta.model, column.member, column.name, e.what());
  if (dynamic_cast<const UnexpectedNull*>(&e) != nullptr) throw UnexpectedNull(what);
  throw ConversionError(what);
}

}  // namespace

void decode_row(const TableMeta& meta, const Result& result, std::size_t row, std::span<const std::size_t> columns,
                void* obj) {
  const Statements& s = statements(meta);
  std::array<Field, 64> small;
  std::vector<Field> large;
  Field* fields = small.data();
  if (meta.columns.size() > small.size()) {
    large.resize(meta.columns.size());
    fields = large.data();
  }
  pgkit::detail::fields_at(*result.data(), row, columns.empty() ? std::span<const std::size_t>(s.positions) : columns,
                           fields);
  decode_fields(meta, fields, obj);
}

void decode_fields(const TableMeta& meta, const Field* fields, void* obj) {
  for (std::size_t c = 0; c < meta.columns.size(); ++c) {
    const ColumnMeta& column = meta.columns[c];
    try {
      column.ops->read(at(obj, column.offset), fields[c]);
    } catch (const ConversionError& e) {
      rethrow_decode_error(e, meta, column);
    }
  }
  for (const auto& slot : meta.relation_slots) {
    reinterpret_cast<RelationState*>(at(obj, slot.offset))->set_label(relation_label(meta, slot.member_index));
  }
}

std::uint64_t insert_mask(const TableMeta& meta, const void* obj) {
  const Statements& s = statements(meta);
  std::uint64_t mask = 0;
  for (std::size_t d = 0; d < s.defaulted.size(); ++d) {
    const ColumnMeta& column = meta.columns[s.defaulted[d]];
    if (column.ops->is_empty(at(obj, column.offset))) mask |= std::uint64_t{1} << d;
  }
  return mask;
}

std::uint64_t insert_params(const TableMeta& meta, const void* obj, bool with_key, Params& params) {
  const Statements& s = statements(meta);
  const std::uint64_t mask = s.defaulted.empty() ? 0 : insert_mask(meta, obj);
  if (with_key && !s.next_keys.empty()) add_column(meta, obj, meta.primary_key[0], params);
  std::size_t d = 0;
  for (const std::size_t c : s.insert_columns) {
    while (d < s.defaulted.size() && s.defaulted[d] < c) ++d;
    const bool left_out = d < s.defaulted.size() && s.defaulted[d] == c && (mask >> d & 1U) != 0;
    if (!left_out) add_column(meta, obj, c, params);
  }
  return mask;
}

const std::string& insert_text(const TableMeta& meta, std::uint64_t mask, bool bulk, std::string& scratch) {
  const Statements& s = statements(meta);
  const auto& cached = bulk ? s.bulk_inserts : s.inserts;
  if (mask < cached.size()) return cached[mask];
  scratch = insert_sql(meta, s, mask, bulk, !bulk);
  return scratch;
}

void add_key(const TableMeta& meta, const void* obj, Params& params) {
  for (const std::size_t k : meta.primary_key) add_column(meta, obj, k, params);
}

bool has_generated_key_value(const TableMeta& meta, const void* obj) {
  if (statements(meta).next_keys.empty()) return false;
  const ColumnMeta& key = meta.columns[meta.primary_key[0]];
  return !key.ops->is_default(at(obj, key.offset));
}

void add_columns(const TableMeta& meta, const void* obj, const std::vector<std::size_t>& columns, Params& params) {
  for (const std::size_t c : columns) add_column(meta, obj, c, params);
}

void update_params(const TableMeta& meta, const void* obj, Params& params) {
  const Statements& s = statements(meta);
  if (s.update.empty()) throw InterfaceError(meta.model + ": every column is part of the key; nothing to update");
  add_columns(meta, obj, s.update_columns, params);
  add_key(meta, obj, params);
  if (meta.version) add_column(meta, obj, *meta.version, params);
}

void throw_update_missed(const TableMeta& meta, const void* obj) {
  std::string key;
  for (const std::size_t k : meta.primary_key) {
    if (!key.empty()) key += ", ";
    meta.columns[k].ops->text(at(obj, meta.columns[k].offset), key);
  }
  if (meta.version) throw StaleObject(meta.model, "(" + key + ")");
  throw NotFound(meta.model, "(" + key + ")");
}

void insert_many(Connection& connection, const TableMeta& meta, void* first, std::size_t stride, std::size_t count,
                 const InsertManyOptions& options) {
  if (count == 0) return;
  const Statements& s = statements(meta);
  const bool reserve_keys = !s.next_keys.empty();
  char* base = static_cast<char*>(first);
  try {
    Transaction tx(connection);
    if (reserve_keys) {
      const Result keys = connection.exec(s.next_keys, static_cast<std::int64_t>(count));
      if (keys[0][0].is_null()) {
        pipeline_returning(connection, meta, base, stride, count);
        tx.commit();
        return;
      }
      const ColumnMeta& key = meta.columns[meta.primary_key[0]];
      for (std::size_t i = 0; i < count; ++i) key.ops->read(base + i * stride + key.offset, keys[i][0]);
    }
    // Rows that leave different server defaults out need different statements: one batch per variant,
    // a COPY for a variant of copy_threshold rows or more.
    std::vector<std::pair<std::uint64_t, std::size_t>> masks;  // variant, rows
    for (std::size_t i = 0; i < count; ++i) {
      const std::uint64_t mask = s.defaulted.empty() ? 0 : insert_mask(meta, base + i * stride);
      const auto found = std::ranges::find(masks, mask, &std::pair<std::uint64_t, std::size_t>::first);
      if (found == masks.end()) {
        masks.emplace_back(mask, 1);
      } else {
        ++found->second;
      }
    }
    for (const auto& [mask, rows] : masks) {
      if (rows >= options.copy_threshold) {
        copy_rows(connection, meta, base, stride, count, mask);
      } else {
        pipeline_rows(connection, meta, base, stride, count, mask, reserve_keys);
      }
    }
    tx.commit();
  } catch (const DatabaseError&) {
    rethrow_with_model(meta);
  }
}

}  // namespace pgkit::orm::detail
