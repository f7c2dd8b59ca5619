#include "process.hpp"

#include "files.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <csignal>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

// glibc 2.36's <sys/pidfd.h> lacks C++ linkage guards.
extern "C" {
#include <sys/pidfd.h>
}

namespace pgkit::embedded::detail {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::vector<char*> as_argv(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (auto& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// In the child: become `account`. Returns false on failure (errno set).
bool drop_privileges(const Account& account) {
  if (::setgroups(0, nullptr) != 0) return false;
  if (::setgid(account.gid) != 0) return false;
  if (::setuid(account.uid) != 0) return false;
  return true;
}

// In a child: one line to stderr, then exit. Only async-signal-safe calls.
[[noreturn]] void child_fail(std::string_view message, int code) {
  [[maybe_unused]] auto written = ::write(STDERR_FILENO, message.data(), message.size());
  ::_exit(code);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Waits for our child `pid`, killing it (and its process group, when it leads one) at `deadline`.
int wait_for(pid_t pid, std::optional<std::chrono::steady_clock::time_point> deadline) {
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, deadline ? WNOHANG : 0);
    if (done == pid) return exit_code_of(status);
    if (done < 0 && errno != EINTR) throw_errno("waitpid");
    if (done == 0) {
      if (std::chrono::steady_clock::now() >= *deadline) {
        ::kill(-pid, SIGKILL);  // initdb's own children (postgres --boot) go with it
        ::kill(pid, SIGKILL);
        deadline.reset();
        continue;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

// Everything the child needs, prepared before fork(): after it only async-signal-safe calls are allowed.
struct ChildPlan {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::vector<char*> arg_pointers;
  std::vector<char*> env_pointers;
  std::string workdir;
  std::optional<Account> run_as;
  int highest_fd = 1024;  // for closing descriptors by hand where close_range is refused

  ChildPlan(const std::vector<std::string>& argv, const ProcessOptions& options)
      : args(argv), env(minimal_environment(options.run_as)), workdir(options.working_directory.string()),
        run_as(options.run_as) {
    if (const long open_max = ::sysconf(_SC_OPEN_MAX); open_max > 0) {
      highest_fd = static_cast<int>(std::min<long>(open_max, 1 << 20));
    }
    if (args.empty()) throw std::invalid_argument("run_process: empty argv");
    arg_pointers = as_argv(args);
    env_pointers = as_argv(env);
  }

  // In the child, with stdin/stdout/stderr already in place.
  [[noreturn]] void exec() {
    // Nothing of this process (the host application's files, the operator's shell) reaches the child.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < highest_fd; ++fd) ::close(fd);
    }
    if (run_as && !drop_privileges(*run_as)) child_fail("pgkit: cannot switch to the server account\n", 126);
    if (::chdir(workdir.c_str()) != 0) child_fail("pgkit: cannot enter the working folder\n", 126);
    ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    child_fail("pgkit: cannot execute the program\n", 127);
  }
};

// What a tool printed, up to 1 MiB (its end is what matters: the error).
std::string read_all(int fd) {
  constexpr off_t limit = 1 << 20;
  std::string text;
  if (const off_t size = ::lseek(fd, 0, SEEK_END); size > limit) {
    if (::lseek(fd, size - limit, SEEK_SET) < 0) throw_errno("lseek");
  } else if (::lseek(fd, 0, SEEK_SET) < 0) {
    throw_errno("lseek");
  }
  if (::lseek(fd, 0, SEEK_SET) < 0) throw_errno("lseek");
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

}  // namespace

std::optional<Account> lookup_account(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return Account{name, found->pw_uid, found->pw_gid, found->pw_dir != nullptr ? found->pw_dir : "/"};
}

std::vector<std::string> minimal_environment(const std::optional<Account>& account) {
  std::vector<std::string> env{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  if (account) {
    env.push_back("HOME=" + account->home.string());
  } else if (const char* home = std::getenv("HOME"); home != nullptr) {
    env.push_back(std::string("HOME=") + home);
  }
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (text.starts_with("LANG=") || text.starts_with("LC_") || text.starts_with("TZ=") ||
        text.starts_with("LANGUAGE=")) {
      env.emplace_back(text);
    }
  }
  return env;
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  ChildPlan plan(argv, options);
  // Output goes to an anonymous file rather than a pipe: a program may leave a child running that
  // would inherit a pipe's write end and keep it open forever.
  UniqueFd output(::memfd_create("pgkit-output", MFD_CLOEXEC));
  if (!output) throw_errno("memfd_create");
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) throw_errno("open /dev/null");

  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    // Its own process group, so that a deadline ends whatever it started too.
    if (::setpgid(0, 0) != 0 || ::dup2(devnull.get(), STDIN_FILENO) < 0 ||
        ::dup2(output.get(), STDOUT_FILENO) < 0 || ::dup2(output.get(), STDERR_FILENO) < 0) {
      ::_exit(126);
    }
    plan.exec();
  }
  ProcessResult result;
  result.exit_code = wait_for(pid, options.deadline);
  result.output = read_all(output.get());
  return result;
}

pid_t spawn_daemon(const std::vector<std::string>& argv, const ProcessOptions& options, int log_fd) {
  ChildPlan plan(argv, options);
  UniqueFd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull) throw_errno("open /dev/null");
  std::array<int, 2> pipe_fds{};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) throw_errno("pipe");
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  const pid_t middle = ::fork();
  if (middle < 0) throw_errno("fork");
  if (middle == 0) {
    // The middle child only forks the daemon, reports its pid and exits, so that init adopts it.
    if (::setsid() < 0) ::_exit(126);
    const pid_t daemon = ::_Fork();  // async-signal-safe: no atfork handlers in this forked child
    if (daemon < 0) ::_exit(126);
    if (daemon > 0) {
      [[maybe_unused]] auto written = ::write(write_end.get(), &daemon, sizeof daemon);
      ::_exit(0);
    }
    ::umask(077);
    if (::dup2(devnull.get(), STDIN_FILENO) < 0 || ::dup2(log_fd, STDOUT_FILENO) < 0 ||
        ::dup2(log_fd, STDERR_FILENO) < 0) {
      ::_exit(126);
    }
    plan.exec();
  }
  write_end.reset();
  pid_t daemon = -1;
  ssize_t got = -1;
  pollfd ready{read_end.get(), POLLIN, 0};
  if (::poll(&ready, 1, 10'000) == 1) {
    do {
      got = ::read(read_end.get(), &daemon, sizeof daemon);
    } while (got < 0 && errno == EINTR);
  }
  const int middle_status = wait_for(middle, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  if (got != static_cast<ssize_t>(sizeof daemon) || middle_status != 0) {
    throw std::runtime_error(fmt::format("cannot start {} in the background (exit {})", argv[0], middle_status));
  }
  return daemon;
}

bool account_can_access(const Account& account, const std::filesystem::path& path, int mode) {
  const std::string target = path.string();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    if (!drop_privileges(account)) ::_exit(2);
    ::_exit(::access(target.c_str(), mode) == 0 ? 0 : 1);
  }
  // A hung network file system must not hang us: no answer in time counts as "cannot".
  return wait_for(pid, std::chrono::steady_clock::now() + std::chrono::seconds(10)) == 0;
}

bool process_is_alive(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  // /proc/<pid>/stat: "pid (comm) S ...": the state follows the last ')'.
  // getline, not istreambuf_iterator: a read failing as the process exits (ESRCH) must not throw.
  std::ifstream stat_file(fmt::format("/proc/{}/stat", pid));
  std::string stat;
  std::getline(stat_file, stat);
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos || paren + 2 >= stat.size()) return false;
  const char state = stat[paren + 2];
  return state != 'Z' && state != 'X';
}

std::optional<ProcessHandle> ProcessHandle::open(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  const int fd = ::pidfd_open(pid, 0);
  if (fd < 0) return std::nullopt;
  return ProcessHandle(pid, fd);
}

ProcessHandle::ProcessHandle(ProcessHandle&& other) noexcept
    : pid_(other.pid_), fd_(std::exchange(other.fd_, -1)) {}

ProcessHandle& ProcessHandle::operator=(ProcessHandle&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    pid_ = other.pid_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ProcessHandle::~ProcessHandle() {
  if (fd_ >= 0) ::close(fd_);
}

bool ProcessHandle::alive() const { return !wait_for_exit(std::chrono::milliseconds(0)); }

void ProcessHandle::signal(int signal) const { ::pidfd_send_signal(fd_, signal, nullptr, 0); }

bool ProcessHandle::wait_for_exit(std::chrono::milliseconds timeout) const {
  // A pidfd becomes readable when its process ends (zombie or reaped).
  pollfd ended{fd_, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int ready = ::poll(&ended, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (ready > 0) return true;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

}  // namespace pgkit::embedded::detail
