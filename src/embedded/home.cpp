#include "home.hpp"

#include "process.hpp"

#include <pgkit/embedded.hpp>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <string_view>
#include <thread>

namespace pgkit::embedded::detail {
namespace fs = std::filesystem;
using Code = ClusterError::Code;

namespace {

constexpr std::size_t record_limit = 64 * 1024;

// Folders a home must never be: pgkit would take them over (mode, owner) or fill them.
constexpr std::array<std::string_view, 27> system_folders{
    "/",         "/bin",      "/boot",     "/dev",      "/etc",           "/home",     "/lib",
    "/lib32",    "/lib64",    "/media",    "/mnt",      "/opt",           "/proc",     "/root",
    "/run",      "/sbin",     "/srv",      "/sys",      "/tmp",           "/usr",      "/var",
    "/var/tmp",  "/var/lib",  "/var/run",  "/usr/local", "/var/lib/postgresql", "/usr/lib"};

bool is_printable(std::string_view text) {
  return std::none_of(text.begin(), text.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

std::string record_text(const ClusterRecord& record) {
  std::string text = "# pgkit cluster record: written by pgkit, do not edit.\nformat=1\n";
  if (!record.relocated_to.empty()) text += fmt::format("relocated_to={}\n", record.relocated_to.string());
  text += fmt::format("initialised={}\nport={}\nlisten_tcp={}\n", record.initialised ? 1 : 0, record.port,
                      record.listen_tcp ? 1 : 0);
  if (!record.socket_dir.empty()) text += fmt::format("socket_dir={}\n", record.socket_dir.string());
  if (record.created_by_pgkit) text += "created_by_pgkit=1\n";
  return text;
}

std::optional<ClusterRecord> parse_record(const std::string& text) {
  ClusterRecord record;
  bool has_format = false;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    if (key == "format") has_format = value == "1";
    if (key == "relocated_to") record.relocated_to = value;
    if (key == "initialised") record.initialised = value == "1";
    if (key == "listen_tcp") record.listen_tcp = value == "1";
    if (key == "socket_dir") record.socket_dir = value;
    if (key == "created_by_pgkit") record.created_by_pgkit = value == "1";
    if (key == "port") {
      const long port = std::strtol(value.c_str(), nullptr, 10);
      if (port <= 0 || port > 65535) return std::nullopt;
      record.port = static_cast<std::uint16_t>(port);
    }
  }
  if (!has_format) return std::nullopt;
  // A relocation must point to an absolute folder of pgkit's own making.
  if (!record.relocated_to.empty() && !record.relocated_to.is_absolute()) return std::nullopt;
  return record;
}

Ownership mine(mode_t mode) { return Ownership{::geteuid(), ::getegid(), mode}; }

}  // namespace

void validate_home_path(const fs::path& path) {
  if (path.empty() || !path.is_absolute()) {
    throw ClusterError(Code::invalid_options,
                       fmt::format("the cluster home must be an absolute path (got '{}')", path.string()));
  }
  if (!is_printable(path.string())) {
    throw ClusterError(Code::invalid_options,
                       "the cluster home's path holds a control character (a newline, say): choose another");
  }
  const fs::path normal = path.lexically_normal();
  std::string text = normal.string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  const char* user_home = std::getenv("HOME");
  const bool is_user_home = user_home != nullptr && fs::path(user_home).lexically_normal() == fs::path(text);
  if (is_user_home || std::find(system_folders.begin(), system_folders.end(), text) != system_folders.end()) {
    throw ClusterError(Code::invalid_options,
                       fmt::format("'{}' cannot be a cluster home: pgkit would take over a system or home "
                                   "folder; name a folder of its own (e.g. PGKIT_HOME=/var/lib/pgkit)",
                                   text));
  }
}

std::optional<ClusterRecord> read_record(int home, uid_t owner_uid) {
  const auto text = read_file_at(home, record_file, owner_uid, record_limit);
  if (!text) return std::nullopt;
  return parse_record(*text);
}

void write_record(int home, const ClusterRecord& record, const fs::path& shown_as) {
  replace_file_at(home, record_file, record_text(record), mine(0600), shown_as / record_file);
}

namespace {

// A folder above a home: only root or this user may be able to replace what is below it (a sticky
// folder such as /tmp lets no one replace entries of others).
void require_safe_ancestor(const fs::path& folder, const fs::path& home) {
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0) {
    throw ClusterError(Code::io_failed, fmt::format("cannot inspect {}: {}", folder.string(), std::strerror(errno)));
  }
  const bool trusted_owner = info.st_uid == 0 || info.st_uid == ::geteuid();
  const bool others_write = (info.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (info.st_mode & S_ISVTX) == 0;
  if (!S_ISDIR(info.st_mode) || !trusted_owner || others_write) {
    throw ClusterError(Code::invalid_options,
                       fmt::format("{} (above the cluster home {}) belongs to uid {} with mode {:o}: another account "
                                   "could replace the home under pgkit's feet. Choose a home whose every parent "
                                   "folder belongs to root or you and is not writable by others (e.g. "
                                   "PGKIT_HOME=/var/lib/pgkit as root)",
                                   folder.string(), home.string(), info.st_uid, info.st_mode & 07777));
  }
}

// Creates the missing folders above `home` (mode 0755, whatever the umask adds) after checking those
// that exist, both as written and as resolved through symlinks.
void prepare_ancestors(const fs::path& home) {
  fs::path prefix = home.root_path();
  require_safe_ancestor(prefix, home);
  for (const auto& part : home.parent_path().relative_path()) {
    prefix /= part;
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      throw ClusterError(Code::io_failed, fmt::format("cannot create {}: {}", prefix.string(), std::strerror(errno)));
    }
    require_safe_ancestor(prefix, home);
  }
  std::error_code ec;
  const fs::path resolved = fs::canonical(home.parent_path(), ec);
  if (ec) throw ClusterError(Code::io_failed, fmt::format("cannot resolve {}: {}", home.parent_path().string(), ec.message()));
  fs::path resolved_prefix = resolved.root_path();
  for (const auto& part : resolved.relative_path()) {
    resolved_prefix /= part;
    require_safe_ancestor(resolved_prefix, home);
  }
}

bool only_a_record_in(int folder) {
  const auto entries = entries_of(folder);
  // A concurrent first start may be writing the record right now (under a temporary name).
  return std::all_of(entries.begin(), entries.end(), [](const std::string& name) {
    return name == record_file || name.starts_with(std::string(".") + record_file);
  });
}

// Makes the home under a temporary name with its record inside, then renames it into place: a
// concurrent start sees either no home or a home whose record says pgkit made it. nullopt when the
// name was taken meanwhile (or before).
std::optional<UniqueFd> create_home_in_place(int parent, const std::string& name, const fs::path& home) {
  const std::string temporary = fmt::format(".{}.new-{}", name, random_hex(6));
  auto created = create_folder_at(parent, temporary, mine(0700), home.parent_path() / temporary);
  if (!created) return std::nullopt;
  ClusterRecord fresh;
  fresh.created_by_pgkit = true;
  try {
    add_file_at(created->get(), record_file, record_text(fresh), mine(0600), home / record_file);
  } catch (...) {
    remove_entries(created->get());
    ::unlinkat(parent, temporary.c_str(), AT_REMOVEDIR);
    throw;
  }
  if (::renameat2(parent, temporary.c_str(), parent, name.c_str(), RENAME_NOREPLACE) == 0) return created;
  const int error = errno;
  remove_entries(created->get());
  ::unlinkat(parent, temporary.c_str(), AT_REMOVEDIR);
  if (error == EEXIST || error == ENOTEMPTY) return std::nullopt;
  throw ClusterError(Code::io_failed, fmt::format("cannot create {}: {}", home.string(), std::strerror(error)));
}

}  // namespace

std::optional<UniqueFd> open_home(const fs::path& path) {
  const fs::path home = path.lexically_normal();
  if (!home.has_parent_path() || home == home.root_path()) return open_folder(home);
  std::error_code ec;
  if (!fs::exists(home.parent_path(), ec)) return std::nullopt;
  prepare_ancestors(home);
  return open_folder(home);
}

UniqueFd open_or_create_home(const fs::path& path) {
  validate_home_path(path);
  const fs::path home = path.lexically_normal();
  prepare_ancestors(home);
  auto parent = open_folder(home.parent_path());
  if (!parent) throw ClusterError(Code::io_failed, fmt::format("{} does not exist", home.parent_path().string()));
  const std::string name = home.filename().string();
  ClusterRecord fresh;
  if (auto created = create_home_in_place(parent->get(), name, home)) return std::move(*created);
  auto existing = open_folder_at(parent->get(), name, home);
  if (!existing) throw ClusterError(Code::io_failed, fmt::format("{} vanished while being opened", home.string()));
  require_owned_folder(existing->get(), ::geteuid(), home);
  if (read_record(existing->get(), ::geteuid())) return std::move(*existing);
  if (!only_a_record_in(existing->get())) {
    throw ClusterError(Code::invalid_options,
                       fmt::format("{} exists, is not empty and is not a pgkit cluster (no {} record): pgkit "
                                   "only uses an empty folder or one it made",
                                   home.string(), record_file));
  }
  // Never replaces a record a concurrent start wrote meanwhile (it may already say "initialised").
  add_file_at(existing->get(), record_file, record_text(fresh), mine(0600), home / record_file);
  return std::move(*existing);
}

fs::path locate_home(const fs::path& anchor) {
  std::optional<UniqueFd> fd;
  try {
    fd = open_home(anchor);
  } catch (const ClusterError&) {
    return anchor;  // start() explains what is wrong with it
  }
  if (!fd) return anchor;
  const auto record = read_record(fd->get(), ::geteuid());
  return record && !record->relocated_to.empty() ? record->relocated_to : anchor;
}

FolderLock::FolderLock(int folder, const fs::path& shown_as, std::chrono::steady_clock::time_point deadline,
                       ClusterError::Code on_timeout)
    : folder_(folder) {
  while (::flock(folder_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      throw ClusterError(Code::io_failed, fmt::format("cannot lock {}: {}", shown_as.string(), std::strerror(errno)));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw ClusterError(on_timeout,
                         fmt::format("another pgkit process holds the lock on {} (starting, stopping or removing "
                                     "that cluster) and did not let go in time",
                                     shown_as.string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

FolderLock::~FolderLock() { ::flock(folder_, LOCK_UN); }

namespace {

// The folder a relocation record names, if it is still pgkit's: ours, private, with its record.
std::optional<UniqueFd> open_relocated(const fs::path& target) {
  try {
    auto fd = open_folder(target);
    if (!fd) return std::nullopt;
    require_owned_folder(fd->get(), ::geteuid(), target);
    if (!read_record(fd->get(), ::geteuid())) return std::nullopt;
    return fd;
  } catch (const ClusterError&) {
    return std::nullopt;  // someone else's now (its name was taken after a clean-up): left alone
  }
}

}  // namespace

std::pair<fs::path, UniqueFd> resolve_home(const fs::path& anchor, int anchor_fd, const std::optional<Account>& account,
                                           const fs::path& relocation_root) {
  auto record = read_record(anchor_fd, ::geteuid()).value_or(ClusterRecord{});
  if (!record.relocated_to.empty()) {
    if (auto fd = open_relocated(record.relocated_to)) return {record.relocated_to, std::move(*fd)};
  } else if (!account || account_can_access(*account, anchor.parent_path(), X_OK)) {
    const int copy = ::fcntl(anchor_fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) throw ClusterError(Code::io_failed, fmt::format("dup: {}", std::strerror(errno)));
    return {anchor, UniqueFd(copy)};
  } else if (record.initialised) {
    throw ClusterError(Code::invalid_options,
                       fmt::format("the server account '{}' can no longer reach {} (a parent folder is not "
                                   "searchable by it)",
                                   account->name, anchor.string()));
  }
  // Out of the server account's reach (or the relocated folder is gone, e.g. /var/tmp was cleaned).
  auto [path, fd] = make_unique_folder(relocation_root, "pgkit-");
  ClusterRecord fresh;
  fresh.created_by_pgkit = true;
  write_record(fd.get(), fresh, path);
  ClusterRecord pointer;
  pointer.created_by_pgkit = record.created_by_pgkit;
  pointer.relocated_to = path;
  write_record(anchor_fd, pointer, anchor);
  return {path, std::move(fd)};
}

std::pair<fs::path, UniqueFd> make_unique_folder(const fs::path& root, std::string_view prefix) {
  std::string pattern = (root / fmt::format("{}XXXXXX", prefix)).string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw ClusterError(Code::io_failed,
                       fmt::format("cannot create a folder in {}: {}", root.string(), std::strerror(errno)));
  }
  auto fd = open_folder(pattern);
  if (!fd) throw ClusterError(Code::io_failed, fmt::format("{} vanished after its creation", pattern));
  require_owned_folder(fd->get(), ::geteuid(), pattern);
  return {fs::path(pattern), std::move(*fd)};
}

void remove_entries(int folder) {
  for (const auto& name : entries_of(folder)) {
    struct stat info {};
    if (::fstatat(folder, name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
    const bool is_folder = S_ISDIR(info.st_mode);
    if (::unlinkat(folder, name.c_str(), is_folder ? AT_REMOVEDIR : 0) != 0 && errno != ENOENT) {
      throw ClusterError(Code::io_failed, fmt::format("cannot remove {}: {}", name, std::strerror(errno)));
    }
  }
}

}  // namespace pgkit::embedded::detail
