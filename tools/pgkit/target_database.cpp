#include "target_database.hpp"

#include <fmt/format.h>

namespace pgkit::cli {

std::string TargetDatabase::describe() const {
  if (cluster) {
    return fmt::format("embedded cluster in {} (socket folder {})", cluster->data_directory().string(),
                       cluster->socket_directory().string());
  }
  return url.empty() ? std::string("the server named by libpq's PG* environment variables")
                     : std::string("the server named by DATABASE_URL");
}

TargetDatabase resolve_target_database() {
  TargetDatabase target;
  if (auto url = embedded::database_url_from_environment()) {
    target.url = *url;
    return target;
  }
  target.cluster.emplace(embedded::Cluster::make_default());
  target.cluster->start();
  target.url = target.cluster->uri();
  return target;
}

}  // namespace pgkit::cli
