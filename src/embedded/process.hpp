// Running the server's tools, possibly as another (unprivileged) account. Internal to pgkit.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pgkit::embedded::detail {

struct Account {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

std::optional<Account> lookup_account(const std::string& name);

struct ProcessResult {
  int exit_code = -1;  // the program's exit status, or 128 + signal when killed by a signal
  std::string output;  // stdout and stderr, interleaved
};

struct ProcessOptions {
  std::optional<Account> run_as;         // drop to this account before exec (requires root)
  std::filesystem::path working_directory = "/";
};

// Runs argv[0] (an absolute path) and waits for it. The child gets this process's environment minus
// libpq's PG* variables, which would otherwise silently redirect the server tools.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Whether `account` may access `path` with `mode` (R_OK/W_OK/X_OK), checked by a child running as it.
bool account_can_access(const Account& account, const std::filesystem::path& path, int mode);

// Changes the owner of `path` (not recursive) or throws std::system_error.
void change_owner(const std::filesystem::path& path, const Account& account);

}  // namespace pgkit::embedded::detail
