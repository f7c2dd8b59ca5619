// Connections whose server stops, freezes or crashes. Each test runs its own throwaway server, since doing
// this to the shared one would break every other test.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/embedded.hpp>

#include <csignal>
#include <sys/types.h>

#include <gmock/gmock.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::eventually;

constexpr auto kHangLimit = 20s;

class ConnectionServer : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    pgkit::embedded::ClusterOptions options;
    options.durable = false;
    cluster_.emplace(pgkit::embedded::Cluster::make_throwaway(std::move(options)));
    cluster_->start();
  }
  static void TearDownTestSuite() { cluster_.reset(); }

 protected:
  void SetUp() override {
    if (!cluster_->running()) cluster_->start();
  }
  static pgkit::embedded::Cluster& cluster() { return *cluster_; }
  static pgkit::Connection connect() { return pgkit::Connection(cluster_->uri()); }
  // After a crash the server reinitialises before it accepts connections again.
  static bool accepts_connections() {
    return eventually([] {
      try {
        return connect().query_value<int>("SELECT 1") == 1;
      } catch (const pgkit::Error&) {
        return false;
      }
    });
  }

 private:
  static inline std::optional<pgkit::embedded::Cluster> cluster_;
};

// Stops a server process for one scope and lets it go on afterwards, whatever the test did.
class FrozenProcess {
 public:
  explicit FrozenProcess(pid_t pid) : pid_(pid) { frozen_ = ::kill(pid_, SIGSTOP) == 0; }
  FrozenProcess(const FrozenProcess&) = delete;
  FrozenProcess& operator=(const FrozenProcess&) = delete;
  ~FrozenProcess() {
    if (frozen_) ::kill(pid_, SIGCONT);
  }
  [[nodiscard]] bool frozen() const { return frozen_; }

 private:
  pid_t pid_;
  bool frozen_ = false;
};

TEST_F(ConnectionServer, ShutdownRaisesConnectionLostAndRestartAcceptsNewConnections) {
  auto conn = connect();
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
  cluster().stop();
  try {
    conn.exec("SELECT 1");
    FAIL() << "a statement ran on a stopped server";
  } catch (const pgkit::ConnectionLost& e) {
    // A fast shutdown terminates sessions with 57P01 when the server gets to say it.
    if (!e.sqlstate().empty()) {
      EXPECT_EQ(e.sqlstate(), "57P01") << e.what();
    }
  }
  EXPECT_FALSE(conn.is_open());
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::ConnectionLost);
  EXPECT_THROW(connect(), pgkit::ConnectionFailure);
  cluster().start();
  auto fresh = connect();
  EXPECT_EQ(fresh.query_value<int>("SELECT 2"), 2);
  // The lost connection stays lost: the caller makes a new one.
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::ConnectionLost);
}

TEST_F(ConnectionServer, TimeoutOnAFrozenServerProcessClosesTheConnection) {
  auto conn = connect();
  const FrozenProcess frozen(conn.backend_pid());
  ASSERT_TRUE(frozen.frozen()) << "cannot signal the server process (not running as its owner or root?)";
  const auto started = std::chrono::steady_clock::now();
  try {
    conn.with_timeout(200ms).exec("SELECT 1");
    FAIL() << "a frozen server process answered";
  } catch (const pgkit::QueryCanceled& e) {
    EXPECT_NE(std::string(e.what()).find("did not answer"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  // Nothing can be known about the session any more, so it is closed rather than reused.
  EXPECT_FALSE(conn.is_open());
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::ConnectionLost);
}

// ---- row streams on a frozen server process (detail::Waiter) ----

pgkit::Connection connect_with_timeout(const std::string& uri, std::optional<std::chrono::milliseconds> timeout) {
  pgkit::ConnectOptions options;
  options.conninfo = uri;
  options.query_timeout = timeout;
  return pgkit::Connection(options);
}

long long ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

TEST_F(ConnectionServer, StreamWithQueryTimeoutOnAFrozenServerProcessGivesUp) {
  auto conn = connect_with_timeout(cluster().uri(), 300ms);
  const FrozenProcess frozen(conn.backend_pid());
  ASSERT_TRUE(frozen.frozen()) << "cannot signal the server process (not running as its owner or root?)";
  const auto started = std::chrono::steady_clock::now();
  auto stream = conn.stream("SELECT 1");
  try {
    for (const auto& row : stream) (void)row;
    FAIL() << "a frozen server process answered";
  } catch (const pgkit::QueryCanceled& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("did not answer")) << e.what();
  }
  const auto took = ms_since(started);
  std::printf("stream() with query_timeout 300 ms on a frozen server process: QueryCanceled after %lld ms\n", took);
  // The timeout, then its grace period (as long again), and some slack for a busy machine.
  EXPECT_LT(took, 3000);
  EXPECT_TRUE(stream.finished());
  EXPECT_FALSE(conn.is_open());
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::ConnectionLost);
}

