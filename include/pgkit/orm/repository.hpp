// Repository<T>: the rows of one model's table, over a Connection, a PooledConnection or a Transaction
// (the same API on each; a pooled handle or a transaction must outlive the repository).
//
//   pgkit::orm::Repository<User> users(conn);
//   User ann = users.insert({.username = "ann", .email = "ann@example.com"});  // as stored: id, created_at
//   std::optional<User> found = users.get(ann.id);
//   auto page = users.find_by(col(&User::email).like("%@example.com"), Query<User>().order_by(&User::id).limit(50));
//   users.update(ann.id, pgkit::orm::set(&User::email, "ann@example.org"));   // nullopt: no such row
//   bool removed = users.remove(ann.id);                                        // false: no such row
//
// Statement text is built once per model (TableMeta), so the driver prepares each statement after its
// first uses; rows are decoded straight into T by position. Not-found is reported by return values:
// get/find_one_by/update(key, changes) give std::nullopt, remove gives false, update(obj) throws
// NotFound (or StaleObject for a versioned model), since it promised to return the stored row.
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/orm/detail/statements.hpp>
#include <pgkit/orm/filter.hpp>
#include <pgkit/orm/model.hpp>
#include <pgkit/pipeline.hpp>
#include <pgkit/pool.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace pgkit::orm {

// What upsert does on a conflict, and on which constraint.
struct Upsert {
  std::string unique;      // a unique group's name (t.unique_named); empty: the primary key
  bool do_nothing = false;  // false: update every other column from the new row
};
inline Upsert on_conflict_update(std::string unique = {}) { return {std::move(unique), false}; }
inline Upsert on_conflict_do_nothing(std::string unique = {}) { return {std::move(unique), true}; }

struct InsertManyOptions {
  // From this many rows on, COPY instead of pipelined INSERTs (when every row gives every column).
  std::size_t copy_threshold = 500;
};

namespace detail {

const Statements& statements(const TableMeta& meta);
const char* relation_label(const TableMeta& meta, std::size_t member_index) noexcept;
// Called inside a catch block: rethrows a UniqueViolation or UndefinedColumn with the model's
// member named, anything else as it is.
[[noreturn]] void rethrow_with_model(const TableMeta& meta);
// The result column of each model column, by name (raw SQL); ModelError naming member and column
// for one the result lacks.
std::vector<std::size_t> result_columns(const Result& result, const TableMeta& meta);
void check_key_count(const TableMeta& meta, std::size_t given);
void check_result_width(const Result& result, const TableMeta& meta);

enum class SelectKind : std::uint8_t { rows, count, exists, remove };
std::string select_sql(const TableMeta& meta, SelectKind kind, const FilterNode& where, const std::vector<OrderTerm>& order,
                       std::optional<std::int64_t> limit, std::int64_t offset, Params& params);
std::string partial_update_sql(const TableMeta& meta, const std::vector<std::size_t>& member_indexes);
std::string upsert_sql(const TableMeta& meta, const Upsert& upsert, std::uint64_t mask, bool with_key);
// Keyset page: rows after the values already in `params` (one per ordering column, then the key).
std::string page_sql(const TableMeta& meta, const FilterNode& where, const std::vector<OrderTerm>& order,
                     bool after, Params& params, std::vector<std::size_t>& order_columns);
std::string insert_variant(const TableMeta& meta, std::uint64_t mask, bool with_key, bool returning);

// f(column, value) for every column of obj, in TableMeta order.
template <class T, class F>
void for_each_column(const T& obj, F&& f) {
  std::size_t column = 0;
  boost::mp11::mp_for_each<column_descriptors<T>>([&](auto d) { f(column++, obj.*d.pointer); });
}

// f(value) for one column.
template <class T, class F>
void visit_column(const T& obj, std::size_t wanted, F&& f) {
  for_each_column(obj, [&](std::size_t column, const auto& value) {
    if (column == wanted) f(value);
  });
}

template <class T>
void read_column(T& obj, std::size_t wanted, const Field& field) {
  std::size_t column = 0;
  boost::mp11::mp_for_each<column_descriptors<T>>([&](auto d) {
    using M = descriptor_value<decltype(d)>;
    if (column++ == wanted) obj.*d.pointer = field.template as<M>();
  });
}

// T from its columns' fields, in TableMeta order; relation members get their names for NotLoaded.
template <class T>
T decode(const Field* fields, const TableMeta& meta) {
  T obj{};
  std::size_t column = 0;
  std::size_t index = 0;
  boost::mp11::mp_for_each<pgkit::detail::described_fields<T>>([&](auto d) {
    using M = descriptor_value<decltype(d)>;
    if constexpr (is_relation_v<M>) {
      (obj.*d.pointer).set_label(relation_label(meta, index));
    } else {
      obj.*d.pointer = fields[column++].template as<M>();
    }
    ++index;
  });
  return obj;
}

template <class T>
std::vector<T> decode_rows(const Result& result, const TableMeta& meta, std::span<const std::size_t> columns) {
  std::vector<T> rows;
  rows.reserve(result.size());
  std::array<Field, column_count<T>> fields;
  for (std::size_t i = 0, n = result.size(); i < n; ++i) {
    pgkit::detail::fields_at(*result.data(), i, columns, fields.data());
    rows.push_back(decode<T>(fields.data(), meta));
  }
  return rows;
}

template <std::size_t N>
constexpr std::array<std::size_t, N> positions() {
  std::array<std::size_t, N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = i;
  return out;
}

template <class V>
void add_key_part(Params& params, const V& value) {
  if constexpr (pgkit::detail::is_std_tuple<V>::value) {
    std::apply([&](const auto&... parts) { (params.add(parts), ...); }, value);
  } else {
    params.add(value);
  }
}

}  // namespace detail

