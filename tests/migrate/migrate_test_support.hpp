// Helpers of the migration tests: a throwaway folder of migration files, the catalog as text.
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/migrate.hpp>

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace pgkit::testing {

class TempFolder {
 public:
  TempFolder() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("pgkit-migrate-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  ~TempFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path write(std::string_view name, std::string_view text) const {
    const auto file = path_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out << text;
    return file;
  }

 private:
  std::filesystem::path path_;
};

// Every relation, column, index, constraint and type of the non-system schemas, one line each, sorted:
// two equal results mean the same schema objects.
inline std::string catalog_snapshot(Connection& conn) {
  return conn.query_value<std::string>(
      "SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM ("
      " SELECT 'rel ' || n.nspname || '.' || c.relname || ' ' || c.relkind::text AS x FROM pg_class c"
      "  JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
      "  AND n.nspname NOT LIKE 'pg_toast%'"
      " UNION ALL SELECT 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' ' ||"
      "  format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text FROM pg_attribute a JOIN pg_class c ON c.oid ="
      "  a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE a.attnum > 0 AND NOT a.attisdropped AND"
      "  n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
      " UNION ALL SELECT 'con ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint"
      "  WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)"
      " UNION ALL SELECT 'type ' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace"
      "  WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
      " UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%'"
      ") s");
}

}  // namespace pgkit::testing

namespace pgkit::testing {

// `pg_dump --schema-only --schema=<schema>` of the database `conninfo` names (the server binaries the
// embedded cluster uses). The connection settings reach pg_dump through its environment, not argv.
std::string pg_dump_schema(const std::string& conninfo, const std::string& schema);

}  // namespace pgkit::testing
