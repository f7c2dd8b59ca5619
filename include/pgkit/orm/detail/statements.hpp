// The SQL text of a model's statements, built once with its metadata (never per call), so that the
// driver's statement cache sees the same text every time and prepares it. Names are quoted by
// pgkit::sql::Identifier; values are always $n parameters.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace pgkit::orm::detail {

// Most variants of an insert with server-default columns that are built in advance (2^this): beyond,
// a variant's text is built when needed.
inline constexpr std::size_t max_cached_default_columns = 6;

struct Statements {
  std::string table;                   // the quoted, possibly qualified, table name
  std::vector<std::string> quoted;     // each column's quoted name
  std::string select_list;             // every column, in TableMeta order
  std::vector<std::size_t> positions;  // 0, 1, ...: the result columns of select_list
  std::string select_from;             // SELECT <list> FROM <table>
  std::string key_list;                // the primary key's columns: "id" or "a", "b"
  std::string key_match;               // "id" = $1 AND ... for the key as the first parameters
  std::string get;                     // select_from WHERE key_match
  std::string count;                   // SELECT count(*) FROM <table>
  std::string remove;                  // DELETE FROM <table> WHERE key_match
  std::string all_page;                // select_from ORDER BY key OFFSET $1 LIMIT $2
  std::string after_key;               // select_from WHERE (key) > ($1..) ORDER BY key LIMIT $k+1
  // UPDATE of every updatable column: values first (update_columns), then the key, then the version.
  std::string update;
  std::vector<std::size_t> update_columns;
  // Inserts: columns given by the program (generated keys left out); among them the nullable ones with
  // a server default, left out when empty (bit i of a variant's mask: defaulted[i] left out).
  std::vector<std::size_t> insert_columns;
  std::vector<std::size_t> defaulted;
  std::vector<std::string> inserts;       // by mask, RETURNING every column
  std::vector<std::string> bulk_inserts;  // by mask, with the generated key too, no RETURNING
  std::string next_keys;                  // $1 new keys for a generated primary key (empty: natural)
};

}  // namespace pgkit::orm::detail
