// The statements that load relations in batches: one per relation and level, keys as one array parameter.
#include <pgkit/orm/relations.hpp>

#include "orm/statements.hpp"

#include <fmt/format.h>

namespace pgkit::orm::detail {
namespace {

const Statements& statements_of(const TableMeta& table) {
  if (!table.statements) throw ModelError(fmt::format("{}: metadata without statements", table.model));
  return *table.statements;
}

// The single primary-key column of a relation's side; ModelError for a composite key.
std::size_t single_key(const TableMeta& table, const RelationMeta& relation) {
  if (table.primary_key.size() != 1) {
    throw ModelError(fmt::format("{}: load() supports relations over single-column keys; {} has a composite primary key",
                                 relation.label, table.model));
  }
  return table.primary_key.front();
}

std::size_t single_member(const TableMeta& table, const std::vector<std::string>& members, const RelationMeta& relation) {
  if (members.size() != 1) {
    throw ModelError(fmt::format("{}: load() supports relations over single-column keys", relation.label));
  }
  return table.column_of_member(members.front());
}

void require_key_type(const TableMeta& table, std::size_t column, const RelationMeta& relation) {
  const ColumnMeta& c = table.columns.at(column);
  if (!c.is_integer && !c.is_text) {
    throw ModelError(fmt::format("{}: the key {}::{} must be an integer or std::string member to load the relation",
                                 relation.label, table.model, c.member));
  }
}

std::string qualified_list(const Statements& s, std::string_view alias) {
  std::string list;
  for (const auto& column : s.quoted) {
    if (!list.empty()) list += ", ";
    list += fmt::format("{}.{}", alias, column);
  }
  return list;
}

RelationPlan plan_has_many(const TableMeta& owner, const RelationMeta& relation) {
  const TableMeta& child = relation.target();
  const std::size_t owner_key = single_key(owner, relation);
  const std::size_t child_key = single_member(child, relation.key_members, relation);
  require_key_type(owner, owner_key, relation);
  const Statements& s = statements_of(child);
  const std::string order = child.primary_key.empty() ? s.quoted[child_key] : s.quoted[child.primary_key.front()];
  RelationPlan plan;
  plan.sql = fmt::format("SELECT {} FROM {} WHERE {} = ANY($1) ORDER BY {}", s.select_list, s.table,
                         s.quoted[child_key], order);
  plan.target = &child;
  plan.owner_key_member = owner.columns[owner_key].member_index;
  plan.target_key_member = child.columns[child_key].member_index;
  return plan;
}

RelationPlan plan_belongs_to(const TableMeta& owner, const RelationMeta& relation) {
  const TableMeta& parent = relation.target();
  const std::size_t owner_key = single_member(owner, relation.key_members, relation);
  const std::size_t parent_key = single_key(parent, relation);
  require_key_type(owner, owner_key, relation);
  const Statements& s = statements_of(parent);
  RelationPlan plan;
  plan.sql = fmt::format("SELECT {} FROM {} WHERE {} = ANY($1)", s.select_list, s.table, s.quoted[parent_key]);
  plan.target = &parent;
  plan.owner_key_member = owner.columns[owner_key].member_index;
  plan.target_key_member = parent.columns[parent_key].member_index;
  return plan;
}

RelationPlan plan_many_to_many(const TableMeta& owner, const RelationMeta& relation) {
  const TableMeta& target = relation.target();
  if (relation.through == nullptr) throw ModelError(fmt::format("{}: many_to_many without a join model", relation.label));
  const TableMeta& join = relation.through();
  const std::size_t owner_key = single_key(owner, relation);
  const std::size_t target_key = single_key(target, relation);
  const std::size_t to_owner = single_member(join, relation.key_members, relation);
  const std::size_t to_target = single_member(join, relation.target_key_members, relation);
  require_key_type(owner, owner_key, relation);
  const Statements& t = statements_of(target);
  const Statements& j = statements_of(join);
  RelationPlan plan;
  plan.sql = fmt::format("SELECT j.{0}, {1} FROM {2} AS t JOIN {3} AS j ON j.{4} = t.{5} WHERE j.{0} = ANY($1) "
                         "ORDER BY j.{0}, t.{5}",
                         j.quoted[to_owner], qualified_list(t, "t"), t.table, j.table, j.quoted[to_target],
                         t.quoted[target_key]);
  plan.target = &target;
  plan.owner_key_member = owner.columns[owner_key].member_index;
  plan.key_in_first_column = true;
  return plan;
}

}  // namespace

RelationPlan plan_relation(const TableMeta& owner, const RelationMeta& relation, bool /*text_keys*/) {
  if (relation.target == nullptr) throw ModelError(fmt::format("{}: relation without a target model", relation.label));
  switch (relation.kind) {
    case RelationKind::has_many: return plan_has_many(owner, relation);
    case RelationKind::belongs_to: return plan_belongs_to(owner, relation);
    case RelationKind::many_to_many: return plan_many_to_many(owner, relation);
  }
  throw ModelError(fmt::format("{}: unknown relation kind", relation.label));
}

bool relation_uses_text_keys(const TableMeta& owner, const RelationMeta& relation) {
  const std::size_t column = relation.kind == RelationKind::belongs_to
                                 ? single_member(owner, relation.key_members, relation)
                                 : single_key(owner, relation);
  return owner.columns.at(column).is_text;
}

void throw_bad_key_member(const TableMeta& model, std::size_t member_index) {
  throw ModelError(fmt::format("{}: described member #{} holds no relation key", model.model, member_index));
}

}  // namespace pgkit::orm::detail
