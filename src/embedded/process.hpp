// Running the server's tools, possibly as another (unprivileged) account. Internal to pgkit.
//
// No shell is ever involved: programs are exec'd with an argv, so a path holding `$(...)`, quotes or
// commas is just text. Children get a minimal environment (see minimal_environment), never the
// operator's: a database superuser can read the server's environment (`COPY ... FROM PROGRAM 'env'`).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pgkit::embedded::detail {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
  std::filesystem::path home;
};

std::optional<Account> lookup_account(const std::string& name);

// PATH, HOME (the account's, else this user's), and the locale and TZ variables of this process.
std::vector<std::string> minimal_environment(const std::optional<Account>& account);

struct ProcessResult {
  int exit_code = -1;  // the program's exit status, or 128 + signal when killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

struct ProcessOptions {
  std::optional<Account> run_as;  // drop to this account before exec (requires root)
  std::filesystem::path working_directory = "/";
  // Killed (SIGKILL) when it has not finished by then; nullopt: no limit.
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

// Runs argv[0] (an absolute path) with a minimal environment and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts argv[0] as a daemon: its own session, not this process's child (so that it outlives us and
// never becomes our zombie), stdin from /dev/null, stdout and stderr appended to `log_fd`, umask 077.
// Returns its pid.
pid_t spawn_daemon(const std::vector<std::string>& argv, const ProcessOptions& options, int log_fd);

// Whether `account` may access `path` with `mode` (R_OK/W_OK/X_OK), checked by a child running as it.
bool account_can_access(const Account& account, const std::filesystem::path& path, int mode);

// Whether `pid` is a live process (not a zombie left for a parent that does not reap).
bool process_is_alive(pid_t pid);

// A process held by a pidfd: signals and waits reach that process, never a later one reusing its pid,
// and its end is seen even when nobody reaps it.
class ProcessHandle {
 public:
  // nullopt when the process is gone.
  static std::optional<ProcessHandle> open(pid_t pid);
  ProcessHandle(ProcessHandle&&) noexcept;
  ProcessHandle& operator=(ProcessHandle&&) noexcept;
  ~ProcessHandle();

  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] bool alive() const;
  void signal(int signal) const;
  // True when it ended within `timeout`.
  [[nodiscard]] bool wait_for_exit(std::chrono::milliseconds timeout) const;

 private:
  ProcessHandle(pid_t pid, int fd) noexcept : pid_(pid), fd_(fd) {}
  pid_t pid_ = -1;
  int fd_ = -1;
};

}  // namespace pgkit::embedded::detail
