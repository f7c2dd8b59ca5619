// Folder and file operations that never follow a symlink an unprivileged account could plant. Internal.
//
// As root, the cluster's folders are shared with the server account: everything here works on
// descriptors (`openat` with O_NOFOLLOW, `fchown`, `fchmod`), never re-resolves a path after checking it,
// and creates new files exclusively. See docs/embedded.md, "What the cluster trusts".
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgkit::embedded::detail {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  [[nodiscard]] int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

// Who should own a folder or file, and with which permission bits.
struct Ownership {
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0700;
};

// Opens the folder `path` (absolute) without following a symlink in its last component. nullopt when
// it does not exist; throws ClusterError(io_failed) when it is a symlink or not a folder.
std::optional<UniqueFd> open_folder(const std::filesystem::path& path);
// The same, for the entry `name` of the open folder `parent`.
std::optional<UniqueFd> open_folder_at(int parent, const std::string& name, const std::filesystem::path& shown_as);

// Creates the folder `name` in `parent` and gives it to `owner` (through its descriptor). Returns
// nullopt when the name already exists: nothing is changed then. Throws if what it opens after creating
// is not the empty folder it made (swapped in between by someone who can write in `parent`).
std::optional<UniqueFd> create_folder_at(int parent, const std::string& name, const Ownership& owner,
                                         const std::filesystem::path& shown_as);

// Throws ClusterError(io_failed) unless the open folder belongs to `uid` and no one else may write in it.
void require_owned_folder(int fd, uid_t uid, const std::filesystem::path& shown_as);
// Sets owner and mode of an open file or folder.
void set_ownership(int fd, const Ownership& owner, const std::filesystem::path& shown_as);
[[nodiscard]] bool folder_is_empty(int fd);

// Replaces `name` in `folder` with `text` atomically: written to a new file (O_EXCL) under a unique
// name, synced, then renamed over the old one. The file is created with `owner`.
void replace_file_at(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                     const std::filesystem::path& shown_as);
// The same, but only when `name` does not exist yet (never replacing it). False when it existed.
bool add_file_at(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                 const std::filesystem::path& shown_as);
// Creates `name` in `folder` exclusively, with `text`; throws if it exists.
void create_file_at(int folder, const std::string& name, std::string_view text, const Ownership& owner,
                     const std::filesystem::path& shown_as);

// Reads at most `limit` bytes of the regular file `name` in `folder`, not following a symlink, and only
// if it belongs to `owner_uid`. nullopt when it does not exist or fails these checks.
std::optional<std::string> read_file_at(int folder, const std::string& name, uid_t owner_uid, std::size_t limit);

// Opens `name` in `folder` for appending (created 0600 if missing), refusing symlinks, hard links and
// files that do not belong to this process's user.
UniqueFd open_log_at(int folder, const std::string& name, const std::filesystem::path& shown_as);

// Removes `name` from `folder` if it is there (a file, or an empty folder when `folder_entry`).
void remove_at(int folder, const std::string& name, bool folder_entry = false);

// Every entry of the open folder, "." and ".." left out.
std::vector<std::string> entries_of(int folder);

// `text` with control characters other than newline and tab shown as \xNN: server output (a log
// line a database superuser wrote) must not drive the operator's terminal.
std::string printable(std::string_view text);

// Lower-case hex of `bytes` random bytes (OpenSSL's generator).
std::string random_hex(std::size_t bytes);

}  // namespace pgkit::embedded::detail
