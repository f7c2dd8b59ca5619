// Running the built `pgkit` as a child process: its output, exit status and time, and what the
// processes it starts carry in their argv and environment.
#pragma once

#include "pool/pool_test_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <poll.h>
#include <csignal>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <cerrno>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace pgkit::testing {

// The built CLI; PGKIT_TEST_CLI names another (e.g. an older build, to see a test fail without a fix).
inline const char* cli_path() {
  const char* other = std::getenv("PGKIT_TEST_CLI");
  return other != nullptr && *other != '\0' ? other : PGKIT_CLI_PATH;
}

// How a child ended.
struct CliResult {
  int exit_code = -1;  // -1 when a signal ended it
  int signal = 0;      // the signal that ended it, 0 when it exited
  bool timed_out = false;
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
};

inline std::ostream& operator<<(std::ostream& os, const CliResult& r) {
  return os << "exit " << r.exit_code << ", signal " << r.signal << (r.timed_out ? ", timed out" : "") << ", "
            << r.elapsed.count() << " ms\n--- stdout:\n" << r.out << "\n--- stderr:\n" << r.err;
}

// The test's environment without anything that names a server (DATABASE_URL, PG*), plus `set`.
inline std::vector<std::string> child_environment(const std::map<std::string, std::string>& set) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const std::string name = text.substr(0, text.find('='));
    if (name == "DATABASE_URL" || name.starts_with("PG") || set.contains(name)) continue;
    env.push_back(text);
  }
  for (const auto& [name, value] : set) env.push_back(name + "=" + value);
  return env;
}

struct CliOptions {
  std::map<std::string, std::string> env;  // added to the test's environment (less DATABASE_URL and PG*)
  std::optional<rlim_t> address_space;     // RLIMIT_AS of the child, to make thread creation fail
};

// `pgkit <args>` running; stdout and stderr collected by a reader thread.
class CliProcess {
 public:
  CliProcess(const std::vector<std::string>& args, const CliOptions& options = {}) : started_(Clock::now()) {
    std::vector<std::string> argv{cli_path()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = child_environment(options.env);
    std::vector<char*> argv_c;
    std::vector<char*> env_c;
    for (auto& a : argv) argv_c.push_back(a.data());
    for (auto& e : env) env_c.push_back(e.data());
    argv_c.push_back(nullptr);
    env_c.push_back(nullptr);
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::dup2(out[1], 1);
      ::dup2(err[1], 2);
      if (options.address_space) {
        const rlimit limit{*options.address_space, *options.address_space};
        ::setrlimit(RLIMIT_AS, &limit);
      }
      ::execve(argv_c[0], argv_c.data(), env_c.data());
      ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    reader_ = std::thread([this, o = out[0], e = err[0]] { read_all(o, e); });
  }
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;
  ~CliProcess() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      (void)finish(std::chrono::seconds(10));
    }
  }

  [[nodiscard]] pid_t pid() const { return pid_; }
  void send(int signal) const { ::kill(pid_, signal); }

  [[nodiscard]] std::string out() {
    const std::lock_guard lock(mutex_);
    return out_;
  }
  [[nodiscard]] std::string err() {
    const std::lock_guard lock(mutex_);
    return err_;
  }
  [[nodiscard]] bool running() {
    if (reaped_) return false;
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) record(status);
    return !reaped_;
  }

  // Waits for the end, killing the child (SIGKILL) when `limit` passes first.
  CliResult finish(std::chrono::milliseconds limit) {
    const auto deadline = started_ + limit;
    while (running() && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (!reaped_) {
      result_.timed_out = true;
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
      record(status);
    }
    if (reader_.joinable()) reader_.join();
    result_.out = out();
    result_.err = err();
    return result_;
  }

 private:
  void record(int status) {
    reaped_ = true;
    result_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
    if (WIFEXITED(status)) result_.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result_.signal = WTERMSIG(status);
  }

  void read_all(int out_fd, int err_fd) {
    pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open = 2;
    char buffer[4096];
    while (open > 0) {
      if (::poll(fds, 2, 1000) < 0 && errno != EINTR) break;
      for (auto& fd : fds) {
        if (fd.fd < 0 || fd.revents == 0) continue;
        const ssize_t n = ::read(fd.fd, buffer, sizeof buffer);
        if (n <= 0) {
          ::close(fd.fd);
          fd.fd = -1;
          --open;
          continue;
        }
        const std::lock_guard lock(mutex_);
        (fd.fd == out_fd ? out_ : err_).append(buffer, static_cast<std::size_t>(n));
      }
    }
  }

  Clock::time_point started_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  CliResult result_;
  std::thread reader_;
  std::mutex mutex_;
  std::string out_;
  std::string err_;
};