template <class T>
class Repository {
 public:
  explicit Repository(Connection& connection) : conn_(connection), meta_(orm::meta<T>()) {}
  explicit Repository(PooledConnection& pooled) : Repository(pooled.connection()) {}
  explicit Repository(Transaction& transaction) : Repository(transaction.connection()) {}

  [[nodiscard]] Connection& connection() const noexcept { return conn_; }
  [[nodiscard]] const TableMeta& model() const noexcept { return meta_; }

  // Inserts obj (generated keys and empty server-default optionals left to the server) and returns
  // the row as stored.
  T insert(const T& obj) {
    params_.clear();
    const std::uint64_t mask = insert_params(obj, params_);
    return one(insert_text(mask, false), params_);
  }

  // Inserts every object in one transaction; generated keys are reserved first and written into the
  // objects. Pipelined INSERTs below options.copy_threshold rows, a binary COPY from there on (when no
  // row leaves a server default to the server). Returns the rows inserted.
  std::size_t insert_many(std::span<T> objects, const InsertManyOptions& options = {});

  // The row with this key (the key's columns in primary-key order, or one std::tuple of them).
  template <class... K>
  std::optional<T> get(const K&... key) {
    params_.clear();
    (detail::add_key_part(params_, key), ...);
    detail::check_key_count(meta_, params_.size());
    return optional(run(s().get, params_));
  }

  // Rows ordered by the primary key.
  std::vector<T> get_all(std::int64_t offset = 0, std::int64_t limit = std::numeric_limits<std::int64_t>::max()) {
    params_.clear();
    params_.add(offset).add(limit);
    return all(run(s().all_page, params_));
  }
  // Keyset pagination by primary key: up to `limit` rows after `key` (a value, or a std::tuple).
  template <class K>
  std::vector<T> get_after(const K& key, std::int64_t limit) {
    params_.clear();
    detail::add_key_part(params_, key);
    detail::check_key_count(meta_, params_.size());
    params_.add(limit);
    return all(run(s().after_key, params_));
  }
  // Keyset pagination in `query`'s order (all ascending or all descending), with the primary key as
  // the tie-breaker: the page of query.limit() rows after `last` (nullptr: the first page).
  std::vector<T> page_after(const Query<T>& query, const T* last, const Filter<T>& where = {});

