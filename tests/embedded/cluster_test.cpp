// The embedded cluster itself: each test runs its own throwaway cluster.
#include <pgkit/embedded.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <csignal>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace {

namespace fs = std::filesystem;
using pgkit::embedded::Cluster;
using pgkit::embedded::ClusterError;
using pgkit::embedded::ClusterOptions;
using pgkit::embedded::ClusterState;

using Connection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

Connection connect(const std::string& conninfo) {
  Connection conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  return conn;
}

// Runs `sql` and returns the first value of the first row ("" when there is none).
std::string query_value(PGconn* conn, const char* sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, sql), &PQclear);
  const auto status = PQresultStatus(result.get());
  EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) << PQresultErrorMessage(result.get());
  if (status != PGRES_TUPLES_OK || PQntuples(result.get()) == 0) return {};
  return PQgetvalue(result.get(), 0, 0);
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

void wait_until_dead(pid_t pid) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (process_alive(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(process_alive(pid)) << "process " << pid << " did not exit";
}

uid_t process_uid(pid_t pid) {
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Uid:", 0) == 0) return static_cast<uid_t>(std::stoul(line.substr(4)));
  }
  return static_cast<uid_t>(-1);
}

TEST(EmbeddedCluster, StartsServesAndStops) {
  auto cluster = Cluster::make_throwaway();
  EXPECT_EQ(cluster.state(), ClusterState::not_initialized);
  cluster.start();
  EXPECT_EQ(cluster.state(), ClusterState::running);
  ASSERT_TRUE(cluster.postmaster_pid().has_value());
  EXPECT_EQ(PQping(cluster.uri().c_str()), PQPING_OK);
  {
    auto conn = connect(cluster.uri());
    EXPECT_EQ(query_value(conn.get(), "SELECT 1"), "1");
    EXPECT_EQ(query_value(conn.get(), "SHOW fsync"), "off");  // throwaway clusters trade durability for speed
  }
  cluster.stop();
  EXPECT_EQ(cluster.state(), ClusterState::stopped);
  EXPECT_NE(PQping(cluster.uri().c_str()), PQPING_OK);
  cluster.stop();  // stopping a stopped cluster is a no-op
}

TEST(EmbeddedCluster, SecondStartReusesTheData) {
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  connect(cluster.uri());
  {
    auto conn = connect(cluster.uri());
    query_value(conn.get(), "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)");
  }
  cluster.restart();
  auto conn = connect(cluster.uri());
  EXPECT_EQ(query_value(conn.get(), "SELECT v FROM kept"), "42");
}

TEST(EmbeddedCluster, StartingARunningClusterAgainIsHarmless) {
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  const auto pid = cluster.postmaster_pid();
  // A second handle on the same home (another CLI invocation, say) sees and reuses the running server.
  ClusterOptions options = cluster.options();
  options.throwaway = false;
  Cluster other(options);
  EXPECT_EQ(other.state(), ClusterState::running);
  other.start();
  EXPECT_EQ(other.postmaster_pid(), pid);
  EXPECT_EQ(other.uri(), cluster.uri());
}

TEST(EmbeddedCluster, RecoversFromAServerKilledWithSigkill) {
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  const pid_t pid = *cluster.postmaster_pid();
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  wait_until_dead(pid);
  ASSERT_TRUE(fs::exists(cluster.data_directory() / "postmaster.pid")) << "the kill should leave a stale pid file";
  EXPECT_EQ(cluster.state(), ClusterState::stopped);
  cluster.start();
  EXPECT_EQ(cluster.state(), ClusterState::running);
  EXPECT_NE(*cluster.postmaster_pid(), pid);
  auto conn = connect(cluster.uri());
  EXPECT_EQ(query_value(conn.get(), "SELECT 1"), "1");
}

TEST(EmbeddedCluster, IgnoresAStalePidFileNamingAnotherLiveProcess) {
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  const fs::path pid_file = cluster.data_directory() / "postmaster.pid";
  std::stringstream contents;
  contents << std::ifstream(pid_file).rdbuf();
  cluster.stop();
  // After a reboot the old pid may belong to anything; pid 1 always exists and is never a postgres.
  std::string text = contents.str();
  text.replace(0, text.find('\n'), "1");
  std::ofstream(pid_file) << text;
  EXPECT_EQ(cluster.state(), ClusterState::stopped);
  cluster.start();
  EXPECT_EQ(cluster.state(), ClusterState::running);
}

