// Connecting over TCP with passwords, connection failures, and keeping passwords out of every message.
// These tests run their own server: the shared test server trusts its Unix socket and has no TCP listener.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/embedded.hpp>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using pgkit::testing::ScopedEnv;
namespace fs = std::filesystem;

// Distinctive enough that finding it anywhere in a message can only mean a leak.
constexpr std::string_view kSecret = "Pgkit-Secret-7f3a91c-Zq";

// Checks that an exception's message carries no trace of the secret password.
template <class Exception, class Action>
std::string expect_throw_without_secret(Action&& action) {
  try {
    std::forward<Action>(action)();
  } catch (const Exception& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find(kSecret), std::string::npos) << "the password leaked: " << message;
    return message;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "expected " << typeid(Exception).name() << ", got " << typeid(e).name() << ": " << e.what();
    return {};
  }
  ADD_FAILURE() << "expected " << typeid(Exception).name() << " but nothing was thrown";
  return {};
}

class ConnectionAuth : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    pgkit::embedded::ClusterOptions options;
    options.listen_tcp = true;
    options.durable = false;
    cluster_.emplace(pgkit::embedded::Cluster::make_throwaway(std::move(options)));
    cluster_->start();
  }
  static void TearDownTestSuite() { cluster_.reset(); }

 protected:
  static pgkit::embedded::Cluster& cluster() { return *cluster_; }
  static std::uint16_t port() { return *cluster_->tcp_port(); }
  static fs::path passfile() { return cluster_->home() / "pgpass"; }

  // The superuser's password, from the cluster's passfile ("*:*:*:user:password").
  static std::string password() {
    std::ifstream in(passfile());
    std::string line;
    std::getline(in, line);
    return line.substr(line.rfind(':') + 1);
  }

  // Options reaching the cluster over TCP, with no password from anywhere unless the test adds one.
  static pgkit::ConnectOptions tcp_options() {
    pgkit::ConnectOptions options;
    options.host = "127.0.0.1";
    options.port = port();
    options.user = cluster_->options().superuser;
    options.dbname = "postgres";
    options.sslmode = "disable";
    options.parameters = {{"passfile", "/nonexistent-pgkit-passfile"}};
    return options;
  }

 private:
  static inline std::optional<pgkit::embedded::Cluster> cluster_;
};

TEST_F(ConnectionAuth, ConnectsWithTheClustersTcpUriAndPassfile) {
  pgkit::Connection conn(cluster().tcp_uri());
  EXPECT_EQ(conn.host(), "127.0.0.1");
  EXPECT_EQ(conn.query_value<bool>("SELECT inet_server_addr() IS NOT NULL"), true);
}

TEST_F(ConnectionAuth, ConnectsWithThePasswordField) {
  auto options = tcp_options();
  options.password = password();
  pgkit::Connection conn(options);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
  EXPECT_EQ(conn.describe().find(options.password), std::string::npos) << conn.describe();

  const std::string uri = fmt::format("postgresql://{}:{}@127.0.0.1:{}/postgres?sslmode=disable&passfile=/nonexistent",
                                      cluster().options().superuser, options.password, port());
  pgkit::Connection from_uri(uri);
  EXPECT_EQ(from_uri.describe().find(options.password), std::string::npos) << from_uri.describe();
  EXPECT_EQ(pgkit::redact_conninfo(uri).find(options.password), std::string::npos);
}

TEST_F(ConnectionAuth, ReadsPasswordFromPgpassFileInTheEnvironment) {
  // A copy of the passfile named by PGPASSFILE, with every other setting from PG* variables too.
  const fs::path copy = cluster().home() / "copied-pgpass";
  fs::copy_file(passfile(), copy, fs::copy_options::overwrite_existing);
  fs::permissions(copy, fs::perms::owner_read | fs::perms::owner_write);
  const ScopedEnv host("PGHOST", "127.0.0.1");
  const ScopedEnv port_env("PGPORT", std::to_string(port()));
  const ScopedEnv user("PGUSER", cluster().options().superuser);
  const ScopedEnv dbname("PGDATABASE", "postgres");
  const ScopedEnv sslmode("PGSSLMODE", "disable");
  const ScopedEnv passfile_env("PGPASSFILE", copy.string());
  pgkit::Connection conn(std::string_view{});
  EXPECT_EQ(conn.host(), "127.0.0.1");
  EXPECT_EQ(conn.database(), "postgres");
}

TEST_F(ConnectionAuth, ReadsPasswordFromPgpasswordInTheEnvironment) {
  const ScopedEnv password_env("PGPASSWORD", password());
  pgkit::Connection conn(tcp_options());
  EXPECT_EQ(conn.query_value<int>("SELECT 2"), 2);
}

TEST_F(ConnectionAuth, MissingPasswordIsAConnectionFailure) {
  EXPECT_THROW(pgkit::Connection{tcp_options()}, pgkit::ConnectionFailure);
}