  std::vector<T> find_by(const Filter<T>& where, const Query<T>& query = {}) {
    Params params;
    const std::string sql = detail::select_sql(meta_, detail::SelectKind::rows, where.node(), query.order(),
                                               query.limit(), query.offset(), params);
    return all(run(sql, params));
  }
  // The only row matching; UnexpectedRowCount when several do.
  std::optional<T> find_one_by(const Filter<T>& where) {
    Params params;
    const std::string sql = detail::select_sql(meta_, detail::SelectKind::rows, where.node(), {}, 2, 0, params);
    return optional(run(sql, params));
  }
  std::int64_t count(const Filter<T>& where = {}) {
    Params params;
    const std::string sql = detail::select_sql(meta_, detail::SelectKind::count, where.node(), {}, {}, 0, params);
    return run(sql, params).one().template as<std::int64_t>();
  }
  bool exists(const Filter<T>& where = {}) {
    Params params;
    const std::string sql = detail::select_sql(meta_, detail::SelectKind::exists, where.node(), {}, {}, 0, params);
    return run(sql, params).one().template as<bool>();
  }

  // Rows of a condition the filters cannot say: `SELECT <columns> FROM <table> WHERE <condition>`,
  // the condition trusted SQL (pgkit::sql) with $n parameters.
  std::vector<T> find_where(const sql::Composed& condition, const Params& params = {}) {
    return all(run(s().select_from + " WHERE " + condition.str(), params));
  }
  // Any statement whose result has the model's columns (by name; more are ignored).
  std::vector<T> query_raw(const sql::Composed& statement, const Params& params = {}) {
    const Result result = run(statement.str(), params);
    const auto columns = detail::result_columns(result, meta_);
    return detail::decode_rows<T>(result, meta_, columns);
  }

  // Updates every column of obj's row (found by its key) and returns the row as stored. A versioned
  // model's row must still have obj's version (StaleObject otherwise), and gets version + 1.
  T update(const T& obj);
  // Updates only the given columns of the row with this key; std::nullopt when there is none.
  template <class K, class... C>
  std::optional<T> update(const K& key, const Change<T>& first, const C&... more) {
    const std::vector<const Change<T>*> changes{&first, &more...};
    std::vector<std::size_t> members;
    Params params;
    for (const auto* change : changes) {
      members.push_back(change->member_index);
      change->value(params);
    }
    detail::add_key_part(params, key);
    detail::check_key_count(meta_, params.size() - changes.size());
    return optional(run(detail::partial_update_sql(meta_, members), params));
  }

  // INSERT ... ON CONFLICT: the stored row, or std::nullopt when do_nothing met a conflict.
  std::optional<T> upsert(const T& obj, const Upsert& on_conflict = {});

  // Deletes the row with this key; false when there was none.
  template <class... K>
  bool remove(const K&... key) {
    params_.clear();
    (detail::add_key_part(params_, key), ...);
    detail::check_key_count(meta_, params_.size());
    return run(s().remove, params_).affected_rows() > 0;
  }
  std::int64_t remove_where(const Filter<T>& where) {
    Params params;
    const std::string sql = detail::select_sql(meta_, detail::SelectKind::remove, where.node(), {}, {}, 0, params);
    return run(sql, params).affected_rows();
  }

 protected:
  const detail::Statements& s() const { return detail::statements(meta_); }

  Result run(std::string_view sql, const Params& params) {
    try {
      return conn_.exec(sql, params);
    } catch (const DatabaseError&) {
      detail::rethrow_with_model(meta_);
    }
  }
  std::vector<T> all(const Result& result) {
    detail::check_result_width(result, meta_);
    static constexpr auto columns = detail::positions<detail::column_count<T>>();
    return detail::decode_rows<T>(result, meta_, columns);
  }
  std::optional<T> optional(const Result& result) {
    if (result.empty()) return std::nullopt;
    if (result.size() > 1) (void)result.one();  // UnexpectedRowCount
    return all(result).front();
  }
  T one(const std::string& sql, const Params& params) {
    const Result result = run(sql, params);
    (void)result.one();
    return all(result).front();
  }

