// What the embedded cluster trusts, probed the way an outside review attacked it: as root (CI runs the
// suite as root), with an unprivileged local account and the server's own account as adversaries.
#include "embedded_test_support.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

using namespace pgkit::testing;
using pgkit::embedded::Cluster;
using pgkit::embedded::ClusterError;
using pgkit::embedded::ClusterOptions;
using pgkit::embedded::ClusterState;
using Code = ClusterError::Code;

struct stat stat_of(const fs::path& path) {
  struct stat info {};
  EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
  return info;
}

ClusterOptions fast_options(const fs::path& home) {
  ClusterOptions options;
  options.home = home;
  options.durable = false;
  return options;
}

Code code_of_start(Cluster& cluster) {
  try {
    cluster.start();
  } catch (const ClusterError& e) {
    return e.code();
  }
  ADD_FAILURE() << "start() should have failed";
  return Code::io_failed;
}

// Point 1: a folder out of the server account's reach moves to a folder made with mkdtemp, never to a
// predictable one another account could prepare.
TEST(EmbeddedTrust, AHomeOutOfTheAccountsReachMovesToAFreshPrivateFolder) {
  if (!is_root()) GTEST_SKIP() << "relocation only happens as root";
  TempFolder private_home(0700);  // like /root
  const fs::path anchor = private_home.path() / "clone" / ".pgkit";
  fs::path first_home;
  {
    Cluster cluster(fast_options(anchor));
    cluster.start();
    first_home = cluster.home();
    EXPECT_NE(first_home, anchor);
    EXPECT_EQ(first_home.parent_path(), fs::path("/var/tmp"));
    const auto info = stat_of(first_home);
    EXPECT_EQ(info.st_uid, 0u);
    EXPECT_EQ(info.st_mode & 07777, 0711u) << "root's folder, only traversable by the server account";
    EXPECT_EQ(stat_of(anchor).st_mode & 07777, 0700u);
    // Another handle (the next CLI command) finds the same cluster through the anchor.
    Cluster again(fast_options(anchor));
    EXPECT_EQ(again.state(), ClusterState::running);
    EXPECT_EQ(again.uri(), cluster.uri());
    auto conn = pg_connect(again.uri());
    EXPECT_EQ(pg_value(conn.get(), "SELECT 1"), "1");
    cluster.destroy();
  }
  EXPECT_FALSE(fs::exists(first_home));
  EXPECT_FALSE(fs::exists(anchor));
  Cluster second(fast_options(anchor));
  second.start();
  EXPECT_NE(second.home(), first_home) << "the relocated folder's name must not be predictable";
  second.destroy();
}

