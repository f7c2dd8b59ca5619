// pgkit::embedded: a real local PostgreSQL cluster that needs no setup.
//
// The cluster lives in one folder (its "home"), which belongs to the user running pgkit: pgkit's record
// (`.pgkit-cluster`), `server.log`, the TCP passfile `pgpass`, and the server's `data/` and `run/`
// (the Unix socket folder, mode 0700). The server listens on that socket with trust authentication, so
// only the account running the server (and root) can connect; TCP on 127.0.0.1 is optional and uses
// scram-sha-256 with a generated password that only ever lives in the 0600 passfile.
//
// PostgreSQL refuses to run as root. When this process is root, initdb and the server run as an
// unprivileged account (PGKIT_SERVER_USER, else Debian's `postgres`), which owns `data/` and `run/`
// and nothing else; root never writes into a folder that account controls. docs/embedded.md lists what
// the cluster trusts and why.
#pragma once

#include <pgkit/errors.hpp>

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgkit::embedded {

class ClusterError : public Error {
 public:
  enum class Code {
    binaries_not_found,  // initdb/pg_ctl/postgres could not be found
    account_unusable,    // running as root but no unprivileged account can run the server
    invalid_options,     // options that cannot work (relative or unreachable home, ...)
    initdb_failed,
    start_failed,        // the message carries the tail of the server log
    stop_failed,
    io_failed,           // creating folders or files failed
  };
  ClusterError(Code code, const std::string& message) : Error(message), code_(code) {}
  [[nodiscard]] Code code() const noexcept { return code_; }

 private:
  Code code_;
};

struct ClusterOptions {
  // The folder holding everything of this cluster. Must be absolute; created if missing; an existing
  // folder must be empty or one pgkit made, and belong to this user. As root, when the server account
  // cannot reach it (under a mode-0700 home such as /root), it stays a private pointer to a folder that
  // start() makes with mkdtemp in /var/tmp: home() then names that folder.
  std::filesystem::path home;
  // A throwaway cluster is stopped and deleted with its Cluster object.
  bool throwaway = false;
  // Off: fsync and synchronous_commit off, for speed where losing data on a crash does not matter.
  bool durable = true;
  // Also listen on 127.0.0.1, on a free port chosen at first start (kept while it stays free).
  bool listen_tcp = false;
  // Name of the database superuser created by initdb.
  std::string superuser = "postgres";
  // OS account that runs the server when this process is root. Empty: $PGKIT_SERVER_USER, else "postgres".
  std::string server_account;
  // Folder holding initdb, pg_ctl and postgres. Empty: discovered (see find_server_binaries).
  std::filesystem::path bin_dir;
  // Deadlines: start() (initdb included, and waiting for another process starting the same cluster),
  // and stop()'s fast shutdown before it turns to an immediate one, then to SIGKILL.
  std::chrono::seconds start_timeout{60};
  std::chrono::seconds stop_timeout{30};
  // Extra postgresql.conf settings, e.g. {"max_connections", "200"}.
  std::vector<std::pair<std::string, std::string>> settings;
};

enum class ClusterState { not_initialized, stopped, running };

class Cluster {
 public:
  explicit Cluster(ClusterOptions options);
  // A throwaway cluster in a fresh temporary folder ($TMPDIR, or /tmp when the server account cannot
  // reach $TMPDIR); `options.home` is ignored.
  static Cluster make_throwaway(ClusterOptions options = {});
  // The persistent cluster the CLI uses: $PGKIT_HOME, else `.pgkit/` in the working folder.
  static Cluster make_default();

  Cluster(Cluster&&) noexcept;
  Cluster& operator=(Cluster&&) noexcept;
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;
  // A throwaway cluster is stopped and deleted; a persistent one is left as it is.
  ~Cluster();

  // Initialises the data folder if needed and starts the server, returning once it accepts
  // connections, or throwing by `start_timeout` (a server it started is stopped then). Reuses a server
  // already running on this data folder; a postmaster.pid naming any other process is stale.
  // Serialised with other processes starting or stopping the same cluster.
  void start();
  // Fast shutdown (immediate if that does not finish in `stop_timeout`, then SIGKILL). Does nothing if
  // not running.
  void stop();
  // Stops the server and deletes the cluster's folders (what pgkit made and nothing else).
  void destroy();
  void restart();
  [[nodiscard]] ClusterState state() const;
  [[nodiscard]] bool running() const { return state() == ClusterState::running; }

  // libpq connection URI for `database` over the Unix socket, or over TCP (requires listen_tcp).
  [[nodiscard]] std::string uri(std::string_view database = "postgres") const;
  [[nodiscard]] std::string tcp_uri(std::string_view database = "postgres") const;

  [[nodiscard]] std::optional<pid_t> postmaster_pid() const;
  [[nodiscard]] std::optional<std::uint16_t> tcp_port() const;
  [[nodiscard]] const std::filesystem::path& home() const;
  [[nodiscard]] std::filesystem::path data_directory() const;
  [[nodiscard]] std::filesystem::path socket_directory() const;
  [[nodiscard]] std::filesystem::path log_file() const;
  [[nodiscard]] std::filesystem::path bin_directory() const;
  [[nodiscard]] std::string log_tail(std::size_t lines = 40) const;
  [[nodiscard]] const ClusterOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where the server binaries are: `pg_config --bindir` (pg_config searched on PATH), then the newest
// /usr/lib/postgresql/<major>/bin. `search_roots` replaces /usr/lib/postgresql (for tests).
// Throws ClusterError(binaries_not_found) naming every place it looked.
std::filesystem::path find_server_binaries(
    const std::vector<std::filesystem::path>& search_roots = {"/usr/lib/postgresql"});

// The home the CLI uses: $PGKIT_HOME, else `<working folder>/.pgkit`.
std::filesystem::path default_home();

// A connection string given by the environment: DATABASE_URL, else libpq's PGHOST/PGSERVICE/PGDATABASE
// (returned as an empty string meaning "let libpq read PG* itself"). nullopt: use the embedded cluster.
std::optional<std::string> database_url_from_environment();

// The server a program that needs one for a while uses (examples, benchmarks): the environment's
// (DATABASE_URL or PG*) when set, else a throwaway cluster started here and removed with this object.
class ServerForThisRun {
 public:
  ServerForThisRun();
  // The conninfo to connect with ("" when libpq's PG* variables name the server).
  [[nodiscard]] const std::string& conninfo() const noexcept { return conninfo_; }

 private:
  std::optional<Cluster> cluster_;
  std::string conninfo_;
};

}  // namespace pgkit::embedded
