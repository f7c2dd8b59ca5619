// Loading relations without N+1: explicit, batched, one statement per level.
//
//   std::vector<User> users = ...;
//   pgkit::orm::load(conn, users, &User::posts);                   // SELECT ... FROM posts WHERE author_id = ANY($1)
//   pgkit::orm::load(conn, users, &User::posts, &Post::comments);  // two statements: posts, then their comments
//   pgkit::orm::load(conn, posts, &Post::author);                  // belongs_to: each author read once, shared
//   pgkit::orm::load(conn, films, &Film::actors);                  // many_to_many: one join through film_actor
//
// What a relation is (its keys, its join table) comes from the models' declarations (has_many,
// belongs_to, many_to_many). The children of every parent come in ONE query (`key = ANY($1)`, the keys
// an array parameter); a nested relation is loaded for all children of the level above, again in one
// query. Parents without a key (a NULL foreign key) get an empty relation; no parents, no statement.
// Loading replaces what a relation held. A relation that was never loaded throws orm::NotLoaded
// naming it ("User::posts"): nothing is ever fetched behind the program's back.
//
// `exec` is a Connection, a pooled connection or a Transaction (anything with connection()). Keys of
// relations must be single integer or string columns (composite keys: ModelError).
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/orm/model.hpp>
#include <pgkit/orm/repository.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

namespace pgkit::orm {

namespace detail {

// A relation key's value: integers of any width compare as int64, strings as text.
using Key = std::variant<std::int64_t, std::string>;

template <class V>
inline constexpr bool is_key_type_v = pgkit::detail::pg_integer<V> || std::is_same_v<V, std::string>;

// The statement that loads one relation for many owners, and where the keys are.
struct RelationPlan {
  std::string sql;                     // $1: the owners' (or for belongs_to, the targets') keys as an array
  const TableMeta* target = nullptr;
  std::size_t owner_key_member = 0;    // the owner's member holding the key the statement is given
  std::size_t target_key_member = 0;   // has_many / belongs_to: the target's member matching it
  bool key_in_first_column = false;    // many_to_many: column 0 is the owner's key, the target's from 1
};
// Built from the declarations (src/orm/relations.cpp); ModelError for composite keys or key members of
// a type that cannot be a relation key.
RelationPlan plan_relation(const TableMeta& owner, const RelationMeta& relation, bool text_keys);

// Whether the owner's key member for `relation` is a string (then keys go as text[]).
bool relation_uses_text_keys(const TableMeta& owner, const RelationMeta& relation);

[[noreturn]] void throw_bad_key_member(const TableMeta& model, std::size_t member_index);

// The key held by member `member_index` of `object`; nullopt when it is NULL.
template <class T>
std::optional<Key> key_of(const T& object, std::size_t member_index) {
  std::optional<Key> key;
  bool found = false;
  std::size_t index = 0;
  boost::mp11::mp_for_each<pgkit::detail::described_fields<T>>([&](auto d) {
    if (index++ != member_index) return;
    found = true;
    using M = descriptor_value<decltype(d)>;
    using V = pgkit::detail::strip_optional_t<M>;
    if constexpr (is_key_type_v<V>) {
      const auto& value = object.*d.pointer;
      if constexpr (pgkit::detail::is_optional_v<M>) {
        if (!value) return;
        if constexpr (std::is_same_v<V, std::string>) key = Key(*value);
        else key = Key(static_cast<std::int64_t>(*value));
      } else if constexpr (std::is_same_v<V, std::string>) {
        key = Key(value);
      } else {
        key = Key(static_cast<std::int64_t>(value));
      }
    }
  });
  if (!found) throw_bad_key_member(meta<T>(), member_index);
  return key;
}

// The key in column `column` of a row: an integer column's as int64, any other's as text (as the
// owners' keys are made from their members).
inline Key key_in(const Row& row, std::size_t column) {
  const Field field = row.field(column);
  const Oid type = field.type();
  if (type == oid::int2 || type == oid::int4 || type == oid::int8) return Key(field.as<std::int64_t>());
  return Key(field.as<std::string>());
}

// T from the row's fields first.. (the repository's decoding: columns in TableMeta order, relation
// members labelled for NotLoaded).
template <class T>
T read_model(const Row& row, std::size_t first) {
  std::array<Field, column_count<T>> fields;
  for (std::size_t i = 0; i < fields.size(); ++i) fields[i] = row.field(first + i);
  return decode<T>(fields.data(), meta<T>());
}

// One row of a relation's statement: the object, and with KeyFirst the owner's key in column 0.
template <class C, bool KeyFirst>
struct Loaded {
  Key key;
  C object;
};

template <class K>
Params key_array(const std::vector<Key>& keys) {
  std::vector<K> values;
  values.reserve(keys.size());
  for (const auto& key : keys) values.push_back(std::get<K>(key));
  Params params;
  params.add(values);
  return params;
}

// Distinct keys, in first-seen order.
inline Params keys_parameter(const std::vector<Key>& keys, bool text_keys) {
  return text_keys ? key_array<std::string>(keys) : key_array<std::int64_t>(keys);
}

template <class E>
Connection& connection_of(E& exec) {
  if constexpr (std::is_same_v<E, Connection>) {
    return exec;
  } else {
    return exec.connection();
  }
}

template <class T, class R>
const RelationMeta& relation_of(R T::*member) {
  return meta<T>().relation(member_name(member));
}

template <class T>
struct relation_target;
template <class C>
struct relation_target<HasMany<C>> {
  using type = C;
};
template <class C>
struct relation_target<ManyToMany<C>> {
  using type = C;
};
template <class C>
struct relation_target<BelongsTo<C>> {
  using type = C;
};

}  // namespace detail
}  // namespace pgkit::orm

