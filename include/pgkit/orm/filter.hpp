// Typed filters, orderings and changes for repositories. A column is named by its member pointer, never
// by a string; values always travel as parameters.
//
//   using pgkit::orm::col;
//   repo.find_by(col(&User::email) == "ann@example.com");
//   repo.find_by((col(&Post::score) >= 10 && !col(&Post::content).is_null()) || col(&Post::id).in({1, 2}),
//                pgkit::orm::Query<Post>().order_by(&Post::score, pgkit::orm::desc).limit(20));
//   repo.update(id, pgkit::orm::set(&User::email, "new@example.com"));
#pragma once

#include <pgkit/orm/model.hpp>
#include <pgkit/params.hpp>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace pgkit::orm {

namespace detail {

// One node of a filter: a leaf on a column, or a combination of filters. Leaves keep their values as
// small functions that append them to the statement's Params when it is rendered (numbering the
// placeholders in the order they appear).
struct FilterNode {
  enum class Kind : std::uint8_t {
    compare,
    any,
    is_null,
    is_not_null,
    like,
    ilike,
    between,
    all_of,
    any_of,
    negate,
    always
  };
  Kind kind = Kind::always;
  std::size_t member_index = 0;  // leaves: the described member (mapped to its column when rendered)
  const char* op = "";           // compare: =, <>, <, <=, >, >=
  std::vector<std::function<void(Params&)>> values;
  std::vector<FilterNode> children;
};

// InterfaceError "<model>: <argument> must be >= 0 (or > 0 when `positive`), got <value>".
void check_count(const TableMeta& meta, const char* argument, std::int64_t value, bool positive = false);

// Appends the node's SQL to `sql` and its values to `params` (src/orm/filter.cpp).
void render_filter(const FilterNode& node, const TableMeta& meta, std::string& sql, Params& params);

template <class V>
std::function<void(Params&)> value_adder(V value) {
  return [value = std::move(value)](Params& params) { params.add(value); };
}

}  // namespace detail

// A condition on rows of T. Combine with &&, || and !.
template <class T>
class Filter {
 public:
  Filter() = default;  // every row
  explicit Filter(detail::FilterNode node) : node_(std::move(node)) {}
  [[nodiscard]] const detail::FilterNode& node() const noexcept { return node_; }

  friend Filter operator&&(Filter a, Filter b) {
    return combine(detail::FilterNode::Kind::all_of, std::move(a), std::move(b));
  }
  friend Filter operator||(Filter a, Filter b) {
    return combine(detail::FilterNode::Kind::any_of, std::move(a), std::move(b));
  }
  friend Filter operator!(Filter a) {
    detail::FilterNode node;
    node.kind = detail::FilterNode::Kind::negate;
    node.children.push_back(std::move(a.node_));
    return Filter(std::move(node));
  }

 private:
  static Filter combine(detail::FilterNode::Kind kind, Filter a, Filter b) {
    detail::FilterNode node;
    node.kind = kind;
    node.children.push_back(std::move(a.node_));
    node.children.push_back(std::move(b.node_));
    return Filter(std::move(node));
  }
  detail::FilterNode node_;
};

// A column of T through its member: col(&User::email) == "x".
template <class T, class M>
class Column {
 public:
  using Value = pgkit::detail::strip_optional_t<M>;
  explicit Column(M T::*member) : member_index_(detail::member_index(member)) {}

  template <class V>
  friend Filter<T> operator==(const Column& c, const V& v) {
    return c.compare("=", v);
  }
  template <class V>
  friend Filter<T> operator!=(const Column& c, const V& v) {
    return c.compare("<>", v);
  }
  template <class V>
  friend Filter<T> operator<(const Column& c, const V& v) {
    return c.compare("<", v);
  }
  template <class V>
  friend Filter<T> operator<=(const Column& c, const V& v) {
    return c.compare("<=", v);
  }
  template <class V>
  friend Filter<T> operator>(const Column& c, const V& v) {
    return c.compare(">", v);
  }
  template <class V>
  friend Filter<T> operator>=(const Column& c, const V& v) {
    return c.compare(">=", v);
  }

