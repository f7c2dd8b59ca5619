// Helpers for the embedded cluster's tests: private folders, acting as another account, probing processes.
#pragma once

#include "support/scoped_env.hpp"

#include <pgkit/embedded.hpp>

#include <fmt/format.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <csignal>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace pgkit::testing {

namespace fs = std::filesystem;
using PgConnection = std::unique_ptr<PGconn, decltype(&PQfinish)>;

inline PgConnection pg_connect(const std::string& conninfo) {
  PgConnection conn(PQconnectdb(conninfo.c_str()), &PQfinish);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  return conn;
}

// Runs `sql`; the first value of the first row ("" when there is none), or the error prefixed "ERROR: ".
inline std::string pg_value(PGconn* conn, const std::string& sql) {
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn, sql.c_str()), &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
    return std::string("ERROR: ") + PQresultErrorMessage(result.get());
  }
  if (status != PGRES_TUPLES_OK || PQntuples(result.get()) == 0) return {};
  return PQgetvalue(result.get(), 0, 0);
}

// A fresh folder (mkdtemp) removed with the object; `mode` applied after creation.
class TempFolder {
 public:
  explicit TempFolder(mode_t mode = 0700, const fs::path& root = "/tmp") {
    std::string pattern = (root / "pgkit-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
    ::chmod(path_.c_str(), mode);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  ~TempFolder() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline std::optional<passwd> account_named(const char* name) {
  const passwd* entry = ::getpwnam(name);
  if (entry == nullptr) return std::nullopt;
  return *entry;
}

// Runs `body` in a child process that has become `account` for good; returns the child's exit code
// (`body`'s return value), or -1 when it crashed.
inline int run_as(const passwd& account, const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child < 0) return -1;
  if (child == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(account.pw_gid) != 0 || ::setuid(account.pw_uid) != 0) ::_exit(100);
    int code = 101;
    try {
      code = body();
    } catch (const std::exception& e) {
      fmt::print(stderr, "child failed: {}\n", e.what());
    }
    std::fflush(stderr);
    ::_exit(code);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline bool process_alive(pid_t pid) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text;
  std::getline(stat, text);  // never throws when the process exits mid-read
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z';
}

inline bool wait_until_dead(pid_t pid, std::chrono::seconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (process_alive(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

// Every live process whose working folder is `folder` (a postmaster and its backends chdir to PGDATA).
inline std::vector<pid_t> processes_in(const fs::path& folder) {
  std::vector<pid_t> found;
  std::error_code ec;
  const auto target = fs::canonical(folder, ec);
  if (ec) return found;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::error_code link_ec;
    if (fs::read_symlink(entry.path() / "cwd", link_ec) == target && !link_ec) {
      const pid_t pid = std::stoi(name);
      if (process_alive(pid)) found.push_back(pid);
    }
  }
  return found;
}

inline std::string file_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline bool is_root() { return ::geteuid() == 0; }

}  // namespace pgkit::testing
