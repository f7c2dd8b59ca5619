// Connecting, running statements, and what the connection tells about itself.
#include "connection_helpers.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <string>

namespace {

using pgkit::testing::DatabaseTest;
using pgkit::testing::ScopedEnv;

// Where the suite's database lives, read from a working connection so the tests build their own
// conninfo strings in each syntax.
struct ServerAddress {
  std::string host;
  std::string port;
  std::string user;
  std::string dbname;
};

std::string percent_encode(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string quote_keyword_value(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

class ConnectionBasics : public DatabaseTest {
 protected:
  static ServerAddress address() {
    auto conn = connect();
    return {conn.host(), conn.query_value<std::string>("SELECT current_setting('port')"), conn.user(), conn.database()};
  }
  // The application_name the server sees for `conn`, which tells which setting won.
  static std::string application_name(pgkit::Connection& conn) {
    return conn.query_value<std::string>("SELECT current_setting('application_name')");
  }
};

TEST_F(ConnectionBasics, RunsAStatementAndReadsItsValue) {
  auto conn = connect();
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
  EXPECT_EQ(conn.query_value<int>("SELECT $1::int + 1", 41), 42);
  EXPECT_EQ(conn.database(), database_name());
  EXPECT_GE(conn.server_version(), 150000);
  EXPECT_GT(conn.backend_pid(), 0);
}

TEST_F(ConnectionBasics, ConnectsFromAUri) {
  const auto a = address();
  const std::string uri = fmt::format("postgresql://{}@/{}?host={}&port={}&application_name=from_uri",
                                      percent_encode(a.user), percent_encode(a.dbname), percent_encode(a.host), a.port);
  pgkit::Connection conn(uri);
  EXPECT_EQ(conn.database(), database_name());
  EXPECT_EQ(conn.user(), a.user);
  EXPECT_EQ(application_name(conn), "from_uri");
}

TEST_F(ConnectionBasics, ConnectsFromAKeywordString) {
  const auto a = address();
  const std::string conninfo =
      fmt::format("host={} port={} user={} dbname={} application_name=from_keywords", quote_keyword_value(a.host),
                  a.port, quote_keyword_value(a.user), quote_keyword_value(a.dbname));
  pgkit::Connection conn(conninfo);
  EXPECT_EQ(conn.database(), database_name());
  EXPECT_EQ(conn.host(), a.host);
  EXPECT_EQ(application_name(conn), "from_keywords");
}

TEST_F(ConnectionBasics, OptionFieldsOverrideTheConninfo) {
  // The conninfo names the maintenance database and a port nothing listens on; the fields must win.
  const auto a = address();
  pgkit::ConnectOptions options;
  options.conninfo = pgkit::testing::conninfo_for("postgres") + " port=1 application_name=from_conninfo";
  options.port = static_cast<std::uint16_t>(std::stoi(a.port));
  options.dbname = database_name();
  options.application_name = "from_field";
  options.parameters = {{"options", "-c search_path=pgkit_probe"}};
  pgkit::Connection conn(options);
  EXPECT_EQ(conn.database(), database_name());
  EXPECT_EQ(application_name(conn), "from_field");
  EXPECT_EQ(conn.query_value<std::string>("SHOW search_path"), "pgkit_probe");
}

TEST_F(ConnectionBasics, ReadsLibpqEnvironmentVariables) {
  const auto a = address();
  const ScopedEnv host("PGHOST", a.host);
  const ScopedEnv port("PGPORT", a.port);
  const ScopedEnv user("PGUSER", a.user);
  const ScopedEnv dbname("PGDATABASE", a.dbname);
  const ScopedEnv app("PGAPPNAME", "from_environment");
  pgkit::Connection conn(std::string_view{});
  EXPECT_EQ(conn.database(), database_name());
  EXPECT_EQ(application_name(conn), "from_environment");
  // An explicit setting still beats the environment.
  pgkit::Connection explicit_db(pgkit::ConnectOptions{.dbname = "postgres"});
  EXPECT_EQ(explicit_db.database(), "postgres");
}

TEST_F(ConnectionBasics, MultiHostSkipsAnUnreachableHost) {
  const auto a = address();
  pgkit::ConnectOptions options;
  options.conninfo = database_url();
  options.host = "/nonexistent-pgkit-socket-dir," + a.host;
  options.target_session_attrs = "read-write";
  pgkit::Connection conn(options);
  EXPECT_EQ(conn.host(), a.host);
  EXPECT_EQ(conn.query_value<int>("SELECT 7"), 7);
}

TEST_F(ConnectionBasics, ReportsServerInformation) {
  auto conn = connect();
  const int version = conn.query_value<int>("SELECT current_setting('server_version_num')::int");
  EXPECT_EQ(conn.server_version(), version);
  EXPECT_EQ(conn.parameter_status("server_encoding"), "UTF8");
  EXPECT_EQ(conn.parameter_status("no_such_parameter"), std::nullopt);
  EXPECT_EQ(conn.database(), database_name());
  EXPECT_EQ(conn.user(), conn.query_value<std::string>("SELECT current_user"));
  EXPECT_FALSE(conn.host().empty());
  EXPECT_EQ(conn.backend_pid(), conn.query_value<int>("SELECT pg_backend_pid()"));
  EXPECT_TRUE(conn.is_open());
  const std::string description = conn.describe();
  EXPECT_NE(description.find(database_name()), std::string::npos) << description;
}

TEST_F(ConnectionBasics, TracksTransactionStatus) {
  auto conn = connect();
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  conn.execute_script("BEGIN");
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
  EXPECT_THROW(conn.exec("SELECT 1/0"), pgkit::DivisionByZero);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
  conn.execute_script("ROLLBACK");
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(ConnectionBasics, ClosedConnectionRefusesWork) {
  auto conn = connect();
  conn.close();
  EXPECT_FALSE(conn.is_open());
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::InterfaceError);
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::unknown);
  EXPECT_EQ(conn.parameter_status("server_encoding"), std::nullopt);
}

TEST_F(ConnectionBasics, MovedConnectionKeepsItsSession) {
  auto first = connect();
  const int pid = first.backend_pid();
  pgkit::Connection second = std::move(first);
  EXPECT_EQ(second.backend_pid(), pid);
  EXPECT_EQ(second.query_value<int>("SELECT pg_backend_pid()"), pid);
}

TEST_F(ConnectionBasics, AMovedFromConnectionFailsClearlyInsteadOfCrashing) {
  auto first = connect();
  pgkit::Connection second = std::move(first);
  EXPECT_FALSE(first.is_open());  // NOLINT(bugprone-use-after-move): that is the point
  EXPECT_THROW(first.exec("SELECT 1"), pgkit::InterfaceError);
  EXPECT_THROW((void)first.backend_pid(), pgkit::InterfaceError);
  EXPECT_EQ(second.query_value<int>("SELECT 1"), 1);
}

TEST_F(ConnectionBasics, AutomaticStatementNamesAreReserved) {
  auto conn = connect();
  EXPECT_THROW(conn.prepare("pgkit_0", "SELECT 1"), pgkit::InterfaceError);
  // The cache's own statement of that name keeps working.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(conn.query_value<int>("SELECT 2"), 2);
}

}  // namespace