  // Which server-default columns obj leaves to the server (bit d: Statements::defaulted[d]).
  std::uint64_t insert_mask(const T& obj) const {
    const detail::Statements& st = s();
    std::uint64_t mask = 0;
    for (std::size_t d = 0; d < st.defaulted.size(); ++d) {
      detail::visit_column(obj, st.defaulted[d], [&](const auto& value) {
        if constexpr (pgkit::detail::is_optional_v<std::remove_cvref_t<decltype(value)>>) {
          if (!value) mask |= std::uint64_t{1} << d;
        }
      });
    }
    return mask;
  }
  // The insert's parameters; returns the mask of server-default columns left out.
  std::uint64_t insert_params(const T& obj, Params& params) const {
    const detail::Statements& st = s();
    const std::uint64_t mask = st.defaulted.empty() ? 0 : insert_mask(obj);
    std::size_t next = 0;  // insert_columns and defaulted ascend with the columns
    std::size_t d = 0;
    detail::for_each_column(obj, [&](std::size_t column, const auto& value) {
      if (next >= st.insert_columns.size() || st.insert_columns[next] != column) return;
      ++next;
      while (d < st.defaulted.size() && st.defaulted[d] < column) ++d;
      const bool left_out = d < st.defaulted.size() && st.defaulted[d] == column && (mask >> d & 1U) != 0;
      if (!left_out) params.add(value);
    });
    return mask;
  }
  // The insert for a mask: returning every column, or for insert_many (with reserved keys, no RETURNING).
  const std::string& insert_text(std::uint64_t mask, bool bulk) {
    const auto& cached = bulk ? s().bulk_inserts : s().inserts;
    if (mask < cached.size()) return cached[mask];
    scratch_sql_ = detail::insert_variant(meta_, mask, bulk, !bulk);
    return scratch_sql_;
  }
  void copy_rows(std::span<T> objects);
  void pipeline_rows(std::span<T> objects, std::uint64_t mask, bool with_key);
  void add_key_of(const T& obj, Params& params) const {
    for (const std::size_t k : meta_.primary_key) {
      detail::visit_column(obj, k, [&](const auto& value) { params.add(value); });
    }
  }

  Connection& conn_;
  const TableMeta& meta_;
  Params params_;
  std::string scratch_sql_;
};

// ---------------------------------------------------------------------------------------------------

template <class T>
T Repository<T>::update(const T& obj) {
  const detail::Statements& st = s();
  if (st.update.empty()) throw InterfaceError(meta_.model + ": every column is part of the key; nothing to update");
  Params params;
  std::size_t next = 0;
  detail::for_each_column(obj, [&](std::size_t column, const auto& value) {
    if (next < st.update_columns.size() && st.update_columns[next] == column) {
      params.add(value);
      ++next;
    }
  });
  add_key_of(obj, params);
  if (meta_.version) detail::visit_column(obj, *meta_.version, [&](const auto& value) { params.add(value); });
  const Result result = run(st.update, params);
  if (result.empty()) {
    std::string key;
    for (const std::size_t k : meta_.primary_key) {
      detail::visit_column(obj, k, [&](const auto& value) {
        std::string text;
        if constexpr (requires { Type<std::remove_cvref_t<decltype(value)>>::to_text(value, text); }) {
          Type<std::remove_cvref_t<decltype(value)>>::to_text(value, text);
        } else {
          Type<std::remove_cvref_t<decltype(value)>>::encode(value, text);
        }
        key += key.empty() ? text : ", " + text;
      });
    }
    if (meta_.version) throw StaleObject(meta_.model, "(" + key + ")");
    throw NotFound(meta_.model, "(" + key + ")");
  }
  return all(result).front();
}