TEST_F(ConnectionAuth, WrongPasswordFailsWithoutRevealingIt) {
  auto options = tcp_options();
  options.password = std::string(kSecret);
  const std::string message =
      expect_throw_without_secret<pgkit::ConnectionFailure>([&] { pgkit::Connection{options}; });
  EXPECT_NE(message.find("password authentication failed"), std::string::npos) << message;

  const std::string uri = fmt::format("postgresql://{}:{}@127.0.0.1:{}/postgres?sslmode=disable&passfile=/nonexistent",
                                      cluster().options().superuser, kSecret, port());
  expect_throw_without_secret<pgkit::ConnectionFailure>([&] { pgkit::Connection{uri}; });
}

TEST_F(ConnectionAuth, WrongPasswordFailureCarriesDiagnostics) {
  auto options = tcp_options();
  options.password = std::string(kSecret);
  try {
    pgkit::Connection conn(options);
    FAIL() << "connected with a wrong password";
  } catch (const pgkit::OperationalError& e) {
    EXPECT_NE(dynamic_cast<const pgkit::ConnectionFailure*>(&e), nullptr);
    EXPECT_EQ(e.sqlstate().substr(0, 2), "08") << e.sqlstate();
    EXPECT_FALSE(e.diagnostics().message_primary.empty());
    EXPECT_EQ(e.diagnostics().message_primary.find(kSecret), std::string::npos);
  }
}

TEST_F(ConnectionAuth, RedactsPasswordsFromConninfo) {
  const std::string uri = fmt::format("postgresql://alice:{}@db.example.com:5433/shop?sslmode=require", kSecret);
  const std::string redacted_uri = pgkit::redact_conninfo(uri);
  EXPECT_EQ(redacted_uri.find(kSecret), std::string::npos) << redacted_uri;
  EXPECT_NE(redacted_uri.find("password=***"), std::string::npos) << redacted_uri;
  EXPECT_NE(redacted_uri.find("host=db.example.com"), std::string::npos) << redacted_uri;

  const std::string keywords = fmt::format("host=db.example.com password='{}' dbname=shop", kSecret);
  const std::string redacted_keywords = pgkit::redact_conninfo(keywords);
  EXPECT_EQ(redacted_keywords.find(kSecret), std::string::npos) << redacted_keywords;
  EXPECT_NE(redacted_keywords.find("dbname=shop"), std::string::npos) << redacted_keywords;
}

TEST_F(ConnectionAuth, MalformedConninfoIsAnInterfaceErrorWithoutThePassword) {
  const std::vector<std::string> malformed = {
      fmt::format("host=localhost password={} port", kSecret),               // a keyword without '='
      fmt::format("host=localhost password='{}", kSecret),                   // an unterminated quote
      fmt::format("postgresql://alice:{}@[::1/shop", kSecret),               // an unterminated IPv6 address
      fmt::format("postgresql://alice:x\"{}@[::1/shop", kSecret),            // the same, a quote in the password
      fmt::format("postgresql://alice:{}@localhost/shop?bogus=1", kSecret),  // an unknown URI parameter
      fmt::format("host=localhost password={} bogus_keyword=1", kSecret),    // an unknown keyword
  };
  for (const auto& conninfo : malformed) {
    SCOPED_TRACE(conninfo);
    expect_throw_without_secret<pgkit::InterfaceError>([&] { pgkit::Connection{conninfo}; });
    expect_throw_without_secret<pgkit::InterfaceError>([&] { (void)pgkit::redact_conninfo(conninfo); });
  }
}

TEST_F(ConnectionAuth, UnknownParameterIsAnInterfaceErrorWithoutThePassword) {
  auto options = tcp_options();
  options.password = std::string(kSecret);
  options.parameters.emplace_back("no_such_libpq_keyword", "1");
  expect_throw_without_secret<pgkit::InterfaceError>([&] { pgkit::Connection{options}; });
}

TEST_F(ConnectionAuth, DatabaseThatDoesNotExistIsAConnectionFailure) {
  auto options = tcp_options();
  options.password = password();
  options.dbname = "pgkit_no_such_database";
  try {
    pgkit::Connection conn(options);
    FAIL() << "connected to a database that does not exist";
  } catch (const pgkit::ConnectionFailure& e) {
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(options.password), std::string::npos) << e.what();
  }
}

// A TCP listener on 127.0.0.1 that completes the handshake (the kernel's backlog does) but never answers.
class SilentListener {
 public:
  SilentListener() : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket() failed");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd_, 8) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot listen on 127.0.0.1");
    }
    port_ = ntohs(address.sin_port);
  }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  ~SilentListener() { ::close(fd_); }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

TEST(ConnectionTimeout, ConnectTimeoutAgainstASilentServerIsAConnectionFailure) {
  const SilentListener listener;
  pgkit::ConnectOptions options;
  options.host = "127.0.0.1";
  options.port = listener.port();
  options.user = "nobody";
  options.dbname = "nothing";
  options.connect_timeout = std::chrono::seconds(2);  // libpq's smallest
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(pgkit::Connection{options}, pgkit::ConnectionFailure);
  // Only proves it did not hang; the exact duration is libpq's business.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(30));
}

TEST(ConnectionTimeout, NothingListeningIsAConnectionFailure) {
  pgkit::ConnectOptions options;
  options.host = "/nonexistent-pgkit-socket-dir";
  options.dbname = "nothing";
  EXPECT_THROW(pgkit::Connection{options}, pgkit::ConnectionFailure);
}

}  // namespace
