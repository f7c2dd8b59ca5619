#include <pgkit/embedded.hpp>

#include "files.hpp"
#include "home.hpp"
#include "postmaster.hpp"
#include "process.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <csignal>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <thread>

namespace pgkit::embedded {
namespace fs = std::filesystem;
using detail::Account;
using detail::ClusterRecord;
using detail::Ownership;
using detail::UniqueFd;
using Code = ClusterError::Code;
using Clock = std::chrono::steady_clock;

namespace {

// sockaddr_un::sun_path is 108 bytes including the terminating NUL.
constexpr std::size_t max_socket_path = 107;
constexpr std::string_view socket_file_pattern = "/.s.PGSQL.65535";
constexpr std::size_t log_read_limit = 256 * 1024;

// Percent-encodes everything outside RFC 3986's unreserved set; '/' is kept for readable paths.
std::string uri_encode(std::string_view text, bool keep_slash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

bool is_setting_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '.';
  });
}

// A role name that needs no quoting in a passfile line or a URI: letters, digits, '_', '.', '-'.
bool is_plain_role_name(std::string_view name) {
  return !name.empty() && name.size() <= 63 && (std::isalpha(static_cast<unsigned char>(name[0])) != 0 || name[0] == '_') &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) {
           return std::isalnum(c) != 0 || c == '_' || c == '.' || c == '-';
         });
}

// Socket folders go into `unix_socket_directories`, a comma-separated list: keep to plain characters.
bool is_plain_path(std::string_view path) {
  return std::all_of(path.begin(), path.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '/' || c == '_' || c == '.' || c == '-' || c == '+';
  });
}

std::optional<std::uint16_t> free_tcp_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return std::nullopt;
  }
  return ntohs(addr.sin_port);
}

bool tcp_port_is_free(std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t found = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++found == lines) break;
  }
  return text.substr(pos);
}

// The end of server or tool output for an error message, control characters escaped.
std::string excerpt(const std::string& text, std::size_t lines) { return detail::printable(tail_lines(text, lines)); }

fs::path temp_root() {
  const char* tmpdir = std::getenv("TMPDIR");
  return (tmpdir != nullptr && *tmpdir == '/') ? fs::path(tmpdir) : fs::path("/tmp");
}

std::string account_name_from(const ClusterOptions& options) {
  if (!options.server_account.empty()) return options.server_account;
  const char* env = std::getenv("PGKIT_SERVER_USER");
  return (env != nullptr && *env != '\0') ? std::string(env) : std::string("postgres");
}

// The account the server runs as, or nullopt when this process is unprivileged and runs it itself.
std::optional<Account> resolve_server_account(const ClusterOptions& options) {
  if (::geteuid() != 0) return std::nullopt;
  const std::string name = account_name_from(options);
  auto account = detail::lookup_account(name);
  if (!account) {
    throw ClusterError(Code::account_unusable,
                       fmt::format("PostgreSQL refuses to run as root, and the account '{}' that should run the "
                                   "server does not exist: create it (useradd --system {}) or set "
                                   "PGKIT_SERVER_USER to another unprivileged account",
                                   name, name));
  }
  if (account->uid == 0) {
    throw ClusterError(Code::account_unusable,
                       fmt::format("the server account '{}' is root; PostgreSQL needs an unprivileged one", name));
  }
  return account;
}

// initdb hands the server's path to /bin/sh inside double quotes.
void require_safe_bin_dir(const fs::path& bin_dir, Code code) {
  if (bin_dir.string().find_first_of("\"$`\\\n\r") != std::string::npos) {
    throw ClusterError(code, fmt::format("the binaries folder '{}' holds a quote, '$', '`', '\\' or a newline, which "
                                         "initdb cannot pass safely",
                                         detail::printable(bin_dir.string())));
  }
}

void validate_options(const ClusterOptions& options) {
  detail::validate_home_path(options.home);
  if (!is_plain_role_name(options.superuser)) {
    throw ClusterError(Code::invalid_options,
                       fmt::format("the superuser name '{}' must be 1 to 63 letters, digits, '_', '.' or '-'",
                                   options.superuser));
  }
  for (const auto& [name, value] : options.settings) {
    if (!is_setting_name(name)) {
      throw ClusterError(Code::invalid_options, fmt::format("'{}' is not a valid setting name", name));
    }
    if (value.find_first_of(std::string_view("\0\n\r", 3)) != std::string::npos) {
      throw ClusterError(Code::invalid_options, fmt::format("the value of setting '{}' holds a newline or NUL", name));
    }
  }
  require_safe_bin_dir(options.bin_dir, Code::invalid_options);
}

}  // namespace