TEST(EmbeddedTrust, AFolderPreparedByAnotherAccountIsRefusedAndLeftAlone) {
  if (!is_root()) GTEST_SKIP() << "needs another account to own the folder";
  const auto nobody = account_named("nobody");
  ASSERT_TRUE(nobody.has_value());
  TempFolder parent(0755);
  const fs::path trap = parent.path() / "home";
  fs::create_directory(trap);
  ASSERT_EQ(::chown(trap.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  ::chmod(trap.c_str(), 0777);
  fs::create_symlink("/etc/shadow", trap / "pgpass");
  Cluster cluster(fast_options(trap));
  EXPECT_EQ(code_of_start(cluster), Code::io_failed);
  const auto info = stat_of(trap);
  EXPECT_EQ(info.st_uid, nobody->pw_uid) << "pgkit must not chown a folder it did not make";
  EXPECT_EQ(info.st_mode & 07777, 0777u);
  EXPECT_TRUE(fs::is_symlink(trap / "pgpass"));
  EXPECT_EQ(stat_of("/etc/shadow").st_uid, 0u);
  // Even empty and not writable by others, a folder another account made is not adopted.
  const fs::path empty = parent.path() / "empty";
  fs::create_directory(empty);
  ::chmod(empty.c_str(), 0755);
  ASSERT_EQ(::chown(empty.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
  Cluster on_empty(fast_options(empty));
  EXPECT_EQ(code_of_start(on_empty), Code::io_failed);
  EXPECT_EQ(stat_of(empty).st_uid, nobody->pw_uid);
  EXPECT_EQ(stat_of(empty).st_mode & 07777, 0755u);
  EXPECT_TRUE(fs::is_empty(empty));
}

TEST(EmbeddedTrust, AHomeThatIsASymlinkIsRefused) {
  TempFolder parent(0755);
  TempFolder elsewhere(0755);
  const fs::path link = parent.path() / "home";
  fs::create_directory_symlink(elsewhere.path(), link);
  Cluster cluster(fast_options(link));
  EXPECT_EQ(code_of_start(cluster), Code::io_failed);
  EXPECT_TRUE(fs::is_empty(elsewhere.path()));
}

// Point 1, socket folder: a home too long for a socket path gets a socket folder made with mkdtemp.
TEST(EmbeddedTrust, ALongHomeGetsAFreshSocketFolder) {
  TempFolder parent(0755);
  const fs::path home = parent.path() / std::string(90, 'h');
  Cluster cluster(fast_options(home));
  cluster.start();
  const fs::path socket = cluster.socket_directory();
  EXPECT_EQ(socket.parent_path(), fs::path("/tmp"));
  EXPECT_TRUE(socket.filename().string().starts_with("pgkit-socket-")) << socket;
  const auto info = stat_of(socket);
  EXPECT_EQ(info.st_mode & 07777, 0700u);
  EXPECT_EQ(info.st_uid, stat_of(cluster.data_directory()).st_uid);
  auto conn = pg_connect(cluster.uri());
  EXPECT_EQ(pg_value(conn.get(), "SELECT 1"), "1");
  cluster.destroy();
  EXPECT_FALSE(fs::exists(socket));
  EXPECT_FALSE(fs::exists(home));
}

// Point 2: nothing the server account (or a database superuser, through COPY ... TO PROGRAM) plants
// makes root write, chown or read through a link.
TEST(EmbeddedTrust, RootNeverFollowsLinksTheServerAccountPlants) {
  if (!is_root()) GTEST_SKIP() << "only root can be turned against itself";
  TempFolder secret_folder(0700);
  const fs::path sentinel = secret_folder.path() / "sentinel";
  std::ofstream(sentinel) << "untouched";
  ::chmod(sentinel.c_str(), 0600);
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  {
    auto conn = pg_connect(cluster.uri());
    // The home is root's: the server account cannot add anything there.
    const std::string planted =
        pg_value(conn.get(), fmt::format("COPY (SELECT 1) TO PROGRAM 'touch {}/planted'", cluster.home().string()));
    EXPECT_TRUE(planted.starts_with("ERROR")) << planted;
    EXPECT_FALSE(fs::exists(cluster.home() / "planted"));
    // Links in the folders it does own, under every name root could be tempted to touch.
    for (const auto& link : {cluster.data_directory() / "pgkit.conf", cluster.data_directory() / "server.log",
                             cluster.data_directory() / "postgresql.auto.conf.tmp",
                             cluster.socket_directory() / ".s.PGSQL.5432.lock.x"}) {
      EXPECT_EQ(pg_value(conn.get(), fmt::format("COPY (SELECT 1) TO PROGRAM 'ln -sf {} {}'", sentinel.string(),
                                                 link.string())),
                "");
    }
  }
  cluster.stop();
  const auto postgres = account_named("postgres");
  ASSERT_TRUE(postgres.has_value());
  // With the server stopped, its account swaps the lock files for links too.
  const fs::path pid_file = cluster.data_directory() / "postmaster.pid";
  const fs::path socket_lock = cluster.socket_directory() / ".s.PGSQL.5432.lock";
  EXPECT_EQ(run_as(*postgres,
                   [&] {
                     fs::create_symlink(sentinel, pid_file);
                     std::error_code ec;
                     fs::remove(socket_lock, ec);
                     fs::create_symlink(sentinel, socket_lock);
                     return 0;
                   }),
            0);
  EXPECT_EQ(cluster.state(), ClusterState::stopped);
  cluster.start();
  EXPECT_EQ(cluster.state(), ClusterState::running);
  EXPECT_EQ(file_text(sentinel), "untouched");
  const auto info = stat_of(sentinel);
  EXPECT_EQ(info.st_uid, 0u);
  EXPECT_EQ(info.st_mode & 07777, 0600u);
  EXPECT_NE(cluster.log_tail().find("database system is ready"), std::string::npos);
}

// Point 2: the passfile and the log are root's files in root's folder.
TEST(EmbeddedTrust, RootsFilesStayOutOfTheServerAccountsReach) {
  ClusterOptions options;
  options.listen_tcp = true;
  auto cluster = Cluster::make_throwaway(options);
  cluster.start();
  for (const auto& file : {cluster.home() / "pgpass", cluster.log_file(), cluster.home() / ".pgkit-cluster"}) {
    const auto info = stat_of(file);
    EXPECT_TRUE(S_ISREG(info.st_mode)) << file;
    EXPECT_EQ(info.st_uid, ::geteuid()) << file;
    EXPECT_EQ(info.st_mode & 077, 0u) << file;
  }
  const auto home = stat_of(cluster.home());
  EXPECT_EQ(home.st_uid, ::geteuid());
  EXPECT_EQ(home.st_mode & 022, 0u);
}

// Point 3: an initdb that did not complete leaves nothing that starts with stock settings.
TEST(EmbeddedTrust, AnInterruptedInitdbIsStartedOverAndStockSettingsNeverApply) {
  TempFolder wrappers(0755);
  const fs::path real = pgkit::embedded::find_server_binaries();
  // initdb runs to its end and is then "killed", as a first start interrupted after it would be.
  std::ofstream(wrappers.path() / "initdb") << fmt::format("#!/bin/sh\n\"{}/initdb\" \"$@\" >/dev/null\nkill -9 $$\n",
                                                           real.string());
  fs::create_symlink(real / "postgres", wrappers.path() / "postgres");
  ::chmod((wrappers.path() / "initdb").c_str(), 0755);
  TempFolder parent(0755);
  const fs::path home = parent.path() / "cluster";
  {
    ClusterOptions options = fast_options(home);
    options.bin_dir = wrappers.path();
    Cluster interrupted(options);
    EXPECT_EQ(code_of_start(interrupted), Code::initdb_failed);
    EXPECT_EQ(interrupted.state(), ClusterState::not_initialized);
    EXPECT_TRUE(fs::exists(home / "data" / "PG_VERSION")) << "the probe needs a complete-looking data folder";
    EXPECT_TRUE(processes_in(home / "data").empty());
  }
  Cluster cluster(fast_options(home));
  cluster.start();
  auto conn = pg_connect(cluster.uri());
  EXPECT_EQ(pg_value(conn.get(), "SHOW listen_addresses"), "");
  EXPECT_EQ(pg_value(conn.get(), "SHOW unix_socket_directories"), cluster.socket_directory().string());
  EXPECT_EQ(pg_value(conn.get(), "SHOW unix_socket_permissions"), "0700");
  // Settings in the data folder (ALTER SYSTEM, postgresql.conf) cannot open the server up.
  EXPECT_EQ(pg_value(conn.get(), "ALTER SYSTEM SET listen_addresses = '*'"), "");
  EXPECT_EQ(pg_value(conn.get(), "ALTER SYSTEM SET unix_socket_permissions = '0777'"), "");
  conn.reset();
  cluster.restart();
  conn = pg_connect(cluster.uri());
  EXPECT_EQ(pg_value(conn.get(), "SHOW listen_addresses"), "");
  EXPECT_EQ(pg_value(conn.get(), "SHOW unix_socket_permissions"), "0700");
  conn.reset();
  cluster.destroy();
}

// Point 3: a server start() launched but that never accepts is stopped when start() gives up.
TEST(EmbeddedTrust, AServerThatNeverBecomesReadyIsStoppedWhenStartFails) {
  TempFolder wrappers(0755);
  const fs::path real = pgkit::embedded::find_server_binaries();
  // It listens elsewhere than asked (a later -c wins), so it never answers where pgkit waits.
  std::ofstream(wrappers.path() / "postgres") << fmt::format("#!/bin/sh\nexec \"{}/postgres\" \"$@\" -c port=1\n",
                                                             real.string());
  ::chmod((wrappers.path() / "postgres").c_str(), 0755);
  fs::create_symlink(real / "initdb", wrappers.path() / "initdb");
  ClusterOptions options;
  options.bin_dir = wrappers.path();
  options.start_timeout = std::chrono::seconds(4);
  auto cluster = Cluster::make_throwaway(options);
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of_start(cluster), Code::start_failed);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(30)) << "start() must honour its deadline";
  const auto left = processes_in(cluster.data_directory());
  for (pid_t pid : left) EXPECT_TRUE(wait_until_dead(pid)) << "pid " << pid << " still serves the data folder";
}

// Point 4: a postmaster.pid naming another cluster's postmaster is stale, not a reason to stop it.
TEST(EmbeddedTrust, APidFileNamingAnotherClustersPostmasterIsStale) {
  auto other = Cluster::make_throwaway();
  other.start();
  const pid_t other_pid = *other.postmaster_pid();
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  const fs::path pid_file = cluster.data_directory() / "postmaster.pid";
  std::string text = file_text(pid_file);
  cluster.stop();
  struct stat owner = stat_of(cluster.data_directory());
  text.replace(0, text.find('\n'), std::to_string(other_pid));
  std::ofstream(pid_file) << text;
  ASSERT_EQ(::chown(pid_file.c_str(), owner.st_uid, owner.st_gid), 0);
  EXPECT_EQ(cluster.state(), ClusterState::stopped);
  EXPECT_FALSE(cluster.postmaster_pid().has_value());
  cluster.stop();
  EXPECT_TRUE(process_alive(other_pid)) << "stop() shut down another cluster";
  cluster.start();
  EXPECT_EQ(cluster.state(), ClusterState::running);
  EXPECT_NE(*cluster.postmaster_pid(), other_pid);
  EXPECT_EQ(other.state(), ClusterState::running);
}

// Point 5: a home is made by pgkit or empty; never /, a system folder or someone's files.
TEST(EmbeddedTrust, SystemFoldersAndForeignFoldersAreNeverTakenOver) {
  for (const char* path : {"/", "/etc", "/root", "/var/tmp", "/usr/", "/tmp", "/home"}) {
    try {
      Cluster cluster(fast_options(path));
      cluster.start();
      ADD_FAILURE() << path << " was accepted as a home";
    } catch (const ClusterError& e) {
      EXPECT_EQ(e.code(), Code::invalid_options) << path << ": " << e.what();
    }
  }
  {
    ScopedEnv home("PGKIT_HOME", "/");
    EXPECT_THROW(Cluster::make_default(), ClusterError);
  }
  TempFolder users_folder(0750);
  std::ofstream(users_folder.path() / "thesis.tex") << "precious";
  Cluster cluster(fast_options(users_folder.path()));
  try {
    cluster.start();
    ADD_FAILURE() << "a folder holding the user's files was taken over";
  } catch (const ClusterError& e) {
    EXPECT_EQ(e.code(), Code::invalid_options);
    EXPECT_NE(std::string(e.what()).find("not empty"), std::string::npos) << e.what();
  }
  EXPECT_EQ(stat_of(users_folder.path()).st_mode & 07777, 0750u);
  EXPECT_EQ(file_text(users_folder.path() / "thesis.tex"), "precious");
  // An empty folder of the user's own is adopted.
  TempFolder empty(0755);
  Cluster adopted(fast_options(empty.path()));
  adopted.start();
  EXPECT_EQ(adopted.state(), ClusterState::running);
  adopted.destroy();
}

// Point 6: no shell ever sees a path.
TEST(EmbeddedTrust, ShellTextInPathsIsJustText) {
  TempFolder parent(0755);
  const fs::path canary = parent.path() / "pwned";
  const fs::path home = parent.path() / fmt::format("we$(touch {})ird \"a,b\" `touch {}` back\\slash", canary.string(),
                                                    canary.string());
  Cluster cluster(fast_options(home));
  cluster.start();
  auto conn = pg_connect(cluster.uri());
  EXPECT_EQ(pg_value(conn.get(), "SELECT 1"), "1");
  conn.reset();
  cluster.stop();
  EXPECT_FALSE(fs::exists(canary)) << "a shell ran text from the path";
  cluster.destroy();
  EXPECT_FALSE(fs::exists(home));
  try {
    Cluster newline(fast_options(parent.path() / "new\nline"));
    ADD_FAILURE() << "a newline in the home's path was accepted";
  } catch (const ClusterError& e) {
    EXPECT_EQ(e.code(), Code::invalid_options);
  }
}

// Point 7: the operator's secrets do not reach the server's environment.
TEST(EmbeddedTrust, TheServerGetsAMinimalEnvironment) {
  ScopedEnv url("DATABASE_URL", "postgresql://app:Sup3rSecretPassw0rd@db.example/app");
  ScopedEnv token("AWS_SECRET_ACCESS_KEY", "CloudTokenValue123");
  ScopedEnv tz("TZ", "Asia/Kathmandu");
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  auto conn = pg_connect(cluster.uri());
  ASSERT_EQ(pg_value(conn.get(), "CREATE TEMP TABLE env(line text)"), "");
  ASSERT_EQ(pg_value(conn.get(), "COPY env FROM PROGRAM 'env'"), "");
  const std::string environment = pg_value(conn.get(), "SELECT string_agg(line, E'\\n') FROM env");
  EXPECT_EQ(environment.find("Sup3rSecret"), std::string::npos) << environment;
  EXPECT_EQ(environment.find("CloudTokenValue"), std::string::npos) << environment;
  EXPECT_NE(environment.find("PATH="), std::string::npos) << environment;
  EXPECT_NE(environment.find("TZ=Asia/Kathmandu"), std::string::npos) << environment;
  const std::string pid = std::to_string(*cluster.postmaster_pid());
  const std::string postmaster_env = file_text(fs::path("/proc") / pid / "environ");
  EXPECT_EQ(postmaster_env.find("Sup3rSecret"), std::string::npos);
}

// Point 8: concurrent first starts of one cluster are serialised; both succeed and agree.
TEST(EmbeddedTrust, ConcurrentFirstStartsBothSucceedAndThePassfileMatches) {
  for (int round = 0; round < 3; ++round) {
    TempFolder parent(0755);
    ClusterOptions options = fast_options(parent.path() / "shared");
    options.listen_tcp = true;
    std::atomic<int> failures{0};
    std::vector<std::thread> starters;
    for (int i = 0; i < 2; ++i) {
      starters.emplace_back([&] {
        try {
          Cluster(options).start();
        } catch (const std::exception& e) {
          ++failures;
          ADD_FAILURE() << "a concurrent start failed: " << e.what();
        }
      });
    }
    for (auto& starter : starters) starter.join();
    EXPECT_EQ(failures.load(), 0);
    Cluster cluster(options);
    auto conn = pg_connect(cluster.tcp_uri());
    EXPECT_EQ(pg_value(conn.get(), "SELECT 1"), "1");
    conn.reset();
    cluster.destroy();
  }
}

// Point 9: a frozen server cannot hang start() or stop().
TEST(EmbeddedTrust, AFrozenServerCannotHangStartOrStop) {
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  const pid_t pid = *cluster.postmaster_pid();
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  ClusterOptions options = cluster.options();
  options.throwaway = false;
  options.start_timeout = std::chrono::seconds(3);
  options.stop_timeout = std::chrono::seconds(2);
  Cluster handle(options);
  auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(code_of_start(handle), Code::start_failed);
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(20));
  EXPECT_TRUE(process_alive(pid)) << "start() must not kill a server it did not start";
  began = std::chrono::steady_clock::now();
  handle.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::seconds(30));
  EXPECT_TRUE(wait_until_dead(pid));
  EXPECT_EQ(cluster.state(), ClusterState::stopped);
}

