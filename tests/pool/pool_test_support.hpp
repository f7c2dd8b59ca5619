// Helpers shared by the pool tests: options, server-side observation of a pool's sessions, and control
// of a dedicated server's processes (kill, freeze) for the resilience tests.
#pragma once

#include "core/connection_helpers.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/embedded.hpp>
#include <pgkit/pool.hpp>

#include <dirent.h>
#include <gtest/gtest.h>
#include <csignal>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pgkit::testing {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Far above every timeout the pool tests use: a call returning later than this has hung.
inline constexpr auto kHangLimit = 20s;

inline std::chrono::milliseconds elapsed_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

// Options for a pool over `conninfo` with a name no other test uses at the same time (the name is also
// the sessions' application_name, which lets the tests count them on the server).
inline PoolOptions pool_options(const std::string& conninfo, std::string_view prefix = "pool") {
  PoolOptions options;
  options.connect.conninfo = conninfo;
  options.name = unique_name(prefix);
  options.acquire_timeout = 10s;
  return options;
}

// Sessions the pool named `pool_name` has open on the server `observer` is connected to.
inline std::int64_t server_sessions(Connection& observer, const std::string& pool_name) {
  return observer.query_value<std::int64_t>("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                                            "pgkit pool " + pool_name);
}

inline bool backend_exists(Connection& observer, int pid) {
  return observer.query_value<bool>("SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)", pid);
}

// A logger writing into a string, for checking what the pool logs. Read it only once the pool is closed
// (its background thread may log at any time before).
class CapturedLog {
 public:
  CapturedLog()
      : sink_(std::make_shared<spdlog::sinks::ostream_sink_mt>(stream_)),
        logger_(std::make_shared<spdlog::logger>("pool-test", sink_)) {
    logger_->set_level(spdlog::level::debug);
  }
  [[nodiscard]] const std::shared_ptr<spdlog::logger>& logger() const { return logger_; }
  [[nodiscard]] std::string text() {
    logger_->flush();
    return stream_.str();
  }

 private:
  std::ostringstream stream_;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> logger_;
};

// ---- processes of a dedicated server ------------------------------------------------------------

struct ProcessInfo {
  char state = '?';
  pid_t parent = 0;
};

// State and parent from /proc/<pid>/stat; nullopt when the process is gone.
inline std::optional<ProcessInfo> process_info(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so parse after the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 1));
  ProcessInfo info;
  long parent = 0;
  if (!(rest >> info.state >> parent)) return std::nullopt;
  info.parent = static_cast<pid_t>(parent);
  return info;
}

inline bool process_gone(pid_t pid) {
  const auto info = process_info(pid);
  return !info || info->state == 'Z' || info->state == 'X';
}

// Every descendant of `root` (not `root` itself), found through the parent pids in /proc.
inline std::vector<pid_t> descendants(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> all;  // (pid, parent)
  if (DIR* proc = ::opendir("/proc")) {
    while (const dirent* entry = ::readdir(proc)) {
      char* end = nullptr;
      const long pid = std::strtol(entry->d_name, &end, 10);
      if (end == entry->d_name || *end != '\0') continue;
      if (const auto info = process_info(static_cast<pid_t>(pid)))
        all.emplace_back(static_cast<pid_t>(pid), info->parent);
    }
    ::closedir(proc);
  }
  std::vector<pid_t> found;
  std::vector<pid_t> frontier{root};
  while (!frontier.empty()) {
    const pid_t parent = frontier.back();
    frontier.pop_back();
    for (const auto& [pid, ppid] : all) {
      if (ppid == parent) {
        found.push_back(pid);
        frontier.push_back(pid);
      }
    }
  }
  return found;
}

// Sends SIGSTOP to the postmaster and waits until it is stopped, so that it forks nothing more; returns
// the postmaster followed by all its descendants.
inline std::vector<pid_t> stop_server_tree(pid_t postmaster) {
  EXPECT_EQ(::kill(postmaster, SIGSTOP), 0) << "kill(" << postmaster << ", SIGSTOP): errno " << errno;
  EXPECT_TRUE(eventually(
      [&] {
        const auto info = process_info(postmaster);
        return !info || info->state == 'T' || info->state == 't';
      },
      10s))
      << "the postmaster did not stop";
  std::vector<pid_t> tree{postmaster};
  const auto children = descendants(postmaster);
  tree.insert(tree.end(), children.begin(), children.end());
  return tree;
}

// kill -9 of the postmaster and every process under it, as a machine crash or the OOM killer would;
// returns once all are dead.
inline void kill_server_tree(pid_t postmaster) {
  const auto tree = stop_server_tree(postmaster);
  for (const pid_t pid : tree) ::kill(pid, SIGKILL);
  for (const pid_t pid : tree) {
    EXPECT_TRUE(eventually([&] { return process_gone(pid); }, 10s)) << "process " << pid << " survived SIGKILL";
  }
}

// The postmaster and all its processes frozen with SIGSTOP (a hung machine, a stalled VM) until thaw()
// or the end of the scope, so that a failing test never leaves a frozen server behind.
class FrozenServer {
 public:
  explicit FrozenServer(pid_t postmaster) : pids_(stop_server_tree(postmaster)) {
    for (std::size_t i = 1; i < pids_.size(); ++i) ::kill(pids_[i], SIGSTOP);
  }
  FrozenServer(const FrozenServer&) = delete;
  FrozenServer& operator=(const FrozenServer&) = delete;
  ~FrozenServer() { thaw(); }
  void thaw() {
    for (auto it = pids_.rbegin(); it != pids_.rend(); ++it) ::kill(*it, SIGCONT);
    pids_.clear();
  }
  [[nodiscard]] std::size_t processes() const { return pids_.size(); }

 private:
  std::vector<pid_t> pids_;
};

// A running throwaway cluster of its own, for tests that kill, freeze or reconfigure the server (the
// shared test server must stay untouched).
inline embedded::Cluster start_dedicated_cluster() {
  auto cluster = embedded::Cluster::make_throwaway();
  cluster.start();
  return cluster;
}

// Threads joined at the end of the scope (also when an assertion returns early), after `unblock` has
// run to let them finish.
class ThreadGroup {
 public:
  explicit ThreadGroup(std::function<void()> unblock = {}) : unblock_(std::move(unblock)) {}
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  ~ThreadGroup() { join(); }
  template <class F>
  void spawn(F&& body) {
    threads_.emplace_back(std::forward<F>(body));
  }
  void join() {
    if (unblock_) std::exchange(unblock_, {})();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

 private:
  std::function<void()> unblock_;
  std::vector<std::thread> threads_;
};

// Raises `target` to at least `value`.
template <class T>
void raise_to(std::atomic<T>& target, T value) {
  T seen = target.load();
  while (seen < value && !target.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace pgkit::testing
