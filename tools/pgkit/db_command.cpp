// `pgkit db start|stop|status|url|psql`: the embedded cluster of this working folder ($PGKIT_HOME).
#include "commands.hpp"

#include <pgkit/embedded.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace pgkit::cli {
namespace {

struct DbFlags {
  bool tcp = false;
  bool json = false;
  bool yes = false;
  std::string database = "postgres";
  std::vector<std::string> psql_args;
};

// TCP, once turned on, stays on: a later plain `start` keeps the port others may be using.
embedded::Cluster open_cluster(bool tcp) {
  auto cluster = embedded::Cluster::make_default();
  if (!tcp && !cluster.tcp_port()) return cluster;
  auto options = cluster.options();
  options.listen_tcp = true;
  return embedded::Cluster(std::move(options));
}

const char* describe(embedded::ClusterState state) {
  switch (state) {
    case embedded::ClusterState::not_initialized: return "not initialised";
    case embedded::ClusterState::stopped: return "stopped";
    case embedded::ClusterState::running: return "running";
  }
  return "unknown";
}

nlohmann::json describe_json(const embedded::Cluster& cluster, embedded::ClusterState state) {
  nlohmann::json out{{"state", describe(state)},
                     {"home", cluster.home().string()},
                     {"data", cluster.data_directory().string()},
                     {"socket_folder", cluster.socket_directory().string()},
                     {"log", cluster.log_file().string()}};
  if (state != embedded::ClusterState::not_initialized) out["url"] = cluster.uri();
  if (auto pid = cluster.postmaster_pid()) out["pid"] = *pid;
  if (auto port = cluster.tcp_port()) {
    out["tcp_port"] = *port;
    out["tcp_url"] = cluster.tcp_uri();
  }
  return out;
}

int start(const DbFlags& flags) {
  auto cluster = open_cluster(flags.tcp);
  const bool was_running = cluster.running();
  cluster.start();
  if (flags.json) {
    auto out = describe_json(cluster, embedded::ClusterState::running);
    out["already_running"] = was_running;
    fmt::print("{}\n", out.dump());
    return exit_ok;
  }
  fmt::print("{} ({})\n", was_running ? "already running" : "started", cluster.data_directory().string());
  fmt::print("url: {}\n", cluster.uri());
  if (auto port = cluster.tcp_port()) fmt::print("tcp: {}\n", cluster.tcp_uri());
  return exit_ok;
}

int stop() {
  auto cluster = embedded::Cluster::make_default();
  const bool was_running = cluster.running();
  cluster.stop();
  fmt::print("{}\n", was_running ? "stopped" : "not running");
  return exit_ok;
}

int destroy(const DbFlags& flags) {
  if (!flags.yes) {
    std::cerr << "pgkit: db destroy stops the cluster and deletes it with all its data; say --yes to do it\n";
    return exit_usage;
  }
  auto cluster = embedded::Cluster::make_default();
  const bool existed = cluster.state() != embedded::ClusterState::not_initialized;
  const std::string home = cluster.home().string();
  cluster.destroy();
  fmt::print("{} {}\n", existed ? "deleted the cluster in" : "no cluster in", home);
  return exit_ok;
}

int status(const DbFlags& flags) {
  auto cluster = embedded::Cluster::make_default();
  const auto state = cluster.state();
  if (flags.json) {
    fmt::print("{}\n", describe_json(cluster, state).dump());
  } else {
    fmt::print("state: {}\nhome: {}\nsocket folder: {}\nlog: {}\n", describe(state), cluster.home().string(),
               cluster.socket_directory().string(), cluster.log_file().string());
    if (auto pid = cluster.postmaster_pid()) fmt::print("pid: {}\n", *pid);
    if (auto port = cluster.tcp_port()) fmt::print("tcp port: {}\n", *port);
  }
  return state == embedded::ClusterState::running ? exit_ok : exit_failure;
}

// A URL is only worth printing for a server that answers it: scripts do `psql "$(pgkit db url)"`.
int url(const DbFlags& flags) {
  auto cluster = embedded::Cluster::make_default();
  const auto state = cluster.state();
  if (state != embedded::ClusterState::running) {
    std::cerr << fmt::format("pgkit: the embedded cluster in {} is {} (pgkit db start)\n", cluster.home().string(),
                             describe(state));
    return exit_failure;
  }
  if (flags.tcp && !cluster.tcp_port()) {
    std::cerr << "pgkit: the embedded cluster does not listen on TCP (pgkit db start --tcp)\n";
    return exit_failure;
  }
  const std::string text = flags.tcp ? cluster.tcp_uri(flags.database) : cluster.uri(flags.database);
  if (flags.json) {
    fmt::print("{}\n", nlohmann::json{{"url", text}}.dump());
  } else {
    fmt::print("{}\n", text);
  }
  return exit_ok;
}

int psql(const DbFlags& flags) {
  auto cluster = embedded::Cluster::make_default();
  if (!cluster.running()) {
    std::cerr << "pgkit: the embedded cluster is not running (pgkit db start)\n";
    return exit_failure;
  }
  std::filesystem::path program = cluster.bin_directory() / "psql";
  std::vector<std::string> args{program.string(), cluster.uri(flags.database)};
  args.insert(args.end(), flags.psql_args.begin(), flags.psql_args.end());
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  // The socket folder is the server account's: should something else answer there and ask for a
  // password, psql must have none to give (no PGPASSWORD, no ~/.pgpass line, no service file).
  std::vector<std::string> pg_variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view variable(*entry);
    if (variable.starts_with("PG")) pg_variables.emplace_back(variable.substr(0, variable.find('=')));
  }
  for (const auto& name : pg_variables) ::unsetenv(name.c_str());
  ::setenv("PGPASSFILE", "/nonexistent/pgkit-has-no-passfile-for-the-socket", 1);
  ::execv(argv[0], argv.data());
  std::cerr << "pgkit: cannot run " << program.string() << '\n';
  return exit_failure;
}

}  // namespace

