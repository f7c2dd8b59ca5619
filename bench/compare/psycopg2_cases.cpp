// psycopg2 and SQLAlchemy run in Debian's /usr/bin/python3 (the python3 first on PATH may be another build that
// does not see python3-psycopg2). The conninfo goes through stdin, never argv.
#include "cases.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <stdexcept>
#include <string>

namespace pgkit::bench {
namespace {

constexpr const char* python = "/usr/bin/python3";

}  // namespace

double run_python_case(const char* script_path, const std::string& name, const Workload& w) {
  int to_child[2];
  int from_child[2];
  if (::pipe2(to_child, O_CLOEXEC) != 0 || ::pipe2(from_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
  std::string script = script_path;
  std::string count = std::to_string(w.count);
  std::string program = python;
  std::string case_name = name;
  char* argv[] = {program.data(), script.data(), case_name.data(), count.data(), nullptr};
  pid_t pid = 0;
  const int spawned = ::posix_spawn(&pid, python, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (spawned != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    throw std::runtime_error("cannot run /usr/bin/python3");
  }
  const std::string input = w.conninfo + "\n";
  [[maybe_unused]] const auto written = ::write(to_child[1], input.data(), input.size());
  ::close(to_child[1]);
  std::string output;
  char buffer[4096];
  for (ssize_t n; (n = ::read(from_child[0], buffer, sizeof buffer)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(from_child[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto at = output.find("\"seconds\":");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || at == std::string::npos) {
    throw std::runtime_error(fmt::format("{} failed (are python3-psycopg2 and python3-sqlalchemy installed?)", name));
  }
  return std::stod(output.substr(at + 10));
}

void register_psycopg2(Registry& registry) {
  auto& cases = registry["psycopg2"];
  for (const char* name : {"select1", "point_select", "fetch_decode", "insert_many", "copy_in", "copy_out"}) {
    cases[name] = [name = std::string(name)](const Workload& w) {
      return run_python_case(PGKIT_BENCH_PSYCOPG2_SCRIPT, name, w);
    };
  }
}

void register_sqlalchemy(Registry& registry) {
  for (const char* name : {"orm_insert", "orm_get", "orm_load_related"}) {
    registry["sqlalchemy"][name] = [name = std::string(name)](const Workload& w) {
      return run_python_case(PGKIT_BENCH_SQLALCHEMY_SCRIPT, name, w);
    };
  }
  // selectinload changes how relations load; inserts and gets would be the same as the seed's.
  registry["sqlalchemy_selectin"]["orm_load_related"] = [](const Workload& w) {
    return run_python_case(PGKIT_BENCH_SQLALCHEMY_SCRIPT, "orm_load_related_selectin", w);
  };
}

}  // namespace pgkit::bench
