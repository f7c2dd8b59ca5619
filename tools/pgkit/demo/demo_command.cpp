// `pgkit demo`: the main job. Runs the seed tutorial's parts against the target database.
#include "../commands.hpp"
#include "../target_database.hpp"
#include "demo.hpp"

#include <pgkit/sql.hpp>

namespace pgkit::cli {
namespace demo {

Connection connect(const std::string& conninfo) {
  ConnectOptions options;
  options.conninfo = conninfo;
  options.application_name = "pgkit demo";
  // The demo's objects live in their own schema; the server resolves unqualified names there.
  options.parameters = {{"options", "-c search_path=pgkit_demo"}};
  // A server that freezes must end the demo with an error, not hang it: every wait has a deadline.
  options.connect_timeout = connect_timeout;
  options.query_timeout = query_timeout;
  return Connection(options);
}

}  // namespace demo

namespace {

int run_demo() {
  auto target = resolve_target_database();
  fmt::print("pgkit demo: using {}\n", target.describe());
  {
    Connection setup = demo::connect(target.url);
    setup.exec(sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql::Identifier(demo::schema)));
    setup.exec(sql::SQL("CREATE SCHEMA {}").format(sql::Identifier(demo::schema)));
  }
  auto conn = demo::connect(target.url);
  demo::connecting(conn);
  demo::products_crud(conn);
  demo::safe_queries(conn);
  demo::json_metadata(conn);
  demo::errors_by_sqlstate(conn);
  demo::bulk_loading(conn);
  demo::migrations(conn);
  demo::orm_models(conn);
  demo::pooled_workers(target);
  fmt::print("\npgkit demo: done\n");
  return exit_ok;
}

}  // namespace

void add_demo_command(CLI::App& app, Action& action) {
  app.add_subcommand("demo", "Run the demonstration against DATABASE_URL or the embedded cluster")
      ->callback([&action] { action = run_demo; });
}

}  // namespace pgkit::cli
