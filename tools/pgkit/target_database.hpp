// Which database a command talks to: DATABASE_URL (or libpq's PG* variables) when given, else the
// embedded cluster, started on demand.
#pragma once

#include <pgkit/embedded.hpp>

#include <optional>
#include <string>

namespace pgkit::cli {

struct TargetDatabase {
  std::string url;                               // conninfo to hand to libpq ("" = libpq's PG* variables)
  std::optional<embedded::Cluster> cluster;      // set when the embedded cluster is used
  [[nodiscard]] std::string describe() const;    // where the database lives, for humans (no password)
};

TargetDatabase resolve_target_database();

}  // namespace pgkit::cli
