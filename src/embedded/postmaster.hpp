// Finding and stopping the postmaster of one data folder. Internal to pgkit.
#pragma once

#include "process.hpp"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>

namespace pgkit::embedded::detail {

// The postmaster named by `postmaster.pid` in the open data folder `data_fd`, only if that process is
// alive, belongs to `server_uid`, runs a `postgres` program and has `data_dir` as its working folder:
// a stale file naming a reused pid, or another cluster's postmaster, is not ours. The handle is taken
// before the checks, so whatever is signalled later is the process that was checked.
std::optional<ProcessHandle> postmaster_of(int data_fd, const std::filesystem::path& data_dir, uid_t server_uid);

// When `postmaster.pid` is not ours (postmaster_of found nothing) but names a live process of
// `server_uid` running `postgres` that is not the postmaster of another data folder either: a server
// pgkit cannot identify may still be using this folder, so the file must not be removed.
std::optional<pid_t> unidentified_server_named_by(int data_fd, uid_t server_uid);

// Ends a postmaster for sure: `first_signal` (SIGINT: fast shutdown), then SIGQUIT (immediate) after
// `patience`, then SIGKILL. A frozen (SIGSTOPped) server is continued so it can act on the first two.
// True when it is gone.
bool end_postmaster(const ProcessHandle& postmaster, int first_signal, std::chrono::milliseconds patience);

}  // namespace pgkit::embedded::detail
