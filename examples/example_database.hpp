// Where the examples' database comes from: DATABASE_URL when set, else a throwaway embedded cluster
// that lives as long as this object.
#pragma once

#include <pgkit/embedded.hpp>

#include <optional>
#include <string>

class ExampleDatabase {
 public:
  ExampleDatabase() {
    if (auto url = pgkit::embedded::database_url_from_environment()) {
      conninfo_ = *url;
    } else {
      cluster_.emplace(pgkit::embedded::Cluster::make_throwaway());
      cluster_->start();
      conninfo_ = cluster_->uri();
    }
  }
  [[nodiscard]] const std::string& conninfo() const { return conninfo_; }

 private:
  std::optional<pgkit::embedded::Cluster> cluster_;
  std::string conninfo_;
};
