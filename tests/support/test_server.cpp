#include "test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/embedded.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace pgkit::testing {
namespace {

// Owns the server for this test binary. A GoogleTest environment so that a throwaway cluster is
// stopped when the tests end, before static destruction.
class ServerEnvironment : public ::testing::Environment {
 public:
  static ServerEnvironment& instance() {
    // GoogleTest owns registered environments and deletes them at exit.
    static ServerEnvironment* env = [] {
      auto owned = std::make_unique<ServerEnvironment>();
      auto* raw = owned.get();
      ::testing::AddGlobalTestEnvironment(owned.release());
      return raw;
    }();
    return *env;
  }

  const std::string& conninfo() {
    std::call_once(started_, [this] { conninfo_ = locate_server(); });
    return conninfo_;
  }

  void TearDown() override { cluster_.reset(); }

 private:
  std::string locate_server() {
    for (const char* name : {"PGKIT_TEST_DATABASE_URL", "DATABASE_URL"}) {
      if (const char* url = std::getenv(name); url != nullptr && *url != '\0') return url;
    }
    if (const char* home = std::getenv("PGKIT_TEST_CLUSTER_HOME"); home != nullptr && *home != '\0') {
      embedded::ClusterOptions options;
      options.home = home;
      options.durable = false;
      cluster_.emplace(std::move(options));
      if (!cluster_->running()) cluster_->start();
      std::string uri = cluster_->uri();
      cluster_.reset();  // the fixture owns it; dropping our handle leaves it running
      return uri;
    }
    cluster_.emplace(embedded::Cluster::make_throwaway());
    cluster_->start();
    return cluster_->uri();
  }

  std::once_flag started_;
  std::string conninfo_;
  std::optional<embedded::Cluster> cluster_;
};

std::string quote_conninfo_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string& suite_database() {
  static std::string name;
  return name;
}
std::string& suite_url() {
  static std::string url;
  return url;
}

}  // namespace

const std::string& server_conninfo() { return ServerEnvironment::instance().conninfo(); }

std::string conninfo_for(std::string_view database) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(
      PQconninfoParse(server_conninfo().c_str(), &error), &PQconninfoFree);
  if (!options) {
    PQfreemem(error);
    throw std::runtime_error("cannot parse the test server's conninfo");
  }
  std::string conninfo;
  for (auto* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || std::string_view(option->keyword) == "dbname") continue;
    conninfo += fmt::format("{}={} ", option->keyword, quote_conninfo_value(option->val));
  }
  return conninfo + "dbname=" + quote_conninfo_value(database);
}

std::string create_database(std::string_view hint) {
  static std::atomic<int> counter{0};
  std::string name = fmt::format("t_{}_{}_", ::getpid(), counter++);
  for (char c : hint) {
    if (name.size() >= 63) break;
    name += std::isalnum(static_cast<unsigned char>(c)) != 0 ? static_cast<char>(std::tolower(c)) : '_';
  }
  pgkit::Connection conn(server_conninfo());
  conn.exec(pgkit::sql::SQL("CREATE DATABASE {}").format(pgkit::sql::Identifier(name)));
  return name;
}

void drop_database(std::string_view name) {
  pgkit::Connection conn(server_conninfo());
  conn.exec(pgkit::sql::SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgkit::sql::Identifier(name)));
}

void DatabaseTest::SetUpTestSuite() {
  const auto* suite = ::testing::UnitTest::GetInstance()->current_test_suite();
  suite_database() = create_database(suite != nullptr ? suite->name() : "suite");
  suite_url() = conninfo_for(suite_database());
}

void DatabaseTest::TearDownTestSuite() {
  if (suite_database().empty()) return;
  drop_database(suite_database());
  suite_database().clear();
  suite_url().clear();
}

const std::string& DatabaseTest::database_url() { return suite_url(); }
const std::string& DatabaseTest::database_name() { return suite_database(); }

}  // namespace pgkit::testing