// Point 14: a root user's clone under a mode-0700 home folder works, tests included.
TEST(EmbeddedTrust, TheTestClusterToolWorksUnderAPrivateHomeFolder) {
  if (!is_root()) GTEST_SKIP() << "a 0700 home only matters to root, whose server runs as another account";
  TempFolder private_home(0700);
  const fs::path build = private_home.path() / "src" / "pgkit" / "build" / "test-cluster";
  const std::string tool = PGKIT_TEST_CLUSTER_TOOL;
  ASSERT_EQ(std::system(fmt::format("'{}' start '{}' >/dev/null", tool, build.string()).c_str()), 0);
  {
    ClusterOptions options = fast_options(build);
    Cluster cluster(options);
    EXPECT_EQ(cluster.state(), ClusterState::running);
    auto conn = pg_connect(cluster.uri());
    EXPECT_EQ(pg_value(conn.get(), "SELECT 1"), "1");
  }
  ASSERT_EQ(std::system(fmt::format("'{}' stop '{}' >/dev/null", tool, build.string()).c_str()), 0);
  EXPECT_FALSE(fs::exists(build));
}

TEST(EmbeddedTrust, AThrowawayClusterLeavesAnUnreachableTmpdir) {
  if (!is_root()) GTEST_SKIP() << "only root's server runs as another account";
  TempFolder private_tmp(0700);
  ScopedEnv tmpdir("TMPDIR", private_tmp.path().string());
  auto cluster = Cluster::make_throwaway();
  cluster.start();
  EXPECT_EQ(cluster.home().parent_path(), fs::path("/tmp"));
  EXPECT_EQ(cluster.state(), ClusterState::running);
}