// `pgkit <args>` to its end (killed after `limit`).
inline CliResult run_cli(const std::vector<std::string>& args, const CliOptions& options = {},
                         std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  CliProcess process(args, options);
  return process.finish(limit);
}

// What `file` holds, or as much as could be read: a /proc file of a process that exits mid-read fails
// with ESRCH, which std::filebuf reports by throwing (seen in CI), so plain read(2) is used here.
inline std::string read_whole(const std::filesystem::path& file) {
  std::string text;
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got > 0) text.append(buffer, static_cast<std::size_t>(got));
    else if (got < 0 && errno == EINTR) continue;
    else break;
  }
  ::close(fd);
  return text;
}

// argv and environment of process `pid`, NUL-separated as the kernel gives them ("" when it is gone).
inline std::string process_cmdline_and_environ(pid_t pid) {
  const std::filesystem::path proc = "/proc/" + std::to_string(pid);
  return read_whole(proc / "cmdline") + '\n' + read_whole(proc / "environ");
}

// A copy of the CLI itself (a fork not yet exec'd, or LeakSanitizer's tracer under ASan) has the
// environment the user gave the CLI: only programs the CLI starts are judged by what they carry.
inline bool is_the_cli_itself(pid_t pid) {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec);
  return !ec && std::filesystem::equivalent(exe, cli_path(), ec);
}

// Every process on the machine (but `except` and copies of the CLI) whose argv or environment
// contains `secret`.
inline std::vector<pid_t> processes_carrying(std::string_view secret, const std::vector<pid_t>& except) {
  std::vector<pid_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (std::find(except.begin(), except.end(), pid) != except.end() || is_the_cli_itself(pid)) continue;
    if (process_cmdline_and_environ(pid).find(secret) != std::string::npos) found.push_back(pid);
  }
  return found;
}

// A fresh folder under /var/tmp (reachable for the server account), removed with this object; home()
// inside it does not exist yet, for PGKIT_HOME (the CLI creates it when it starts a cluster there).
class TempHome {
 public:
  TempHome() {
    std::string pattern = "/var/tmp/pgkit-cli-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                            std::filesystem::perms::others_exec);
  }
  TempHome(const TempHome&) = delete;
  TempHome& operator=(const TempHome&) = delete;
  ~TempHome() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  [[nodiscard]] std::filesystem::path home() const { return path_ / "home"; }

 private:
  std::filesystem::path path_;
};

// A TCP connection to 127.0.0.1:<port>, for talking HTTP to the metrics endpoint by hand.
class Socket {
 public:
  explicit Socket(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (fd_ >= 0) ::close(fd_);
      throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] bool send(std::string_view text) const {
    return ::send(fd_, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }
  // What arrives until the peer closes, `needle` has arrived, or `limit` passes.
  [[nodiscard]] std::string receive(std::string_view needle, std::chrono::milliseconds limit) const {
    std::string got;
    const auto deadline = Clock::now() + limit;
    char buffer[4096];
    while (got.find(needle) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd fd{fd_, POLLIN, 0};
      if (left <= 0 || ::poll(&fd, 1, static_cast<int>(left)) <= 0) break;
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<std::size_t>(n));
    }
    return got;
  }

 private:
  int fd_;
};

// The port of "http://<host>:<port>/metrics" in `text`, if it says one (as digits). No <regex>: g++ 12
// warns inside it under the sanitizers, and -Werror makes that fatal.
inline std::optional<std::string> metrics_port_text_in(const std::string& text, std::string_view host) {
  const std::string prefix = "http://" + std::string(host) + ":";
  for (auto at = text.find(prefix); at != std::string::npos; at = text.find(prefix, at + 1)) {
    const auto digits_begin = at + prefix.size();
    const auto digits_end = text.find_first_not_of("0123456789", digits_begin);
    if (digits_end != digits_begin && digits_end != std::string::npos && text.compare(digits_end, 8, "/metrics") == 0) {
      return text.substr(digits_begin, digits_end - digits_begin);
    }
  }
  return std::nullopt;
}

inline std::optional<int> metrics_port_in(const std::string& text) {
  const auto port = metrics_port_text_in(text, "127.0.0.1");
  if (!port) return std::nullopt;
  return std::stoi(*port);
}

inline constexpr std::string_view kMetricsGet = "GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n";

}  // namespace pgkit::testing