  // column = ANY($1): one array parameter, however many values.
  [[nodiscard]] Filter<T> in(std::vector<Value> values) const {
    auto node = leaf(detail::FilterNode::Kind::any);
    node.values.push_back(detail::value_adder(std::move(values)));
    return Filter<T>(std::move(node));
  }
  [[nodiscard]] Filter<T> in(std::initializer_list<Value> values) const { return in(std::vector<Value>(values)); }
  [[nodiscard]] Filter<T> is_null() const { return Filter<T>(leaf(detail::FilterNode::Kind::is_null)); }
  [[nodiscard]] Filter<T> is_not_null() const { return Filter<T>(leaf(detail::FilterNode::Kind::is_not_null)); }
  // LIKE / ILIKE with the pattern as a parameter (escape % and _ in user input yourself).
  [[nodiscard]] Filter<T> like(std::string pattern) const {
    return pattern_leaf(detail::FilterNode::Kind::like, std::move(pattern));
  }
  [[nodiscard]] Filter<T> ilike(std::string pattern) const {
    return pattern_leaf(detail::FilterNode::Kind::ilike, std::move(pattern));
  }
  // low <= column AND column <= high.
  template <class A, class B>
  [[nodiscard]] Filter<T> between(const A& low, const B& high) const {
    auto node = leaf(detail::FilterNode::Kind::between);
    node.values.push_back(detail::value_adder(Value(low)));
    node.values.push_back(detail::value_adder(Value(high)));
    return Filter<T>(std::move(node));
  }

 private:
  [[nodiscard]] detail::FilterNode leaf(detail::FilterNode::Kind kind) const {
    detail::FilterNode node;
    node.kind = kind;
    node.member_index = member_index_;
    return node;
  }
  template <class V>
  [[nodiscard]] Filter<T> compare(const char* op, const V& value) const {
    auto node = leaf(detail::FilterNode::Kind::compare);
    node.op = op;
    node.values.push_back(detail::value_adder(Value(value)));
    return Filter<T>(std::move(node));
  }
  [[nodiscard]] Filter<T> pattern_leaf(detail::FilterNode::Kind kind, std::string pattern) const {
    auto node = leaf(kind);
    node.values.push_back(detail::value_adder(std::move(pattern)));
    return Filter<T>(std::move(node));
  }
  std::size_t member_index_;
};

template <class T, class M>
Column<T, M> col(M T::*member) {
  static_assert(!detail::is_relation_v<M>, "a relation member is not a column");
  return Column<T, M>(member);
}

enum class Direction : std::uint8_t { asc, desc };
inline constexpr Direction asc = Direction::asc;
inline constexpr Direction desc = Direction::desc;

struct OrderTerm {
  std::size_t member_index = 0;
  Direction direction = Direction::asc;
};

// ORDER BY, LIMIT and OFFSET for find_by and the keyset pages.
template <class T>
class Query {
 public:
  template <class M>
  Query& order_by(M T::*member, Direction direction = Direction::asc) {
    static_assert(!detail::is_relation_v<M>, "a relation member is not a column");
    order_.push_back({detail::member_index(member), direction});
    return *this;
  }
  Query& limit(std::int64_t count) {
    detail::check_count(meta<T>(), "Query::limit", count);
    limit_ = count;
    return *this;
  }
  Query& offset(std::int64_t count) {
    detail::check_count(meta<T>(), "Query::offset", count);
    offset_ = count;
    return *this;
  }
  [[nodiscard]] const std::vector<OrderTerm>& order() const noexcept { return order_; }
  [[nodiscard]] std::optional<std::int64_t> limit() const noexcept { return limit_; }
  [[nodiscard]] std::int64_t offset() const noexcept { return offset_; }

 private:
  std::vector<OrderTerm> order_;
  std::optional<std::int64_t> limit_;
  std::int64_t offset_ = 0;
};

// One column's new value for update(key, changes...): set(&User::email, "x").
template <class T>
struct Change {
  std::size_t member_index = 0;
  std::function<void(Params&)> value;
};

template <class T, class M, class V>
Change<T> set(M T::*member, V&& value) {
  static_assert(!detail::is_relation_v<M>, "a relation member is not a column");
  return {detail::member_index(member), detail::value_adder(M(std::forward<V>(value)))};
}

}  // namespace pgkit::orm