fs::path find_server_binaries(const std::vector<fs::path>& search_roots) {
  std::vector<std::string> looked;
  // Unreadable folders on PATH are skipped, not fatal: hence the error_code overloads.
  const auto exists = [](const fs::path& path) {
    std::error_code ec;
    return fs::exists(path, ec);
  };
  const auto has_server = [&](const fs::path& dir) {
    return exists(dir / "initdb") && exists(dir / "pg_ctl") && exists(dir / "postgres");
  };
  // pg_config on PATH knows where its own server lives.
  if (const char* path_env = std::getenv("PATH")) {
    std::string_view path(path_env);
    while (!path.empty()) {
      const auto colon = path.find(':');
      const fs::path candidate = fs::path(path.substr(0, colon)) / "pg_config";
      path = colon == std::string_view::npos ? std::string_view{} : path.substr(colon + 1);
      if (!exists(candidate)) continue;
      detail::ProcessOptions limited;
      limited.deadline = Clock::now() + std::chrono::seconds(10);
      const auto result = detail::run_process({candidate.string(), "--bindir"}, limited);
      std::string bindir = result.output.substr(0, result.output.find('\n'));
      looked.push_back(fmt::format("{} --bindir ({})", candidate.string(), bindir));
      if (result.exit_code == 0 && has_server(bindir)) return bindir;
      break;
    }
  }
  if (looked.empty()) looked.emplace_back("pg_config (not on PATH)");
  for (const auto& root : search_roots) {
    std::vector<std::pair<int, fs::path>> versions;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      const std::string name = entry.path().filename().string();
      char* end = nullptr;
      const long major = std::strtol(name.c_str(), &end, 10);
      if (end != name.c_str() && *end == '\0') versions.emplace_back(static_cast<int>(major), entry.path() / "bin");
    }
    std::sort(versions.begin(), versions.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [major, bin] : versions) {
      if (has_server(bin)) return bin;
    }
    looked.push_back(root.string() + "/*/bin");
  }
  throw ClusterError(Code::binaries_not_found,
                     fmt::format("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; looked in: {}. "
                                 "Install the server (apt-get install postgresql) or set ClusterOptions::bin_dir",
                                 fmt::join(looked, "; ")));
}

fs::path default_home() {
  const char* env = std::getenv("PGKIT_HOME");
  if (env != nullptr && *env != '\0') return fs::absolute(env).lexically_normal();
  return fs::current_path() / ".pgkit";
}

std::optional<std::string> database_url_from_environment() {
  if (const char* url = std::getenv("DATABASE_URL"); url != nullptr && *url != '\0') return std::string(url);
  for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"}) {
    if (const char* value = std::getenv(name); value != nullptr && *value != '\0') return std::string();
  }
  return std::nullopt;
}


struct Cluster::Impl {
  ClusterOptions options;
  std::optional<Account> account;  // set when root: who runs the server
  fs::path home;                   // where the cluster really is (options.home, or where it was relocated)
  fs::path bin_dir;                // resolved on first use