// Rows of a relation's statement decoded as they arrive (Connection::query), like any other query.
template <class C, bool KeyFirst>
struct pgkit::detail::RowReader<pgkit::orm::detail::Loaded<C, KeyFirst>> {
  explicit RowReader(const ResultData& /*shape*/) {}
  [[nodiscard]] pgkit::orm::detail::Loaded<C, KeyFirst> read(const Row& row) const {
    if constexpr (KeyFirst) {
      return {pgkit::orm::detail::key_in(row, 0), pgkit::orm::detail::read_model<C>(row, 1)};
    } else {
      return {{}, pgkit::orm::detail::read_model<C>(row, 0)};
    }
  }
};

namespace pgkit::orm {
namespace detail {

template <class T, class R, class... Rest>
void load_level(Connection& conn, const std::vector<T*>& owners, R T::*member, Rest... rest);

template <class C, class... Rest>
void load_nested(Connection& conn, const std::vector<C*>& children, Rest... rest) {
  if constexpr (sizeof...(Rest) > 0) {
    if (!children.empty()) load_level(conn, children, rest...);
  }
}

// has_many and many_to_many: each owner's list, filled from one query.
template <class T, class R, class... Rest>
void load_list(Connection& conn, const std::vector<T*>& owners, R T::*member, const RelationMeta& relation,
               Rest... rest) {
  using C = typename relation_target<R>::type;
  struct Bucket {
    std::vector<C> children;
    std::size_t owners = 0;  // owners sharing this key (a list holding one object twice)
  };
  const bool text_keys = relation_uses_text_keys(meta<T>(), relation);
  const RelationPlan plan = plan_relation(meta<T>(), relation, text_keys);
  std::unordered_map<Key, Bucket> by_key;
  std::vector<Key> keys;
  for (T* owner : owners) {
    auto key = key_of(*owner, plan.owner_key_member);
    if (!key) continue;
    auto [at, added] = by_key.try_emplace(*key);
    ++at->second.owners;
    if (added) keys.push_back(std::move(*key));
  }
  if (!keys.empty()) {
    constexpr bool key_first = std::is_same_v<R, ManyToMany<C>>;
    for (auto& row : conn.query<Loaded<C, key_first>>(plan.sql, keys_parameter(keys, text_keys))) {
      if constexpr (key_first) {
        by_key[std::move(row.key)].children.push_back(std::move(row.object));
      } else if (auto key = key_of(row.object, plan.target_key_member)) {
        by_key[std::move(*key)].children.push_back(std::move(row.object));
      }
    }
  }
  std::vector<C*> children;
  for (T* owner : owners) {
    auto& list = owner->*member;
    list.set_label(relation.label.c_str());
    const auto key = key_of(*owner, plan.owner_key_member);
    const auto found = key ? by_key.find(*key) : by_key.end();
    if (found == by_key.end()) {
      list.set_loaded({});
    } else if (--found->second.owners == 0) {
      list.set_loaded(std::move(found->second.children));
    } else {
      list.set_loaded(found->second.children);
    }
    for (auto& child : list.items()) children.push_back(&child);
  }
  load_nested(conn, children, rest...);
}

// belongs_to: each distinct parent read once and shared by its children.
template <class T, class P, class... Rest>
void load_parent(Connection& conn, const std::vector<T*>& owners, BelongsTo<P> T::*member,
                 const RelationMeta& relation, Rest... rest) {
  const bool text_keys = relation_uses_text_keys(meta<T>(), relation);
  const RelationPlan plan = plan_relation(meta<T>(), relation, text_keys);
  std::unordered_map<Key, std::size_t> index_of;
  std::vector<Key> keys;
  for (T* owner : owners) {
    auto key = key_of(*owner, plan.owner_key_member);
    if (key && index_of.try_emplace(*key, 0).second) keys.push_back(std::move(*key));
  }
  std::vector<P> parents;
  if (!keys.empty()) {
    for (auto& row : conn.query<Loaded<P, false>>(plan.sql, keys_parameter(keys, text_keys))) {
      parents.push_back(std::move(row.object));
    }
  }
  std::vector<P*> pointers;
  for (auto& parent : parents) pointers.push_back(&parent);
  load_nested(conn, pointers, rest...);
  std::unordered_map<Key, std::shared_ptr<const P>> shared;
  for (auto& parent : parents) {
    auto key = key_of(parent, plan.target_key_member);
    if (key) shared.emplace(std::move(*key), std::make_shared<const P>(std::move(parent)));
  }
  for (T* owner : owners) {
    auto& slot = owner->*member;
    slot.set_label(relation.label.c_str());
    const auto key = key_of(*owner, plan.owner_key_member);
    const auto found = key ? shared.find(*key) : shared.end();
    slot.set_loaded(found == shared.end() ? std::shared_ptr<const P>() : found->second);
  }
}

template <class T, class R, class... Rest>
void load_level(Connection& conn, const std::vector<T*>& owners, R T::*member, Rest... rest) {
  static_assert(is_relation_v<R>, "load() takes relation members (HasMany, BelongsTo, ManyToMany)");
  const RelationMeta& relation = relation_of(member);
  if constexpr (std::is_same_v<R, BelongsTo<typename relation_target<R>::type>>) {
    load_parent(conn, owners, member, relation, rest...);
  } else {
    load_list(conn, owners, member, relation, rest...);
  }
}

}  // namespace detail

// Loads `relation` (and then each nested relation, one statement per level) for every object of
// `objects`. Throws ModelError when a member is not a declared relation.
template <class Exec, class T, class R, class... Rest>
void load(Exec& exec, std::vector<T>& objects, R T::*relation, Rest... nested) {
  std::vector<T*> owners;
  owners.reserve(objects.size());
  for (auto& object : objects) owners.push_back(&object);
  detail::load_level(detail::connection_of(exec), owners, relation, nested...);
}

// The same for one object.
template <class Exec, class T, class R, class... Rest>
void load(Exec& exec, T& object, R T::*relation, Rest... nested) {
  detail::load_level(detail::connection_of(exec), std::vector<T*>{&object}, relation, nested...);
}

}  // namespace pgkit::orm
