#include "postmaster.hpp"

#include "files.hpp"

#include <fmt/format.h>
#include <csignal>
#include <sys/stat.h>

#include <charconv>
#include <string>
#include <system_error>

namespace pgkit::embedded::detail {
namespace fs = std::filesystem;

namespace {

std::optional<fs::path> link_target(const fs::path& link) {
  std::error_code ec;
  auto target = fs::read_symlink(link, ec);
  if (ec) return std::nullopt;
  return target;
}

// The first line of postmaster.pid: a pid (negative for a standalone backend). Text the server account
// controls, so parsed strictly.
std::optional<pid_t> pid_in(int data_fd, uid_t server_uid) {
  const auto text = read_file_at(data_fd, "postmaster.pid", server_uid, 4096);
  if (!text) return std::nullopt;
  const std::string_view line = std::string_view(*text).substr(0, text->find('\n'));
  const std::string_view digits = line.starts_with('-') ? line.substr(1) : line;
  pid_t pid = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
  if (error != std::errc() || end != digits.data() + digits.size() || pid <= 1) return std::nullopt;
  return pid;
}

// A process of `server_uid` whose program is named postgres.
bool is_server_process(pid_t pid, uid_t server_uid) {
  const fs::path proc = fs::path("/proc") / std::to_string(pid);
  struct stat info {};
  if (::stat(proc.c_str(), &info) != 0 || info.st_uid != server_uid) return false;
  const auto program = link_target(proc / "exe");
  return program && program->filename().string().starts_with("postgres");
}

}  // namespace

std::optional<ProcessHandle> postmaster_of(int data_fd, const fs::path& data_dir, uid_t server_uid) {
  const auto pid = pid_in(data_fd, server_uid);
  if (!pid) return std::nullopt;
  auto handle = ProcessHandle::open(*pid);
  if (!handle || !handle->alive() || !is_server_process(*pid, server_uid)) return std::nullopt;
  const auto cwd = link_target(fs::path("/proc") / std::to_string(*pid) / "cwd");
  std::error_code ec;
  const auto canonical_data = fs::canonical(data_dir, ec);
  if (ec || !cwd || *cwd != canonical_data) return std::nullopt;
  // Checked after the handle was opened: if the pid was reused meanwhile, the checks saw the new process.
  if (!handle->alive()) return std::nullopt;
  return handle;
}

std::optional<pid_t> unidentified_server_named_by(int data_fd, uid_t server_uid) {
  const auto pid = pid_in(data_fd, server_uid);
  if (!pid || !process_is_alive(*pid) || !is_server_process(*pid, server_uid)) return std::nullopt;
  // Another cluster's postmaster (its pid reused after a crash or reboot): its own folder says so.
  if (const auto cwd = link_target(fs::path("/proc") / std::to_string(*pid) / "cwd")) {
    try {
      if (auto other = open_folder(*cwd); other && pid_in(other->get(), server_uid) == pid) return std::nullopt;
    } catch (const std::exception&) {
      // Unreadable: cannot be told apart, so not removed.
    }
  }
  return pid;
}

bool end_postmaster(const ProcessHandle& postmaster, int first_signal, std::chrono::milliseconds patience) {
  using std::chrono::seconds;
  for (const auto& [signal, wait] : {std::pair{first_signal, patience}, std::pair{SIGQUIT, std::chrono::milliseconds(seconds(5))},
                                     std::pair{SIGKILL, std::chrono::milliseconds(seconds(5))}}) {
    if (!postmaster.alive()) return true;
    postmaster.signal(signal);
    if (signal != SIGKILL) postmaster.signal(SIGCONT);
    if (postmaster.wait_for_exit(wait)) return true;
  }
  return !postmaster.alive();
}

}  // namespace pgkit::embedded::detail
