#include "files.hpp"

#include <pgkit/embedded.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

namespace pgkit::embedded::detail {
namespace fs = std::filesystem;
using Code = ClusterError::Code;

namespace {

[[noreturn]] void fail(const fs::path& shown_as, std::string_view what, int error = errno) {
  throw ClusterError(Code::io_failed, fmt::format("{} {}: {}", what, shown_as.string(), std::strerror(error)));
}

void write_all(int fd, std::string_view text, const fs::path& shown_as) {
  while (!text.empty()) {
    const ssize_t written = ::write(fd, text.data(), text.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) fail(shown_as, "cannot write");
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

std::optional<UniqueFd> open_folder_checked(int parent, const char* name, const fs::path& shown_as) {
  const int fd = ::openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0) return UniqueFd(fd);
  if (errno == ENOENT) return std::nullopt;
  if (errno == ELOOP || errno == ENOTDIR) {
    throw ClusterError(Code::io_failed,
                       fmt::format("{} is a symlink or not a folder; pgkit only uses real folders it owns "
                                   "(a symlink there may point anywhere)",
                                   shown_as.string()));
  }
  fail(shown_as, "cannot open");
}

// Writes `text` into a new file `name` (O_EXCL, no symlink followed) owned as asked.
void write_new_file(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                    const fs::path& shown_as) {
  UniqueFd fd(::openat(folder, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) fail(shown_as, "cannot create");
  write_all(fd.get(), text, shown_as);
  set_ownership(fd.get(), owner, shown_as);
  if (::fsync(fd.get()) != 0) fail(shown_as, "cannot sync");
}

}  // namespace

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

std::optional<UniqueFd> open_folder(const fs::path& path) {
  return open_folder_checked(AT_FDCWD, path.c_str(), path);
}

std::optional<UniqueFd> open_folder_at(int parent, const std::string& name, const fs::path& shown_as) {
  return open_folder_checked(parent, name.c_str(), shown_as);
}

std::optional<UniqueFd> create_folder_at(int parent, const std::string& name, const Ownership& owner,
                                         const fs::path& shown_as) {
  if (::mkdirat(parent, name.c_str(), 0700) != 0) {
    if (errno == EEXIST) return std::nullopt;
    fail(shown_as, "cannot create");
  }
  auto fd = open_folder_checked(parent, name.c_str(), shown_as);
  if (!fd) fail(shown_as, "cannot open the folder just created", ENOENT);
  struct stat info {};
  if (::fstat(fd->get(), &info) != 0) fail(shown_as, "cannot inspect");
  if (info.st_uid != ::geteuid() || !folder_is_empty(fd->get())) {
    throw ClusterError(Code::io_failed,
                       fmt::format("{} was replaced right after pgkit created it: refusing it", shown_as.string()));
  }
  set_ownership(fd->get(), owner, shown_as);
  return fd;
}

void require_owned_folder(int fd, uid_t uid, const fs::path& shown_as) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail(shown_as, "cannot inspect");
  if (!S_ISDIR(info.st_mode)) throw ClusterError(Code::io_failed, fmt::format("{} is not a folder", shown_as.string()));
  if (info.st_uid != uid) {
    throw ClusterError(Code::io_failed,
                       fmt::format("{} belongs to uid {}, not to uid {} as pgkit expects: refusing to use a folder "
                                   "another account controls",
                                   shown_as.string(), info.st_uid, uid));
  }
  if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw ClusterError(Code::io_failed,
                       fmt::format("{} is writable by other accounts (mode {:o}): refusing to use it",
                                   shown_as.string(), info.st_mode & 07777));
  }
}

void set_ownership(int fd, const Ownership& owner, const fs::path& shown_as) {
  struct stat info {};
  if (::fstat(fd, &info) != 0) fail(shown_as, "cannot inspect");
  if ((info.st_uid != owner.uid || info.st_gid != owner.gid) && ::fchown(fd, owner.uid, owner.gid) != 0) {
    fail(shown_as, "cannot change the owner of");
  }
  if ((info.st_mode & 07777) != owner.mode && ::fchmod(fd, owner.mode) != 0) fail(shown_as, "cannot set the mode of");
}

bool folder_is_empty(int fd) { return entries_of(fd).empty(); }

std::vector<std::string> entries_of(int folder) {
  const int copy = ::dup(folder);
  if (copy < 0) throw ClusterError(Code::io_failed, fmt::format("dup: {}", std::strerror(errno)));
  DIR* dir = ::fdopendir(copy);
  if (dir == nullptr) {
    ::close(copy);
    throw ClusterError(Code::io_failed, fmt::format("fdopendir: {}", std::strerror(errno)));
  }
  ::rewinddir(dir);
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return names;
}

namespace {

// Writes a new file under a unique temporary name, then renames it to `name` (with `rename_flags`).
bool publish_file(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                  const fs::path& shown_as, unsigned int rename_flags) {
  const std::string temporary = fmt::format(".{}.{}", name, random_hex(8));
  try {
    write_new_file(folder, temporary, text, owner, shown_as);
  } catch (...) {
    ::unlinkat(folder, temporary.c_str(), 0);
    throw;
  }
  if (::renameat2(folder, temporary.c_str(), folder, name.c_str(), rename_flags) != 0) {
    const int error = errno;
    ::unlinkat(folder, temporary.c_str(), 0);
    if (error == EEXIST && (rename_flags & RENAME_NOREPLACE) != 0) return false;
    fail(shown_as, "cannot replace", error);
  }
  return true;
}

}  // namespace

void replace_file_at(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                     const fs::path& shown_as) {
  publish_file(folder, name, text, owner, shown_as, 0);
}

bool add_file_at(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                 const fs::path& shown_as) {
  return publish_file(folder, name, text, owner, shown_as, RENAME_NOREPLACE);
}

void create_file_at(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                    const fs::path& shown_as) {
  try {
    write_new_file(folder, name, text, owner, shown_as);
  } catch (...) {
    ::unlinkat(folder, name.c_str(), 0);
    throw;
  }
}

std::optional<std::string> read_file_at(int folder, const std::string& name, uid_t owner_uid, std::size_t limit) {
  UniqueFd fd(::openat(folder, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return std::nullopt;
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != owner_uid) return std::nullopt;
  std::string text;
  const auto size = static_cast<std::size_t>(info.st_size);
  // A long file (the server log): its end.
  if (size > limit && ::lseek(fd.get(), static_cast<off_t>(size - limit), SEEK_SET) < 0) return std::nullopt;
  char buffer[8192];
  while (text.size() < limit) {
    const ssize_t n = ::read(fd.get(), buffer, std::min(sizeof buffer, limit - text.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  return text;
}

UniqueFd open_log_at(int folder, const std::string& name, const fs::path& shown_as) {
  UniqueFd fd(::openat(folder, name.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) fail(shown_as, "cannot open");
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) fail(shown_as, "cannot inspect");
  if (!S_ISREG(info.st_mode) || info.st_uid != ::geteuid() || info.st_nlink != 1) {
    throw ClusterError(Code::io_failed,
                       fmt::format("{} is not a regular file of this user with a single link", shown_as.string()));
  }
  return fd;
}

void remove_at(int folder, const std::string& name, bool folder_entry) {
  ::unlinkat(folder, name.c_str(), folder_entry ? AT_REMOVEDIR : 0);
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> random(bytes);
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    throw ClusterError(Code::io_failed, "cannot generate random bytes (OpenSSL RAND_bytes failed)");
  }
  std::string out;
  out.reserve(bytes * 2);
  for (unsigned char b : random) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace pgkit::embedded::detail
