// DDL from models: CREATE TABLE IF NOT EXISTS for a set of models in foreign-key order (a table after
// the tables it references), DROP TABLE IF EXISTS in the reverse order, and the text itself so that it
// can go into a migration file instead.
//
//   pgkit::orm::create_all<User, Post>(conn);            // in one transaction
//   std::string ddl = pgkit::orm::sql_for_create<User, Post>();
//   pgkit::orm::drop_all<User, Post>(conn);
//
// Names are quoted by pgkit::sql::Identifier. Models the set references but does not contain must
// exist already. A cycle of foreign keys between different tables is a ModelError (create such tables
// with a migration: one of the keys has to be added by ALTER TABLE afterwards).
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/orm/model.hpp>

#include <string>
#include <vector>

namespace pgkit::orm {

namespace detail {
// Every model's statements, in dependency order; creating or dropping.
std::vector<std::string> create_statements(const std::vector<const TableMeta*>& models);
std::vector<std::string> drop_statements(const std::vector<const TableMeta*>& models);
// Runs them in one transaction (a savepoint inside the caller's).
void run_ddl(Connection& connection, const std::vector<std::string>& statements);
}  // namespace detail

// Checks what a model says about others: foreign keys and relations name columns of their targets.
// ModelError naming the model and member otherwise. create_all runs it for every model.
void check_links(const TableMeta& meta);

template <class... Models>
std::vector<const TableMeta*> metas() {
  return {&meta<Models>()...};
}

// The DDL, one statement per entry, in the order create_all runs it.
template <class... Models>
std::vector<std::string> create_statements() {
  return detail::create_statements(metas<Models...>());
}

// The DDL as one text: statements ended by ";" and a blank line between tables.
template <class... Models>
std::string sql_for_create() {
  std::string out;
  for (const auto& statement : detail::create_statements(metas<Models...>())) out += statement + ";\n\n";
  if (!out.empty()) out.resize(out.size() - 1);
  return out;
}

template <class... Models>
void create_all(Connection& connection) {
  detail::run_ddl(connection, detail::create_statements(metas<Models...>()));
}

template <class... Models>
void drop_all(Connection& connection) {
  detail::run_ddl(connection, detail::drop_statements(metas<Models...>()));
}

}  // namespace pgkit::orm