template <class T>
std::optional<T> Repository<T>::upsert(const T& obj, const Upsert& on_conflict) {
  const bool on_key = on_conflict.unique.empty();
  const bool with_key = on_key && !s().next_keys.empty();
  Params params;
  if (with_key) add_key_of(obj, params);
  const std::uint64_t mask = insert_params(obj, params);
  return optional(run(detail::upsert_sql(meta_, on_conflict, mask, with_key), params));
}

template <class T>
std::vector<T> Repository<T>::page_after(const Query<T>& query, const T* last, const Filter<T>& where) {
  if (!query.limit()) throw InterfaceError(meta_.model + ": page_after needs the page size (Query::limit)");
  // page_sql numbers the filter's values first, then the values of `last` for the ordering's columns
  // (the key's appended), then the limit.
  Params params;
  std::vector<std::size_t> order_columns;
  const std::string sql = detail::page_sql(meta_, where.node(), query.order(), last != nullptr, params, order_columns);
  if (last != nullptr) {
    for (const std::size_t c : order_columns) {
      detail::visit_column(*last, c, [&](const auto& value) { params.add(value); });
    }
  }
  params.add(*query.limit());
  return all(run(sql, params));
}

template <class T>
std::size_t Repository<T>::insert_many(std::span<T> objects, const InsertManyOptions& options) {
  if (objects.empty()) return 0;
  const detail::Statements& st = s();
  const bool reserve_keys = !st.next_keys.empty();
  Transaction tx(conn_);
  if (reserve_keys) {
    const Result keys = run(st.next_keys, Params(static_cast<std::int64_t>(objects.size())));
    for (std::size_t i = 0; i < objects.size(); ++i) detail::read_column(objects[i], meta_.primary_key[0], keys[i][0]);
  }
  // Rows that leave different server defaults out need different statements: one batch per variant.
  std::vector<std::uint64_t> masks;
  for (const T& obj : objects) {
    const std::uint64_t mask = st.defaulted.empty() ? 0 : insert_mask(obj);
    if (std::find(masks.begin(), masks.end(), mask) == masks.end()) masks.push_back(mask);
  }
  try {
    if (masks.size() == 1 && masks[0] == 0 && objects.size() >= options.copy_threshold) {
      copy_rows(objects);
    } else {
      for (const std::uint64_t mask : masks) pipeline_rows(objects, mask, reserve_keys);
    }
  } catch (const DatabaseError&) {
    detail::rethrow_with_model(meta_);
  }
  tx.commit();
  return objects.size();
}

template <class T>
void Repository<T>::copy_rows(std::span<T> objects) {
  std::vector<std::string> names;
  for (const auto& column : meta_.columns) names.push_back(column.name);
  CopyWriter writer(conn_, TableName(meta_.schema, meta_.name), names);
  for (const T& obj : objects) {
    [&]<template <class...> class L, class... D>(L<D...>) {
      writer.write(std::tuple<const detail::descriptor_value<D>&...>(obj.*D::pointer...));
    }(detail::column_descriptors<T>{});
  }
  writer.finish();
}

template <class T>
void Repository<T>::pipeline_rows(std::span<T> objects, std::uint64_t mask, bool with_key) {
  pgkit::detail::ManyRowsWriter writer(conn_, insert_text(mask, true), {});
  const bool varies = !s().defaulted.empty();
  for (const T& obj : objects) {
    if (varies && insert_mask(obj) != mask) continue;
    Params& params = writer.row_params();
    params.clear();
    if (with_key) add_key_of(obj, params);
    insert_params(obj, params);
    writer.send_row();
  }
  writer.finish();
}

// A repository for T over whatever it is given: orm::repository<User>(pooled).
template <class T, class Source>
Repository<T> repository(Source& source) {
  return Repository<T>(source);
}

}  // namespace pgkit::orm