// Found by review: a TCP port taken by another account while the server was down must not receive the
// password. The passfile names the port, so clients aiming at the old one have nothing to send.
class PasswordTrap {
 public:
  explicit PasswordTrap(std::uint16_t port) : socket_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const int on = 1;
    ::setsockopt(socket_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    bound_ = ::bind(socket_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 && ::listen(socket_, 4) == 0;
  }
  PasswordTrap(const PasswordTrap&) = delete;
  PasswordTrap& operator=(const PasswordTrap&) = delete;
  ~PasswordTrap() { ::close(socket_); }
  [[nodiscard]] bool bound() const { return bound_; }

  // Accepts one client, asks it for a cleartext password and returns whatever it sent back.
  std::string catch_one() {
    pollfd ready{socket_, POLLIN, 0};
    if (::poll(&ready, 1, 10000) != 1) return "(no client)";
    const int client = ::accept(socket_, nullptr, nullptr);
    char startup[1024];
    [[maybe_unused]] auto got = ::recv(client, startup, sizeof startup, 0);
    const char ask[] = {'R', 0, 0, 0, 8, 0, 0, 0, 3};  // AuthenticationCleartextPassword
    [[maybe_unused]] auto sent = ::send(client, ask, sizeof ask, MSG_NOSIGNAL);
    std::string answer;
    pollfd more{client, POLLIN, 0};
    char buffer[1024];
    while (::poll(&more, 1, 2000) == 1) {
      const ssize_t n = ::recv(client, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      answer.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(client);
    return answer;
  }

 private:
  int socket_;
  bool bound_ = false;
};

TEST(EmbeddedTrust, ATakenTcpPortNeverReceivesThePassword) {
  ClusterOptions options;
  options.listen_tcp = true;
  auto cluster = Cluster::make_throwaway(options);
  cluster.start();
  const std::uint16_t port = *cluster.tcp_port();
  const std::string old_uri = cluster.tcp_uri();
  const std::string passfile = file_text(cluster.home() / "pgpass");
  EXPECT_TRUE(passfile.starts_with(fmt::format("127.0.0.1:{}:", port))) << "the passfile must name the port";
  const std::string password = passfile.substr(passfile.rfind(':') + 1, 48);
  cluster.stop();
  PasswordTrap trap(port);
  ASSERT_TRUE(trap.bound());
  cluster.start();
  EXPECT_NE(*cluster.tcp_port(), port) << "the taken port cannot be reused";
  std::thread client([&] { PgConnection(PQconnectdb(old_uri.c_str()), &PQfinish); });
  const std::string sent = trap.catch_one();
  client.join();
  EXPECT_EQ(sent.find(password), std::string::npos) << "the old URI handed the password to the port's new owner";
  auto conn = pg_connect(cluster.tcp_uri());
  EXPECT_EQ(pg_value(conn.get(), "SELECT 1"), "1");
}

// Found by review: a folder above the home that another account can write lets it swap the home.
TEST(EmbeddedTrust, AHomeBelowAFolderOthersControlIsRefused) {
  TempFolder parent(0755);
  const fs::path open_to_all = parent.path() / "shared";
  fs::create_directory(open_to_all);
  ::chmod(open_to_all.c_str(), 0777);
  Cluster below_open(fast_options(open_to_all / "cluster"));
  EXPECT_EQ(code_of_start(below_open), Code::invalid_options);
  EXPECT_TRUE(fs::is_empty(open_to_all));
  if (is_root()) {
    const auto nobody = account_named("nobody");
    ASSERT_TRUE(nobody.has_value());
    const fs::path theirs = parent.path() / "theirs";
    fs::create_directory(theirs);
    ASSERT_EQ(::chown(theirs.c_str(), nobody->pw_uid, nobody->pw_gid), 0);
    Cluster below_theirs(fast_options(theirs / "project" / ".pgkit"));
    EXPECT_EQ(code_of_start(below_theirs), Code::invalid_options);
    EXPECT_TRUE(fs::is_empty(theirs)) << "nothing may be created in another account's folder";
  }
}

// Found by review: an empty folder pgkit adopted keeps its mode and survives destroy().
TEST(EmbeddedTrust, AnAdoptedFolderKeepsItsModeAndIsOnlyEmptied) {
  TempFolder adopted(0755);
  Cluster cluster(fast_options(adopted.path()));
  cluster.start();
  EXPECT_EQ(stat_of(adopted.path()).st_mode & 07777, 0755u);
  cluster.destroy();
  ASSERT_TRUE(fs::exists(adopted.path()));
  EXPECT_TRUE(fs::is_empty(adopted.path()));
  EXPECT_EQ(stat_of(adopted.path()).st_mode & 07777, 0755u);
}

}  // namespace