// Leaving a stream early cancels the rest and reads what is on its way; a frozen server process never
// sends the end, so the destructor gives up after the cancel's grace period instead of waiting forever.
void abandon_a_stream_on_a_frozen_server_process(pgkit::Connection& conn, long long limit_ms) {
  std::optional<FrozenProcess> frozen;
  long long took = 0;
  {
    auto stream = conn.stream("SELECT generate_series(1, 100000000) AS g, repeat('x', 1000)");  // rows as they come
    auto it = stream.begin();
    ASSERT_EQ((*it)[0].as<int>(), 1);
    frozen.emplace(conn.backend_pid());
    ASSERT_TRUE(frozen->frozen()) << "cannot signal the server process (not running as its owner or root?)";
    const auto started = std::chrono::steady_clock::now();
    {
      const auto abandoned = std::move(stream);
    }
    took = ms_since(started);
  }
  std::printf("RowStream destructor on a frozen server process: returned after %lld ms\n", took);
  EXPECT_LT(took, limit_ms);
  EXPECT_FALSE(conn.is_open());
  EXPECT_THROW(conn.exec("SELECT 1"), pgkit::ConnectionLost);
}

TEST_F(ConnectionServer, RowStreamDestructorOnAFrozenServerProcessDoesNotHang) {
  // Bounds well above the grace periods (a hang would be forever): CI machines run the suite on two busy cores.
  // The query_timeout must outlast the first row on a loaded machine: a statement that timed out before the
  // freeze is cancelled and over already, and the stream then ends with the connection rightly kept.
  auto timed = connect_with_timeout(cluster().uri(), 2000ms);
  abandon_a_stream_on_a_frozen_server_process(timed, 8000);
  // Without a timeout the server gets the longest grace period, 1 s.
  auto untimed = connect_with_timeout(cluster().uri(), std::nullopt);
  abandon_a_stream_on_a_frozen_server_process(untimed, 8000);
}

TEST_F(ConnectionServer, KilledServerProcessLosesItsConnectionAndCrashesTheOthers) {
  auto victim = connect();
  auto bystander = connect();
  ASSERT_EQ(::kill(victim.backend_pid(), SIGKILL), 0);
  // The victim's process died without a word: a bare lost connection.
  EXPECT_THROW(victim.exec("SELECT 1"), pgkit::ConnectionLost);
  EXPECT_FALSE(victim.is_open());
  // The postmaster then ends every other session (crash recovery); they learn it on their next call.
  std::string sqlstate = "none";
  bool crash_shutdown = false;
  EXPECT_TRUE(eventually([&] {
    try {
      bystander.exec("SELECT 1");
      return false;
    } catch (const pgkit::ConnectionLost& e) {
      sqlstate = e.sqlstate();
      crash_shutdown = dynamic_cast<const pgkit::CrashShutdown*>(&e) != nullptr;
      return true;
    }
  }));
  // The server says why in a warning just before it closes the connection, best effort: when it arrived, the
  // loss is a CrashShutdown.
  if (!sqlstate.empty()) {
    EXPECT_EQ(sqlstate, "57P02");
    EXPECT_TRUE(crash_shutdown);
  }
  EXPECT_FALSE(bystander.is_open());
  ASSERT_TRUE(accepts_connections());
  EXPECT_EQ(connect().query_value<int>("SELECT 3"), 3);
}

}  // namespace
