// `pgkit demo`: the main job. Connects to the target database and shows what pgkit does.
#include "commands.hpp"
#include "target_database.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <memory>

namespace pgkit::cli {
namespace {

int run_demo() {
  auto target = resolve_target_database();
  fmt::print("pgkit demo: using {}\n", target.describe());
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(target.url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    fmt::print(stderr, "pgkit: cannot connect: {}", PQerrorMessage(conn.get()));
    return exit_failure;
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> version(PQexec(conn.get(), "SELECT version()"), &PQclear);
  if (PQresultStatus(version.get()) != PGRES_TUPLES_OK) {
    fmt::print(stderr, "pgkit: SELECT version() failed: {}", PQresultErrorMessage(version.get()));
    return exit_failure;
  }
  fmt::print("server version: {}\n", PQgetvalue(version.get(), 0, 0));
  return exit_ok;
}

}  // namespace

void add_demo_command(CLI::App& app, Action& action) {
  app.add_subcommand("demo", "Run the demonstration against DATABASE_URL or the embedded cluster")
      ->callback([&action] { action = run_demo; });
}

}  // namespace pgkit::cli