TEST(EmbeddedCluster, MissingBinariesAreNamed) {
  const fs::path empty = fs::temp_directory_path() / fmt::format("pgkit-nobin-{}", ::getpid());
  fs::create_directories(empty);
  ClusterOptions options;
  options.bin_dir = empty;
  auto cluster = Cluster::make_throwaway(options);
  try {
    cluster.start();
    FAIL() << "start() should fail without binaries";
  } catch (const ClusterError& e) {
    EXPECT_EQ(e.code(), ClusterError::Code::binaries_not_found);
    EXPECT_NE(std::string(e.what()).find("initdb"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(empty.string()), std::string::npos) << e.what();
  }
  EXPECT_EQ(cluster.state(), ClusterState::not_initialized);
  fs::remove_all(empty);
}

TEST(EmbeddedCluster, DiscoveryNamesWhereItLooked) {
  const char* saved = std::getenv("PATH");
  const std::string path = saved != nullptr ? saved : "";
  ::setenv("PATH", "/nonexistent", 1);
  try {
    pgkit::embedded::find_server_binaries({"/nonexistent/postgresql"});
    ADD_FAILURE() << "discovery should fail";
  } catch (const ClusterError& e) {
    EXPECT_EQ(e.code(), ClusterError::Code::binaries_not_found);
    EXPECT_NE(std::string(e.what()).find("pg_config"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/postgresql"), std::string::npos) << e.what();
  }
  ::setenv("PATH", path.c_str(), 1);
  // And with the real places it finds the server.
  EXPECT_TRUE(fs::exists(pgkit::embedded::find_server_binaries() / "postgres"));
}

TEST(EmbeddedCluster, StartFailureShowsTheServerLog) {
  ClusterOptions options;
  options.settings = {{"shared_buffers", "a lot"}};
  auto cluster = Cluster::make_throwaway(options);
  try {
    cluster.start();
    FAIL() << "start() should fail with an invalid setting";
  } catch (const ClusterError& e) {
    EXPECT_EQ(e.code(), ClusterError::Code::start_failed);
    EXPECT_NE(std::string(e.what()).find("shared_buffers"), std::string::npos) << e.what();
  }
  EXPECT_NE(cluster.log_tail().find("shared_buffers"), std::string::npos);
}

TEST(EmbeddedCluster, RejectsUnusableOptions) {
  ClusterOptions relative;
  relative.home = "relative/home";
  EXPECT_THROW(Cluster{relative}, ClusterError);
  ClusterOptions bad_setting;
  bad_setting.home = "/tmp/pgkit-never-created";
  bad_setting.settings = {{"work_mem; DROP", "1MB"}};
  EXPECT_THROW(Cluster{bad_setting}, ClusterError);
  EXPECT_FALSE(fs::exists(bad_setting.home));
}

TEST(EmbeddedCluster, TcpListenerUsesAPasswordThatNeverAppearsInTheUri) {
  ClusterOptions options;
  options.listen_tcp = true;
  auto cluster = Cluster::make_throwaway(options);
  cluster.start();
  ASSERT_TRUE(cluster.tcp_port().has_value());
  const std::string uri = cluster.tcp_uri();
  EXPECT_NE(uri.find("passfile="), std::string::npos);
  EXPECT_EQ(uri.find("password"), std::string::npos);
  auto conn = connect(uri);
  EXPECT_EQ(query_value(conn.get(), "SELECT inet_server_addr()::text"), "127.0.0.1/32");
  // Without the passfile, TCP needs the password.
  const std::string without = fmt::format("host=127.0.0.1 port={} user=postgres dbname=postgres passfile=/dev/null",
                                          *cluster.tcp_port());
  Connection refused(PQconnectdb(without.c_str()), &PQfinish);
  EXPECT_EQ(PQstatus(refused.get()), CONNECTION_BAD);
  const auto mode = fs::status(cluster.home() / "pgpass").permissions();
  EXPECT_EQ(mode & (fs::perms::group_all | fs::perms::others_all), fs::perms::none);
}

TEST(EmbeddedCluster, ThrowawayFolderIsRemovedWithTheObject) {
  fs::path home;
  {
    auto cluster = Cluster::make_throwaway();
    cluster.start();
    home = cluster.home();
    ASSERT_TRUE(fs::exists(home / "data"));
  }
  EXPECT_FALSE(fs::exists(home));
}

TEST(EmbeddedCluster, AsRootTheServerRunsAsAnUnprivilegedAccount) {
  if (::geteuid() != 0) GTEST_SKIP() << "only meaningful when the tests run as root";
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  const uid_t server_uid = process_uid(*cluster.postmaster_pid());
  EXPECT_NE(server_uid, 0u);
  struct stat data {};
  ASSERT_EQ(::stat(cluster.data_directory().c_str(), &data), 0);
  EXPECT_EQ(data.st_uid, server_uid);
  EXPECT_EQ(data.st_mode & 0777, 0700u);
  ClusterOptions bad = cluster.options();
  bad.throwaway = false;
  bad.server_account = "pgkit-no-such-account";
  EXPECT_THROW(Cluster{bad}, ClusterError);
}

TEST(EmbeddedCluster, WorksForAnUnprivilegedUser) {
  // As root, prove the unprivileged path in a child that drops to the postgres account for good.
  if (::geteuid() != 0) {
    auto cluster = Cluster::make_throwaway();
    cluster.start();
    EXPECT_EQ(PQping(cluster.uri().c_str()), PQPING_OK);
    return;
  }
  const passwd* account = ::getpwnam("postgres");
  if (account == nullptr) GTEST_SKIP() << "no postgres account to drop to";
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (::setgid(account->pw_gid) != 0 || ::setuid(account->pw_uid) != 0) ::_exit(10);
    try {
      auto cluster = Cluster::make_throwaway();
      cluster.start();
      const bool ok = PQping(cluster.uri().c_str()) == PQPING_OK && process_uid(*cluster.postmaster_pid()) == account->pw_uid;
      cluster.destroy();  // _exit skips the destructor
      ::_exit(ok ? 0 : 11);
    } catch (const std::exception& e) {
      fmt::print(stderr, "child failed: {}\n", e.what());
      std::fflush(stderr);
      ::_exit(12);
    }
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
