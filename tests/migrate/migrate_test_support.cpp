#include "migrate_test_support.hpp"

#include <pgkit/embedded.hpp>

#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <memory>
#include <stdexcept>

namespace pgkit::testing {
namespace {

void export_conninfo(const std::string& conninfo) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(conninfo.c_str(), &error),
                                                                       &PQconninfoFree);
  if (!options) _exit(97);
  for (auto* option = options.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || option->envvar == nullptr) continue;
    ::setenv(option->envvar, option->val, 1);
  }
}

}  // namespace

std::string pg_dump_schema(const std::string& conninfo, const std::string& schema) {
  const auto program = (embedded::find_server_binaries() / "pg_dump").string();
  std::array<int, 2> pipe_ends{};
  if (::pipe(pipe_ends.data()) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = ::fork();
  if (child == 0) {
    ::dup2(pipe_ends[1], 1);
    ::close(pipe_ends[0]);
    export_conninfo(conninfo);
    const std::string schema_arg = "--schema=" + schema;
    ::execl(program.c_str(), program.c_str(), "--schema-only", "--no-owner", schema_arg.c_str(),
            static_cast<char*>(nullptr));
    _exit(98);
  }
  ::close(pipe_ends[1]);
  std::string out;
  std::array<char, 4096> buffer{};
  for (;;) {
    const auto n = ::read(pipe_ends[0], buffer.data(), buffer.size());
    if (n <= 0) break;
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(pipe_ends[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("pg_dump failed:\n" + out);
  // pg_dump 15.14 and later fence the dump with \restrict <random key> lines: different every run.
  std::string kept;
  std::size_t start = 0;
  while (start < out.size()) {
    auto end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    const std::string_view line(out.data() + start, end - start);
    if (!line.starts_with("\\restrict") && !line.starts_with("\\unrestrict")) kept.append(line).push_back('\n');
    start = end + 1;
  }
  return kept;
}

}  // namespace pgkit::testing