void add_db_command(CLI::App& app, Action& action) {
  auto flags = std::make_shared<DbFlags>();
  auto* db = app.add_subcommand("db", "Manage the embedded cluster ($PGKIT_HOME, else ./.pgkit)");
  db->require_subcommand(1);

  auto* start_cmd = db->add_subcommand("start", "Initialise (first time) and start the cluster");
  start_cmd->add_flag("--tcp", flags->tcp, "Also listen on 127.0.0.1 (a free port, password in a passfile)");
  start_cmd->add_flag("--json", flags->json, "Report as one JSON object");
  start_cmd->callback([&action, flags] { action = [flags] { return start(*flags); }; });

  db->add_subcommand("stop", "Stop the cluster")->callback([&action] { action = [] { return stop(); }; });
  auto* destroy_cmd = db->add_subcommand("destroy", "Stop the cluster and delete it with all its data");
  destroy_cmd->add_flag("--yes", flags->yes, "Really delete it");
  destroy_cmd->callback([&action, flags] { action = [flags] { return destroy(*flags); }; });
  auto* status_cmd = db->add_subcommand("status", "Show the cluster's state (exit 0 when running, 1 otherwise)");
  status_cmd->add_flag("--json", flags->json, "Report as one JSON object");
  status_cmd->callback([&action, flags] { action = [flags] { return status(*flags); }; });

  auto* url_cmd = db->add_subcommand("url", "Print a connection URI for the running cluster (exit 1 when not running)");
  url_cmd->add_flag("--tcp", flags->tcp, "The TCP URI instead of the Unix socket one");
  url_cmd->add_flag("--json", flags->json, "Report as one JSON object");
  url_cmd->add_option("-d,--database", flags->database, "Database name")->capture_default_str();
  url_cmd->callback([&action, flags] { action = [flags] { return url(*flags); }; });

  auto* psql_cmd = db->add_subcommand("psql", "Run psql against the cluster (extra arguments after --)");
  psql_cmd->add_option("-d,--database", flags->database, "Database name")->capture_default_str();
  psql_cmd->add_option("args", flags->psql_args, "Arguments passed to psql");
  psql_cmd->callback([&action, flags] { action = [flags] { return psql(*flags); }; });
}

}  // namespace pgkit::cli
