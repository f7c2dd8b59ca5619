// A cluster's home folder: where it is, what pgkit records in it, who may touch it. Internal.
//
// The home belongs to the user running pgkit (root or not) and holds pgkit's record (`.pgkit-cluster`),
// the server log, the TCP passfile, and the server account's folders `data/` and (usually) `run/`.
// As root, a home the server account cannot reach (a clone under /root, mode 0700) stays where it was
// asked for as a private "anchor" whose record names a folder made with mkdtemp in /var/tmp.
#pragma once

#include "files.hpp"

#include <pgkit/embedded.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace pgkit::embedded::detail {

struct Account;

// What pgkit records about a cluster, in `<home>/.pgkit-cluster` (one `key=value` a line).
struct ClusterRecord {
  // Set by the anchor of a relocated cluster: the folder that really holds it.
  std::filesystem::path relocated_to;
  // Set once initdb and everything after it completed; a data folder without it is not a cluster.
  bool initialised = false;
  std::uint16_t port = 5432;
  bool listen_tcp = false;
  // Set when the socket folder is not `<home>/run` (that path would be too long or unsafe for a socket).
  std::filesystem::path socket_dir;
  // pgkit made this folder (else it adopted an empty one): only then does it change its mode or delete it.
  bool created_by_pgkit = false;
};

inline constexpr const char* record_file = ".pgkit-cluster";

// Throws ClusterError(invalid_options) unless `path` can be a cluster home: absolute, printable, and not
// `/`, a system folder or the user's own home folder.
void validate_home_path(const std::filesystem::path& path);

// The record in the open folder `home`, if there is one and it belongs to `owner_uid`.
std::optional<ClusterRecord> read_record(int home, uid_t owner_uid);
void write_record(int home, const ClusterRecord& record, const std::filesystem::path& shown_as);

// Opens the existing home (or anchor) `path` after checking the folders above it (see
// open_or_create_home); nullopt when it does not exist.
std::optional<UniqueFd> open_home(const std::filesystem::path& path);

// Opens the home (or anchor) `path`, creating it and its record if missing. Every folder above it must
// belong to root or this user and be writable by no one else (sticky folders such as /tmp excepted):
// otherwise another account could swap the home for a link between pgkit's steps. An existing folder must
// belong to this user, be writable by no one else, and be empty or carry pgkit's record: pgkit never
// takes over a folder it did not make.
UniqueFd open_or_create_home(const std::filesystem::path& path);

// Where the cluster asked for at `anchor` lives, following its relocation record; creates nothing.
std::filesystem::path locate_home(const std::filesystem::path& anchor);

// Holds an exclusive flock on an open folder: start, stop, initdb and removal of one cluster are
// serialised across processes.
class FolderLock {
 public:
  // Waits for the lock until `deadline`, then throws ClusterError(`on_timeout`) naming the folder.
  FolderLock(int folder, const std::filesystem::path& shown_as, std::chrono::steady_clock::time_point deadline,
             ClusterError::Code on_timeout);
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;
  ~FolderLock();

 private:
  int folder_;
};

// As root, when `account` cannot reach the anchor's parent: the folder (made with mkdtemp under
// `relocation_root`) that holds the cluster, recorded in the anchor. Otherwise the anchor itself.
// Returns the home's path and an open descriptor of it.
std::pair<std::filesystem::path, UniqueFd> resolve_home(const std::filesystem::path& anchor, int anchor_fd,
                                                         const std::optional<Account>& account,
                                                         const std::filesystem::path& relocation_root);

// A fresh, private folder `<root>/<prefix>XXXXXX` made with mkdtemp, so never one someone prepared.
std::pair<std::filesystem::path, UniqueFd> make_unique_folder(const std::filesystem::path& root,
                                                              std::string_view prefix);

// Removes what pgkit made in the open folder `folder`: its files, and its sub-folders, which must be
// empty by then (the server account empties its own; see Cluster::destroy).
void remove_entries(int folder);

}  // namespace pgkit::embedded::detail
