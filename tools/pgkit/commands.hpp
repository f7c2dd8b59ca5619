// The pgkit command line: each command registers its CLI11 subcommand and returns an exit code.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace pgkit::cli {

// Exit codes shared by every command.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// A command's action, run after parsing; returns the exit code.
using Action = std::function<int()>;

void add_db_command(CLI::App& app, Action& action);
void add_demo_command(CLI::App& app, Action& action);
void add_pool_commands(CLI::App& app, Action& action);  // pool-bench, metrics
void add_migrate_command(CLI::App& app, Action& action);

}  // namespace pgkit::cli