  explicit Impl(ClusterOptions opts) : options(std::move(opts)) {
    options.home = without_trailing_slash(options.home);
    validate_options(options);
    account = resolve_server_account(options);
    home = detail::locate_home(options.home);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ~Impl() {
    if (!options.throwaway) return;
    try {
      destroy();
    } catch (...) {  // a destructor must not throw; what is left is in a private temporary folder
    }
  }

  static fs::path without_trailing_slash(const fs::path& path) {
    fs::path normal = path.lexically_normal();
    if (normal.has_relative_path() && !normal.has_filename()) normal = normal.parent_path();
    return normal;
  }

  uid_t server_uid() const { return account ? account->uid : ::geteuid(); }
  Ownership server_owns(mode_t mode) const {
    return account ? Ownership{account->uid, account->gid, mode} : Ownership{::geteuid(), ::getegid(), mode};
  }
  static Ownership i_own(mode_t mode) { return Ownership{::geteuid(), ::getegid(), mode}; }

  fs::path data_dir() const { return home / "data"; }
  fs::path log_path() const { return home / "server.log"; }
  fs::path passfile() const { return home / "pgpass"; }
  fs::path preferred_socket_dir() const { return home / "run"; }
  bool socket_fits_home() const {
    const std::string preferred = preferred_socket_dir().string();
    return preferred.size() + socket_file_pattern.size() <= max_socket_path && is_plain_path(preferred);
  }

  // What pgkit recorded in the home; defaults when there is none yet.
  ClusterRecord record() const {
    auto fd = detail::open_folder(home);
    if (!fd) return {};
    return detail::read_record(fd->get(), ::geteuid()).value_or(ClusterRecord{});
  }

  fs::path socket_dir() const {
    const auto recorded = record().socket_dir;
    return recorded.empty() ? preferred_socket_dir() : recorded;
  }

  const fs::path& binaries() {
    if (bin_dir.empty()) {
      fs::path found = options.bin_dir.empty() ? find_server_binaries() : options.bin_dir;
      require_safe_bin_dir(found, Code::binaries_not_found);
      bin_dir = std::move(found);
    }
    for (const char* tool : {"initdb", "postgres"}) {
      std::error_code ec;
      if (!fs::exists(bin_dir / tool, ec)) {
        throw ClusterError(Code::binaries_not_found, fmt::format("'{}' not found in {}", tool, bin_dir.string()));
      }
    }
    return bin_dir;
  }

  detail::ProcessOptions as_server(Clock::time_point deadline) const {
    detail::ProcessOptions process;
    process.run_as = account;
    process.working_directory = home;
    process.deadline = deadline;
    return process;
  }

  std::string log_since(off_t offset) const {
    auto fd = detail::open_folder(home);
    if (!fd) return {};
    struct stat info {};
    std::size_t limit = log_read_limit;
    if (::fstatat(fd->get(), "server.log", &info, AT_SYMLINK_NOFOLLOW) == 0 && info.st_size > offset) {
      limit = std::min(limit, static_cast<std::size_t>(info.st_size - offset));
    }
    return detail::read_file_at(fd->get(), "server.log", ::geteuid(), limit).value_or("");
  }

  void start();
  void stop();
  void destroy();
  ClusterState state() const;
  std::optional<detail::ProcessHandle> live_postmaster() const;

 private:
  void initialise(int home_fd, ClusterRecord& record, Clock::time_point deadline);
  void empty_as_server(const fs::path& folder, Clock::time_point deadline) const;
  UniqueFd prepare_socket_dir(int home_fd, ClusterRecord& record) const;
  std::uint16_t choose_port(const ClusterRecord& record) const;
  std::vector<std::string> server_argv(const ClusterRecord& record);
  void launch(int home_fd, const ClusterRecord& record, Clock::time_point deadline);
  enum class Outcome { ready, exited, timed_out };
  Outcome wait_until_accepting(const detail::ProcessHandle& server, Clock::time_point deadline) const;
  bool accepts_connections() const;
  UniqueFd open_data(int home_fd) const;
  void write_passfile(int home_fd, std::uint16_t port) const;
  void remove_stale_locks(int data_fd, int socket_fd, std::uint16_t port) const;
  void stop_locked();
  void remove_cluster_files(int folder_fd, Clock::time_point deadline) const;
  Clock::time_point lock_deadline() const { return Clock::now() + options.start_timeout + options.stop_timeout; }
};

// The data folder, which only the server account may own.
UniqueFd Cluster::Impl::open_data(int home_fd) const {
  auto fd = detail::open_folder_at(home_fd, "data", data_dir());
  if (!fd) throw ClusterError(Code::io_failed, fmt::format("{} is missing", data_dir().string()));
  detail::require_owned_folder(fd->get(), server_uid(), data_dir());
  return std::move(*fd);
}

void Cluster::Impl::empty_as_server(const fs::path& folder, Clock::time_point deadline) const {
  // As the server account, which owns the folder: root never walks a tree that account controls.
  const auto result = detail::run_process({"/usr/bin/find", folder.string(), "-mindepth", "1", "-delete"},
                                          as_server(deadline));
  if (result.exit_code != 0) {
    throw ClusterError(Code::io_failed, fmt::format("cannot empty {}: {}", folder.string(), result.output));
  }
}

void Cluster::Impl::initialise(int home_fd, ClusterRecord& record, Clock::time_point deadline) {
  if (!detail::create_folder_at(home_fd, "data", server_owns(0700), data_dir())) {
    // Left by an initdb that did not complete (killed, say): never trusted, started over.
    open_data(home_fd);
    empty_as_server(data_dir(), deadline);
  }
  const std::string password = detail::random_hex(24);
  const std::string password_file = ".initdb-password-" + detail::random_hex(8);
  detail::create_file_at(home_fd, password_file, password + "\n", server_owns(0400), home / password_file);
  std::vector<std::string> argv{(binaries() / "initdb").string(), "-D", data_dir().string(),
                                "-U", options.superuser, "--auth-local=trust",
                                "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                                "--pwfile=" + (home / password_file).string()};
  if (!options.durable) argv.emplace_back("--no-sync");
  detail::ProcessResult result;
  try {
    result = detail::run_process(argv, as_server(deadline));
  } catch (...) {
    detail::remove_at(home_fd, password_file);
    throw;
  }
  detail::remove_at(home_fd, password_file);
  if (result.exit_code != 0) {
    throw ClusterError(Code::initdb_failed, fmt::format("initdb failed (exit {}):\n{}", result.exit_code,
                                                        excerpt(result.output, 20)));
  }
  // The password only ever lives here, in a file readable by this process's user alone, for the one
  // address and port the cluster listens on (write_passfile follows the port).
  detail::replace_file_at(home_fd, "pgpass",
                          fmt::format("127.0.0.1:{}:*:{}:{}\n", record.port, options.superuser, password), i_own(0600),
                          passfile());
  record.initialised = true;
  detail::write_record(home_fd, record, home);
}

// The passfile names the port the cluster listens on: should the port move (taken by someone while the
// server was down), clients still aiming at the old one never hand the password to whoever holds it.
void Cluster::Impl::write_passfile(int home_fd, std::uint16_t port) const {
  const auto text = detail::read_file_at(home_fd, "pgpass", ::geteuid(), 4096);
  if (!text) throw ClusterError(Code::io_failed, fmt::format("{} is missing or not this user's", passfile().string()));
  const std::string line = text->substr(0, text->find('\n'));
  const std::string password = line.substr(line.rfind(':') + 1);
  const std::string wanted = fmt::format("127.0.0.1:{}:*:{}:{}\n", port, options.superuser, password);
  if (*text != wanted) detail::replace_file_at(home_fd, "pgpass", wanted, i_own(0600), passfile());
}

// No postmaster of ours runs: lock files left in our folders are stale, unless the pid file names a
// server process pgkit cannot tell apart from ours (then it is not touched, and start() stops here).
void Cluster::Impl::remove_stale_locks(int data_fd, int socket_fd, std::uint16_t port) const {
  if (const auto pid = detail::unidentified_server_named_by(data_fd, server_uid())) {
    throw ClusterError(Code::start_failed,
                       fmt::format("{}/postmaster.pid names pid {}, a live server process that is not this cluster's "
                                   "postmaster as far as pgkit can tell (nor another folder's); stop it, or remove "
                                   "the file if you are sure it is stale",
                                   data_dir().string(), *pid));
  }
  detail::remove_at(data_fd, "postmaster.pid");
  detail::remove_at(socket_fd, fmt::format(".s.PGSQL.{}.lock", port));
}

UniqueFd Cluster::Impl::prepare_socket_dir(int home_fd, ClusterRecord& record) const {
  if (socket_fits_home()) {
    record.socket_dir.clear();
    if (auto created = detail::create_folder_at(home_fd, "run", server_owns(0700), preferred_socket_dir())) {
      return std::move(*created);
    }
    auto fd = detail::open_folder_at(home_fd, "run", preferred_socket_dir());
    if (!fd) throw ClusterError(Code::io_failed, fmt::format("{} vanished", preferred_socket_dir().string()));
    detail::require_owned_folder(fd->get(), server_uid(), preferred_socket_dir());
    return std::move(*fd);
  }
  if (!record.socket_dir.empty()) {
    try {
      if (auto fd = detail::open_folder(record.socket_dir)) {
        detail::require_owned_folder(fd->get(), server_uid(), record.socket_dir);
        return std::move(*fd);
      }
    } catch (const ClusterError&) {
      // Replaced by someone: left alone, and a new one made below.
    }
  }
  auto [path, fd] = detail::make_unique_folder("/tmp", "pgkit-socket-");
  detail::set_ownership(fd.get(), server_owns(0700), path);
  record.socket_dir = path;
  return std::move(fd);
}

std::uint16_t Cluster::Impl::choose_port(const ClusterRecord& record) const {
  if (!options.listen_tcp) return 5432;  // the socket folder is private: no clash with any other server
  if (record.listen_tcp && record.port != 5432 && tcp_port_is_free(record.port)) return record.port;
  const auto port = free_tcp_port();
  if (!port) throw ClusterError(Code::start_failed, "no free TCP port on 127.0.0.1");
  return *port;
}

// Every setting that decides who can reach the server is given on its command line, where nothing in
// the data folder (postgresql.conf, ALTER SYSTEM) can override it.
std::vector<std::string> Cluster::Impl::server_argv(const ClusterRecord& record) {
  std::vector<std::string> argv{(binaries() / "postgres").string(), "-D", data_dir().string()};
  const auto set = [&argv](std::string_view name, std::string_view value) {
    argv.emplace_back("-c");
    argv.push_back(fmt::format("{}={}", name, value));
  };
  set("port", std::to_string(record.port));
  set("listen_addresses", record.listen_tcp ? "127.0.0.1" : "");
  set("unix_socket_directories", (record.socket_dir.empty() ? preferred_socket_dir() : record.socket_dir).string());
  set("unix_socket_permissions", "0700");
  set("logging_collector", "off");
  if (!options.durable) {
    set("fsync", "off");
    set("synchronous_commit", "off");
    set("full_page_writes", "off");
  }
  for (const auto& [name, value] : options.settings) set(name, value);
  return argv;
}

bool Cluster::Impl::accepts_connections() const {
  const std::string port = std::to_string(record().port);
  const std::string socket = socket_dir().string();
  // The socket folder is the server account's: should something else listen there and ask for a
  // password, it gets this one, never PGPASSWORD or a line of root's ~/.pgpass.
  const std::array<const char*, 7> keywords{"host", "port", "user", "dbname", "connect_timeout", "password", nullptr};
  const std::array<const char*, 7> values{socket.c_str(), port.c_str(), options.superuser.c_str(), "postgres", "2",
                                          "pgkit-readiness-check", nullptr};
  return PQpingParams(keywords.data(), values.data(), 0) == PQPING_OK;
}

Cluster::Impl::Outcome Cluster::Impl::wait_until_accepting(const detail::ProcessHandle& server,
                                                           Clock::time_point deadline) const {
  for (;;) {
    if (!server.alive()) return Outcome::exited;
    if (accepts_connections()) return Outcome::ready;
    if (Clock::now() >= deadline) return Outcome::timed_out;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void Cluster::Impl::launch(int home_fd, const ClusterRecord& record, Clock::time_point deadline) {
  auto log = detail::open_log_at(home_fd, "server.log", log_path());
  for (;;) {
    struct stat before {};
    ::fstat(log.get(), &before);
    std::optional<detail::ProcessHandle> server;
    try {
      server = detail::ProcessHandle::open(detail::spawn_daemon(server_argv(record), as_server(deadline), log.get()));
    } catch (const std::exception& e) {
      throw ClusterError(Code::start_failed, e.what());
    }
    Outcome outcome = Outcome::exited;
    if (server) {
      try {
        outcome = wait_until_accepting(*server, deadline);
      } catch (...) {
        detail::end_postmaster(*server, SIGQUIT, std::chrono::seconds(5));  // started here: not left behind
        throw;
      }
    }
    if (outcome == Outcome::ready) return;
    const bool ended = outcome != Outcome::timed_out || detail::end_postmaster(*server, SIGQUIT, std::chrono::seconds(5));
    const std::string log_text = tail_lines(log_since(before.st_size), 40);
    // Children of a killed server may hold its shared memory for a moment after it died.
    const bool transient = log_text.find("pre-existing shared memory block") != std::string::npos;
    if (outcome == Outcome::exited && transient && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    throw ClusterError(Code::start_failed,
                       fmt::format("the server in {} {}; server log ({}):\n{}", data_dir().string(),
                                   outcome == Outcome::exited ? "exited during startup"
                                   : ended ? "did not accept connections in time and was stopped"
                                           : "did not accept connections in time and could not be stopped",
                                   log_path().string(), detail::printable(log_text)));
  }
}

void Cluster::Impl::start() {
  const auto deadline = Clock::now() + options.start_timeout;
  binaries();
  auto anchor = detail::open_or_create_home(options.home);
  detail::FolderLock lock(anchor.get(), options.home, deadline, Code::start_failed);
  auto [where, home_fd] = detail::resolve_home(options.home, anchor.get(), account, "/var/tmp");
  home = where;
  auto record = detail::read_record(home_fd.get(), ::geteuid()).value_or(ClusterRecord{});
  // A folder pgkit made gets the mode it needs; an adopted one keeps the owner's choice.
  if (record.created_by_pgkit) detail::set_ownership(home_fd.get(), i_own(account ? 0711 : 0700), home);
  if (account && !detail::account_can_access(*account, home, X_OK)) {
    throw ClusterError(Code::invalid_options,
                       fmt::format("the server account '{}' cannot reach {} (it or a parent folder is not searchable "
                                   "by it); choose a home it can reach, e.g. PGKIT_HOME=/var/lib/pgkit",
                                   account->name, home.string()));
  }
  if (!record.initialised) initialise(home_fd.get(), record, deadline);
  auto data = open_data(home_fd.get());
  if (auto server = detail::postmaster_of(data.get(), data_dir(), server_uid())) {
    if (options.listen_tcp && !record.listen_tcp) {
      throw ClusterError(Code::invalid_options,
                         fmt::format("the server in {} runs without TCP; stop it first to start it with TCP",
                                     data_dir().string()));
    }
    if (wait_until_accepting(*server, deadline) == Outcome::ready) return;
    throw ClusterError(Code::start_failed,
                       fmt::format("the server in {} (pid {}) runs but does not accept connections (frozen or "
                                   "overloaded?); server log:\n{}",
                                   data_dir().string(), server->pid(), excerpt(log_since(0), 40)));
  }
  auto socket = prepare_socket_dir(home_fd.get(), record);
  record.port = choose_port(record);
  record.listen_tcp = options.listen_tcp;
  detail::write_record(home_fd.get(), record, home);
  write_passfile(home_fd.get(), record.port);
  remove_stale_locks(data.get(), socket.get(), record.port);
  launch(home_fd.get(), record, deadline);
}

// Empties the server account's folders as that account, then removes what is left in `folder_fd`
// (pgkit's own files and the emptied folders).
void Cluster::Impl::remove_cluster_files(int folder_fd, Clock::time_point deadline) const {
  detail::require_owned_folder(folder_fd, ::geteuid(), home);
  const auto record = detail::read_record(folder_fd, ::geteuid()).value_or(ClusterRecord{});
  for (const char* name : {"data", "run"}) {
    if (auto sub = detail::open_folder_at(folder_fd, name, home / name)) empty_as_server(home / name, deadline);
  }
  if (!record.socket_dir.empty()) {
    std::error_code ec;
    if (fs::is_directory(fs::symlink_status(record.socket_dir, ec))) {
      empty_as_server(record.socket_dir, deadline);
      ::rmdir(record.socket_dir.c_str());
    }
  }
  detail::remove_entries(folder_fd);
}

std::optional<detail::ProcessHandle> Cluster::Impl::live_postmaster() const {
  auto home_fd = detail::open_folder(home);
  if (!home_fd) return std::nullopt;
  auto data = detail::open_folder_at(home_fd->get(), "data", data_dir());
  if (!data) return std::nullopt;
  return detail::postmaster_of(data->get(), data_dir(), server_uid());
}

ClusterState Cluster::Impl::state() const {
  if (!record().initialised) return ClusterState::not_initialized;
  return live_postmaster() ? ClusterState::running : ClusterState::stopped;
}

// With the anchor's lock held.
void Cluster::Impl::stop_locked() {
  home = detail::locate_home(options.home);
  const auto server = live_postmaster();
  if (!server) return;
  if (!detail::end_postmaster(*server, SIGINT, options.stop_timeout)) {
    throw ClusterError(Code::stop_failed, fmt::format("the server in {} (pid {}) did not stop, even after SIGKILL",
                                                      data_dir().string(), server->pid()));
  }
}

void Cluster::Impl::stop() {
  auto anchor = detail::open_home(options.home);
  if (!anchor) return;
  detail::FolderLock lock(anchor->get(), options.home, lock_deadline(), Code::stop_failed);
  stop_locked();
}

void Cluster::Impl::destroy() {
  auto anchor = detail::open_home(options.home);
  if (!anchor) return;
  const auto deadline = lock_deadline();
  detail::FolderLock lock(anchor->get(), options.home, deadline, Code::stop_failed);
  stop_locked();  // under the same lock: no start can slip in before the folders are emptied
  if (live_postmaster()) throw ClusterError(Code::stop_failed, "the server is still running: not deleting it");
  const bool anchor_made_here = detail::read_record(anchor->get(), ::geteuid()).value_or(ClusterRecord{}).created_by_pgkit;
  if (auto home_fd = home != options.home ? detail::open_folder(home) : std::optional<UniqueFd>()) {
    remove_cluster_files(home_fd->get(), deadline);
    ::rmdir(home.c_str());  // a relocated home is always pgkit's own
  }
  remove_cluster_files(anchor->get(), deadline);
  if (anchor_made_here) ::rmdir(options.home.c_str());
}

Cluster::Cluster(ClusterOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Cluster Cluster::make_throwaway(ClusterOptions options) {
  fs::path root = temp_root();
  if (auto account = resolve_server_account(options); account && !detail::account_can_access(*account, root, X_OK)) {
    root = "/tmp";
  }
  auto [path, fd] = detail::make_unique_folder(root, "pgkit-");
  ClusterRecord made;
  made.created_by_pgkit = true;
  detail::write_record(fd.get(), made, path);
  options.home = path;
  options.throwaway = true;
  options.durable = false;
  try {
    return Cluster(std::move(options));
  } catch (...) {
    detail::remove_entries(fd.get());
    ::rmdir(path.c_str());
    throw;
  }
}

Cluster Cluster::make_default() {
  ClusterOptions options;
  options.home = default_home();
  return Cluster(std::move(options));
}

Cluster::Cluster(Cluster&&) noexcept = default;
Cluster& Cluster::operator=(Cluster&&) noexcept = default;
Cluster::~Cluster() = default;

void Cluster::start() { impl_->start(); }
void Cluster::stop() { impl_->stop(); }
void Cluster::destroy() { impl_->destroy(); }
void Cluster::restart() {
  impl_->stop();
  impl_->start();
}
ClusterState Cluster::state() const { return impl_->state(); }

std::string Cluster::uri(std::string_view database) const {
  return fmt::format("postgresql://{}@/{}?host={}&port={}", uri_encode(impl_->options.superuser, false),
                     uri_encode(database, false), uri_encode(impl_->socket_dir().string(), true),
                     impl_->record().port);
}

std::string Cluster::tcp_uri(std::string_view database) const {
  const auto port = tcp_port();
  if (!port) throw ClusterError(Code::invalid_options, "this cluster does not listen on TCP (listen_tcp is off)");
  return fmt::format("postgresql://{}@127.0.0.1:{}/{}?passfile={}", uri_encode(impl_->options.superuser, false),
                     *port, uri_encode(database, false), uri_encode(impl_->passfile().string(), true));
}

std::optional<pid_t> Cluster::postmaster_pid() const {
  const auto server = impl_->live_postmaster();
  return server ? std::optional<pid_t>(server->pid()) : std::nullopt;
}

std::optional<std::uint16_t> Cluster::tcp_port() const {
  const auto record = impl_->record();
  if (!record.listen_tcp) return std::nullopt;
  return record.port;
}

const fs::path& Cluster::home() const { return impl_->home; }
fs::path Cluster::data_directory() const { return impl_->data_dir(); }
fs::path Cluster::socket_directory() const { return impl_->socket_dir(); }
fs::path Cluster::log_file() const { return impl_->log_path(); }
fs::path Cluster::bin_directory() const { return impl_->binaries(); }
std::string Cluster::log_tail(std::size_t lines) const { return tail_lines(impl_->log_since(0), lines); }
const ClusterOptions& Cluster::options() const { return impl_->options; }

ServerForThisRun::ServerForThisRun() {
  if (auto url = database_url_from_environment()) {
    conninfo_ = *url;
    return;
  }
  cluster_.emplace(Cluster::make_throwaway());
  cluster_->start();
  conninfo_ = cluster_->uri();
}

}  // namespace pgkit::embedded
