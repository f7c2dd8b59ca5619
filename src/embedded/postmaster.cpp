#include "postmaster.hpp"

#include "files.hpp"
#include "process.hpp"

#include <fmt/format.h>
#include <signal.h>

#include <cstdlib>
#include <string>
#include <system_error>
#include <thread>

namespace pgkit::embedded::detail {
namespace fs = std::filesystem;

namespace {

std::optional<fs::path> link_target(const fs::path& link) {
  std::error_code ec;
  auto target = fs::read_symlink(link, ec);
  if (ec) return std::nullopt;
  return target;
}

}  // namespace

std::optional<pid_t> postmaster_of(int data_fd, const fs::path& data_dir, uid_t server_uid) {
  const auto text = read_file_at(data_fd, "postmaster.pid", server_uid, 4096);
  if (!text) return std::nullopt;
  const long number = std::strtol(text->c_str(), nullptr, 10);
  // A negative pid marks a standalone backend; the process is |pid|.
  const auto pid = static_cast<pid_t>(number < 0 ? -number : number);
  if (pid <= 1 || !process_is_alive(pid)) return std::nullopt;
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  const auto cwd = link_target(proc / "cwd");
  const auto program = link_target(proc / "exe");
  std::error_code ec;
  const auto canonical_data = fs::canonical(data_dir, ec);
  if (ec || !cwd || !program || *cwd != canonical_data) return std::nullopt;
  if (program->filename() != "postgres") return std::nullopt;
  return pid;
}

bool signal_and_wait(pid_t pid, int signal, std::chrono::milliseconds timeout) {
  if (!process_is_alive(pid)) return true;
  ::kill(pid, signal);
  if (signal != SIGKILL) ::kill(pid, SIGCONT);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process_is_alive(pid)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

bool end_postmaster(pid_t pid, int first_signal, std::chrono::milliseconds patience) {
  using std::chrono::seconds;
  return signal_and_wait(pid, first_signal, patience) || signal_and_wait(pid, SIGQUIT, seconds(5)) ||
         signal_and_wait(pid, SIGKILL, seconds(5));
}

}  // namespace pgkit::embedded::detail
