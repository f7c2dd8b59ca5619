#include "process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>

extern char** environ;

namespace pgkit::embedded::detail {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

// Built before fork(): the child may only make async-signal-safe calls.
std::vector<std::string> child_environment() {
  std::vector<std::string> env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.starts_with("PG")) continue;
    env.emplace_back(text);
  }
  return env;
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

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_errno("waitpid");
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::optional<Account> lookup_account(const std::string& name) {
  std::vector<char> buffer(16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  return Account{name, found->pw_uid, found->pw_gid};
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (argv.empty()) throw std::invalid_argument("run_process: empty argv");
  // Output goes to an anonymous file rather than a pipe: pg_ctl leaves a server running that could
  // inherit a pipe's write end and keep it open forever.
  FileDescriptor output(::memfd_create("pgkit-output", MFD_CLOEXEC));
  if (output.get() < 0) throw_errno("memfd_create");
  FileDescriptor devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.get() < 0) throw_errno("open /dev/null");

  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers = as_argv(args);
  std::vector<std::string> env = child_environment();
  std::vector<char*> env_pointers = as_argv(env);
  const std::string workdir = options.working_directory.string();

  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    if (::dup2(devnull.get(), STDIN_FILENO) < 0 || ::dup2(output.get(), STDOUT_FILENO) < 0 ||
        ::dup2(output.get(), STDERR_FILENO) < 0) {
      ::_exit(126);
    }
    ::close_range(3, ~0U, 0);
    if (options.run_as && !drop_privileges(*options.run_as)) {
      constexpr std::string_view msg = "pgkit: cannot switch to the server account\n";
      [[maybe_unused]] auto written = ::write(STDERR_FILENO, msg.data(), msg.size());
      ::_exit(126);
    }
    if (::chdir(workdir.c_str()) != 0) ::_exit(126);
    ::execve(arg_pointers[0], arg_pointers.data(), env_pointers.data());
    constexpr std::string_view msg = "pgkit: cannot execute the program\n";
    [[maybe_unused]] auto written = ::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }

  ProcessResult result;
  result.exit_code = wait_for(pid);
  if (::lseek(output.get(), 0, SEEK_SET) < 0) throw_errno("lseek");
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(output.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  return result;
}

bool account_can_access(const Account& account, const std::filesystem::path& path, int mode) {
  const std::string target = path.string();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork");
  if (pid == 0) {
    if (!drop_privileges(account)) ::_exit(2);
    ::_exit(::access(target.c_str(), mode) == 0 ? 0 : 1);
  }
  return wait_for(pid) == 0;
}

void change_owner(const std::filesystem::path& path, const Account& account) {
  if (::chown(path.c_str(), account.uid, account.gid) != 0) throw_errno("chown " + path.string());
}

}  // namespace pgkit::embedded::detail
