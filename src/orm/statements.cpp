#include "orm/statements.hpp"

#include <pgkit/sql.hpp>

#include <fmt/format.h>

namespace pgkit::orm::detail {

namespace {

// "a" = $first AND "b" = $first+1 ...
std::string key_match(const TableMeta& meta, const Statements& s, int first) {
  std::string out;
  for (std::size_t i = 0; i < meta.primary_key.size(); ++i) {
    if (i > 0) out += " AND ";
    out += fmt::format("{} = ${}", s.quoted[meta.primary_key[i]], first + static_cast<int>(i));
  }
  return out;
}

std::string update_sql(const TableMeta& meta, Statements& s) {
  std::string sets;
  int number = 1;
  for (std::size_t c = 0; c < meta.columns.size(); ++c) {
    const bool is_key = std::find(meta.primary_key.begin(), meta.primary_key.end(), c) != meta.primary_key.end();
    if (is_key || meta.version == c) continue;
    if (!sets.empty()) sets += ", ";
    sets += fmt::format("{} = ${}", s.quoted[c], number++);
    s.update_columns.push_back(c);
  }
  if (meta.version) {
    if (!sets.empty()) sets += ", ";
    sets += fmt::format("{0} = {0} + 1", s.quoted[*meta.version]);
  }
  if (sets.empty()) return {};  // only key columns: nothing to update
  std::string sql = fmt::format("UPDATE {} SET {} WHERE {}", s.table, sets, key_match(meta, s, number));
  number += static_cast<int>(meta.primary_key.size());
  if (meta.version) sql += fmt::format(" AND {} = ${}", s.quoted[*meta.version], number);
  return sql + " RETURNING " + s.select_list;
}

std::string next_keys_sql(const TableMeta& meta, const Statements& s) {
  if (meta.primary_key.size() != 1) return {};
  const ColumnMeta& key = meta.columns[meta.primary_key[0]];
  switch (key.generated) {
    case Generated::none:
      return {};
    case Generated::uuid:
      return "SELECT gen_random_uuid() FROM generate_series(1, $1)";
    case Generated::identity:
    case Generated::serial:
      // The table's name is a parameter here (pg_get_serial_sequence reads it as SQL would), so it is
      // never pasted; identity columns have a sequence too.
      return fmt::format("SELECT nextval(pg_get_serial_sequence({}, {})) FROM generate_series(1, $1)",
                         sql::Literal(s.table).str(), sql::Literal(key.name).str());
  }
  return {};
}

}  // namespace

std::string insert_sql(const TableMeta& meta, const Statements& s, std::uint64_t mask, bool with_key, bool returning) {
  std::string columns;
  std::string values;
  int number = 1;
  auto add = [&](std::size_t c) {
    if (!columns.empty()) {
      columns += ", ";
      values += ", ";
    }
    columns += s.quoted[c];
    values += fmt::format("${}", number++);
  };
  if (with_key && !s.next_keys.empty()) add(meta.primary_key[0]);
  for (const std::size_t c : s.insert_columns) {
    bool left_out = false;
    for (std::size_t d = 0; d < s.defaulted.size(); ++d) {
      if (s.defaulted[d] == c && (mask & (std::uint64_t{1} << d)) != 0) left_out = true;
    }
    if (!left_out) add(c);
  }
  std::string sql = columns.empty() ? fmt::format("INSERT INTO {} DEFAULT VALUES", s.table)
                                    : fmt::format("INSERT INTO {} ({}) VALUES ({})", s.table, columns, values);
  if (returning) sql += " RETURNING " + s.select_list;
  return sql;
}

Statements build_statements(const TableMeta& meta) {
  Statements s;
  s.table = meta.schema.empty() ? sql::Identifier(meta.name).str() : sql::Identifier(meta.schema, meta.name).str();
  for (const auto& column : meta.columns) {
    s.positions.push_back(s.quoted.size());
    s.quoted.push_back(sql::Identifier(column.name).str());
    if (!s.select_list.empty()) s.select_list += ", ";
    s.select_list += s.quoted.back();
  }
  for (const std::size_t k : meta.primary_key) {
    if (!s.key_list.empty()) s.key_list += ", ";
    s.key_list += s.quoted[k];
  }
  const int key_count = static_cast<int>(meta.primary_key.size());
  s.select_from = fmt::format("SELECT {} FROM {}", s.select_list, s.table);
  s.key_match = key_match(meta, s, 1);
  s.get = fmt::format("{} WHERE {}", s.select_from, s.key_match);
  s.count = fmt::format("SELECT count(*) FROM {}", s.table);
  s.remove = fmt::format("DELETE FROM {} WHERE {}", s.table, s.key_match);
  s.all_page = fmt::format("{} ORDER BY {} OFFSET $1 LIMIT $2", s.select_from, s.key_list);
  s.after_key = fmt::format("{} WHERE ({}) > ({}) ORDER BY {} LIMIT ${}", s.select_from, s.key_list,
                            sql::placeholders(key_count).str(), s.key_list, key_count + 1);
  s.update = update_sql(meta, s);
  for (std::size_t c = 0; c < meta.columns.size(); ++c) {
    const ColumnMeta& column = meta.columns[c];
    if (column.generated != Generated::none) continue;
    if (column.nullable && !column.server_default.empty()) s.defaulted.push_back(c);
    s.insert_columns.push_back(c);
  }
  s.next_keys = next_keys_sql(meta, s);
  if (s.defaulted.size() <= max_cached_default_columns) {
    const std::uint64_t variants = std::uint64_t{1} << s.defaulted.size();
    for (std::uint64_t mask = 0; mask < variants; ++mask) {
      s.inserts.push_back(insert_sql(meta, s, mask, false, true));
      s.bulk_inserts.push_back(insert_sql(meta, s, mask, true, false));
    }
  }
  return s;
}

}  // namespace pgkit::orm::detail
