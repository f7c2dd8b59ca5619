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
#include <pgkit/orm/detail/statements.hpp>
#include <pgkit/orm/filter.hpp>
#include <pgkit/orm/model.hpp>
#include <pgkit/pool.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>

#include <array>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

namespace pgkit::orm {

// What upsert does on a conflict, and on which unique group: ON CONFLICT (<the group's columns>), so
// that a unique index serves as well as a constraint.
struct Upsert {
  std::string unique;                       // a unique group's name (t.unique_named)
  std::vector<std::size_t> member_indexes;  // or the group of these members (upsert_on); both empty: the key
  bool do_nothing = false;                  // false: update every other column from the new row
};
inline Upsert on_conflict_update(std::string unique = {}) {
  return {.unique = std::move(unique), .member_indexes = {}, .do_nothing = false};
}
inline Upsert on_conflict_do_nothing(std::string unique = {}) {
  return {.unique = std::move(unique), .member_indexes = {}, .do_nothing = true};
}

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
// InterfaceError naming the model unless `key` is the type of its key (see insert_many<K>).
void check_key_type(const TableMeta& meta, const std::type_info& key);
void check_result_width(const Result& result, const TableMeta& meta);

enum class SelectKind : std::uint8_t { rows, count, exists, remove };
std::string select_sql(const TableMeta& meta, SelectKind kind, const FilterNode& where,
                       const std::vector<OrderTerm>& order, std::optional<std::int64_t> limit, std::int64_t offset,
                       Params& params);
std::string partial_update_sql(const TableMeta& meta, const std::vector<std::size_t>& member_indexes);
std::string upsert_sql(const TableMeta& meta, const Upsert& upsert, std::uint64_t mask, bool with_key);
// Keyset page: the filter's values go into params first, then the caller adds the values of the
// ordering columns (order_columns, the key's appended), then the limit.
std::string page_sql(const TableMeta& meta, const FilterNode& where, const std::vector<OrderTerm>& order, bool after,
                     Params& params, std::vector<std::size_t>& order_columns);

// The model-independent work on objects, reached through their address and TableMeta's offsets and
// value operations (src/orm/repository.cpp): templates stay thin, compile times short.
// Sets obj's columns from `row` (`columns`: result column per model column; empty: by position).
void decode_row(const TableMeta& meta, const Result& result, std::size_t row, std::span<const std::size_t> columns,
                void* obj);
// Sets obj's columns from `fields`, one per model column in TableMeta order.
void decode_fields(const TableMeta& meta, const Field* fields, void* obj);
template <class T>
T decode(const Field* fields, const TableMeta& meta) {
  T obj{};
  decode_fields(meta, fields, &obj);
  return obj;
}
// The insert's parameters (the generated key first when with_key); returns the mask of server-default
// columns left to the server.
std::uint64_t insert_params(const TableMeta& meta, const void* obj, bool with_key, Params& params);
std::uint64_t insert_mask(const TableMeta& meta, const void* obj);
const std::string& insert_text(const TableMeta& meta, std::uint64_t mask, bool bulk, std::string& scratch);
void add_key(const TableMeta& meta, const void* obj, Params& params);
// A generated single-column key that obj gives a value other than the type's initial one.
bool has_generated_key_value(const TableMeta& meta, const void* obj);
void add_columns(const TableMeta& meta, const void* obj, const std::vector<std::size_t>& columns, Params& params);
// update(obj): the statement's parameters, and the error when it changed no row.
void update_params(const TableMeta& meta, const void* obj, Params& params);
[[noreturn]] void throw_update_missed(const TableMeta& meta, const void* obj);
// insert_many over `count` objects `stride` bytes apart.
void insert_many(Connection& connection, const TableMeta& meta, void* first, std::size_t stride, std::size_t count,
                 const InsertManyOptions& options);

template <class V>
void add_key_part(Params& params, const V& value) {
  if constexpr (pgkit::detail::is_tuple<V>::value) {
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
    const std::uint64_t mask = detail::insert_params(meta_, &obj, false, params_);
    return one(run(detail::insert_text(meta_, mask, false, scratch_sql_), params_));
  }

  // Inserts every object in one transaction; generated keys are reserved first and written into the
  // objects. Pipelined INSERTs below options.copy_threshold rows, a COPY from there on (when no row
  // leaves a server default to the server). Returns the rows inserted.
  std::size_t insert_many(std::span<T> objects, const InsertManyOptions& options = {}) {
    detail::insert_many(conn_, meta_, objects.data(), sizeof(T), objects.size(), options);
    return objects.size();
  }

  // The same, returning the keys in input order: K is the key member's type (std::int64_t for
  // User::id), or std::tuple of the key's member types for a composite key; another K throws
  // InterfaceError naming the model. A temporary vector is accepted here, since the keys come back.
  template <class K>
  std::vector<K> insert_many(std::span<T> objects, const InsertManyOptions& options = {}) {
    detail::check_key_type(meta_, typeid(K));
    insert_many(objects, options);
    std::vector<K> keys;
    keys.reserve(objects.size());
    for (const T& obj : objects) keys.push_back(key_of<K>(obj));
    return keys;
  }
  template <class K>
  std::vector<K> insert_many(std::vector<T>&& objects, const InsertManyOptions& options = {}) {
    return insert_many<K>(std::span<T>(objects), options);
  }

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
    detail::check_count(meta_, "get_all's offset", offset);
    detail::check_count(meta_, "get_all's limit", limit);
    params_.clear();
    params_.add(offset).add(limit);
    return all(run(s().all_page, params_));
  }
  // Keyset pagination by primary key: up to `limit` rows after `key` (a value, or a std::tuple).
  template <class K>
  std::vector<T> get_after(const K& key, std::int64_t limit) {
    detail::check_count(meta_, "get_after's limit", limit);
    params_.clear();
    detail::add_key_part(params_, key);
    detail::check_key_count(meta_, params_.size());
    params_.add(limit);
    return all(run(s().after_key, params_));
  }
  // Keyset pagination in `query`'s order (all ascending or all descending), with the primary key as
  // the tie-breaker: the page of query.limit() rows after `last` (nullptr: the first page). Ordering
  // columns must be non-null (a std::optional one throws InterfaceError naming it: a row comparison
  // with NULL would skip its rows).
  std::vector<T> page_after(const Query<T>& query, const T* last, const Filter<T>& where = {}) {
    if (!query.limit()) throw InterfaceError(meta_.model + ": page_after needs the page size (Query::limit)");
    detail::check_count(meta_, "page_after's page size (Query::limit)", *query.limit(), true);
    Params params;
    std::vector<std::size_t> order_columns;
    const std::string sql =
        detail::page_sql(meta_, where.node(), query.order(), last != nullptr, params, order_columns);
    if (last != nullptr) detail::add_columns(meta_, last, order_columns, params);
    params.add(*query.limit());
    return all(run(sql, params));
  }

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
    std::vector<T> rows(result.size());
    for (std::size_t i = 0; i < rows.size(); ++i) detail::decode_row(meta_, result, i, columns, &rows[i]);
    return rows;
  }

  // Updates every column of obj's row (found by its key) and returns the row as stored: NotFound when
  // there is no such row. A versioned model's row must still have obj's version (StaleObject
  // otherwise, and nothing changes); the stored row has version + 1.
  T update(const T& obj) {
    Params params;
    detail::update_params(meta_, &obj, params);
    const Result result = run(s().update, params);
    if (result.empty()) detail::throw_update_missed(meta_, &obj);
    return one(result);
  }
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

  // INSERT ... ON CONFLICT: the stored row, or std::nullopt when do_nothing met a conflict. On the
  // primary key, a generated key is sent as the object has it, unless it still has its initial value
  // (id 0: a new object), which is left to the server; keys are never rewritten.
  std::optional<T> upsert(const T& obj, const Upsert& on_conflict = {}) {
    const bool with_key = on_conflict.unique.empty() && on_conflict.member_indexes.empty() &&
                          detail::has_generated_key_value(meta_, &obj);
    Params params;
    const std::uint64_t mask = detail::insert_params(meta_, &obj, with_key, params);
    return optional(run(detail::upsert_sql(meta_, on_conflict, mask, with_key), params));
  }

  // upsert on the unique group of exactly these members: upsert_on(user, &User::username).
  template <class... M>
  std::optional<T> upsert_on(const T& obj, M T::*... members) {
    static_assert(sizeof...(M) > 0, "upsert_on: name the unique group's members");
    Upsert on_conflict;
    on_conflict.member_indexes = {detail::member_index(members)...};
    return upsert(obj, on_conflict);
  }

  // Deletes the row with this key; false when there was none.
  template <class... K>
  bool remove(const K&... key) {
    params_.clear();
    (detail::add_key_part(params_, key), ...);
    detail::check_key_count(meta_, params_.size());
    return run(s().remove, params_).affected_rows() > 0;
  }
  // Deletes the rows matching `where`; an empty filter (which matches every row) is refused with
  // InterfaceError, so that a forgotten condition never empties the table: say remove_all() instead.
  std::int64_t remove_where(const Filter<T>& where) {
    if (where.node().kind == detail::FilterNode::Kind::always) {
      throw InterfaceError(meta_.model +
                           ": remove_where with an empty filter would delete every row; "
                           "call remove_all() to mean that");
    }
    Params params;
    const std::string sql = detail::select_sql(meta_, detail::SelectKind::remove, where.node(), {}, {}, 0, params);
    return run(sql, params).affected_rows();
  }
  // Deletes every row of the table; returns how many.
  std::int64_t remove_all() {
    Params params;
    const std::string sql = detail::select_sql(meta_, detail::SelectKind::remove, {}, {}, {}, 0, params);
    return run(sql, params).affected_rows();
  }

 protected:
  const detail::Statements& s() const { return detail::statements(meta_); }

  // obj's key, K checked against the key's members by check_key_type.
  template <class K>
  K key_of(const T& obj) const {
    const auto* base = reinterpret_cast<const char*>(&obj);
    const auto member = [&]<class V>(std::size_t part) -> const V& {
      return *reinterpret_cast<const V*>(base + meta_.columns[meta_.primary_key[part]].offset);
    };
    if constexpr (pgkit::detail::is_tuple<K>::value) {
      return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return K(member.template operator()<std::tuple_element_t<I, K>>(I)...);
      }
      (std::make_index_sequence<std::tuple_size_v<K>>());
    } else {
      return member.template operator()<K>(0);
    }
  }

  Result run(std::string_view sql, const Params& params) {
    try {
      return conn_.exec(sql, params);
    } catch (const DatabaseError&) {
      detail::rethrow_with_model(meta_);
    }
  }
  std::vector<T> all(const Result& result) {
    detail::check_result_width(result, meta_);
    std::vector<T> rows(result.size());
    for (std::size_t i = 0; i < rows.size(); ++i) detail::decode_row(meta_, result, i, {}, &rows[i]);
    return rows;
  }
  std::optional<T> optional(const Result& result) {
    if (result.empty()) return std::nullopt;
    return one(result);
  }
  T one(const Result& result) {
    (void)result.one();  // UnexpectedRowCount unless exactly one
    detail::check_result_width(result, meta_);
    T obj{};
    detail::decode_row(meta_, result, 0, {}, &obj);
    return obj;
  }

  Connection& conn_;
  const TableMeta& meta_;
  Params params_;
  std::string scratch_sql_;
};

// A repository for T over whatever it is given: orm::repository<User>(pooled).
template <class T, class Source>
Repository<T> repository(Source& source) {
  return Repository<T>(source);
}

}  // namespace pgkit::orm
