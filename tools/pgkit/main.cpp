#include "commands.hpp"

#include <pgkit/errors.hpp>
#include <pgkit/version.hpp>

#include <fmt/format.h>

#include <iostream>

int main(int argc, char** argv) {
  namespace cli = pgkit::cli;
  CLI::App app{"pgkit: PostgreSQL for C++ programs, and the operator's command line"};
  app.set_version_flag("--version", fmt::format("pgkit {} (libpq {})", pgkit::version_string, pgkit::libpq_version()));
  app.require_subcommand(1);
  cli::Action action;
  cli::add_db_command(app, action);
  cli::add_demo_command(app, action);
  cli::add_pool_commands(app, action);
  cli::add_migrate_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return cli::exit_usage;
  }
  try {
    return action ? action() : cli::exit_usage;
  } catch (const pgkit::Error& e) {
    std::cerr << "pgkit: " << e.what() << '\n';
    return cli::exit_failure;
  } catch (const std::exception& e) {
    std::cerr << "pgkit: unexpected error: " << e.what() << '\n';
    return cli::exit_failure;
  }
}
