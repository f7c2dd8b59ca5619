// Finding and stopping the postmaster of one data folder. Internal to pgkit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>

namespace pgkit::embedded::detail {

// The postmaster named by `postmaster.pid` in the open data folder `data_fd`, only if that process is
// alive and really serves this data folder (its working folder is `data_dir`, its program `postgres`):
// a stale file naming a reused pid, or another cluster's postmaster, is not ours.
std::optional<pid_t> postmaster_of(int data_fd, const std::filesystem::path& data_dir, uid_t server_uid);

// Sends `signal` to `pid` and waits until it is gone or `timeout` passed. True when it is gone.
bool signal_and_wait(pid_t pid, int signal, std::chrono::milliseconds timeout);

// Ends a postmaster for sure: `first_signal` (SIGINT: fast shutdown), then SIGQUIT (immediate) after
// `patience`, then SIGKILL. A frozen (SIGSTOPped) server is continued so it can act on the first two.
// True when it is gone.
bool end_postmaster(pid_t pid, int first_signal, std::chrono::milliseconds patience);

}  // namespace pgkit::embedded::detail
