#include <pgkit/embedded.hpp>

#include "process.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <span>
#include <fstream>
#include <sstream>
#include <system_error>
#include <thread>

namespace pgkit::embedded {
namespace fs = std::filesystem;
using detail::Account;
using Code = ClusterError::Code;

namespace {

constexpr std::uint16_t unix_only_port = 5432;
// sockaddr_un::sun_path is 108 bytes including the terminating NUL.
constexpr std::size_t max_socket_path = 107;
constexpr std::string_view socket_file_pattern = "/.s.PGSQL.65535";

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const fs::path& path, std::string_view text, fs::perms perms) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) throw ClusterError(Code::io_failed, fmt::format("cannot write {}", path.string()));
  }
  fs::permissions(path, perms);
}

std::string hex(std::span<const unsigned char> bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string short_hash(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw ClusterError(Code::io_failed, "SHA-256 failed");
  }
  return hex(std::span(digest.data(), 8));
}

std::string random_password() {
  std::array<unsigned char, 24> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw ClusterError(Code::io_failed, "cannot generate a random password (OpenSSL RAND_bytes failed)");
  }
  return hex(bytes);
}

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

// A value for postgresql.conf: single-quoted, quotes doubled.
std::string conf_quote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') out += '\'';
    if (c == '\n' || c == '\0') throw ClusterError(Code::invalid_options, "a setting value contains a newline or NUL");
    out += c;
  }
  return out + "'";
}

bool is_setting_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '.';
  });
}

std::optional<std::uint16_t> free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  std::optional<std::uint16_t> port;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool tcp_port_is_free(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool free = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return free;
}

// A live process whose program is the PostgreSQL server (not a reused pid of something else).
bool is_live_postgres(pid_t pid) {
  if (pid <= 0) return false;
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  const std::string cmdline = read_file(fs::path("/proc") / std::to_string(pid) / "cmdline");
  const std::string program = cmdline.substr(0, cmdline.find('\0'));
  return fs::path(program).filename() == "postgres";
}

std::optional<pid_t> pid_in_lock_file(const fs::path& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid == 0) return std::nullopt;
  // A negative pid marks a standalone backend; the process is |pid|.
  return static_cast<pid_t>(pid < 0 ? -pid : pid);
}

std::string tail_lines(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  if (pos > 0 && text[pos - 1] == '\n') --pos;
  for (std::size_t found = 0; pos > 0; --pos) {
    if (text[pos - 1] == '\n' && ++found == lines) break;
  }
  return text.substr(pos);
}

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
      const auto result = detail::run_process({candidate.string(), "--bindir"});
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
  fs::path bin_dir;                // resolved on first use

  explicit Impl(ClusterOptions opts) : options(std::move(opts)) {
    if (options.home.empty() || !options.home.is_absolute()) {
      throw ClusterError(Code::invalid_options,
                         fmt::format("the cluster home must be an absolute path (got '{}')", options.home.string()));
    }
    if (options.superuser.empty()) throw ClusterError(Code::invalid_options, "the superuser name is empty");
    for (const auto& [name, value] : options.settings) {
      if (!is_setting_name(name)) {
        throw ClusterError(Code::invalid_options, fmt::format("'{}' is not a valid setting name", name));
      }
      conf_quote(value);
    }
    account = resolve_server_account(options);
  }

  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ~Impl() {
    if (!options.throwaway) return;
    try {
      stop();
    } catch (...) {  // the folder goes anyway; a destructor must not throw
    }
    std::error_code ec;
    fs::remove_all(options.home, ec);
    fs::remove_all(socket_dir(), ec);
  }

  fs::path data_dir() const { return options.home / "data"; }
  fs::path log_path() const { return options.home / "server.log"; }
  fs::path passfile() const { return options.home / "pgpass"; }
  fs::path conf_path() const { return data_dir() / "pgkit.conf"; }
  fs::path pid_file() const { return data_dir() / "postmaster.pid"; }

  fs::path socket_dir() const {
    fs::path preferred = options.home / "run";
    if (preferred.string().size() + socket_file_pattern.size() <= max_socket_path) return preferred;
    return temp_root() / ("pgkit-" + short_hash(options.home.string()));
  }

  const fs::path& binaries() {
    if (bin_dir.empty()) bin_dir = options.bin_dir.empty() ? find_server_binaries() : options.bin_dir;
    for (const char* tool : {"initdb", "pg_ctl", "postgres"}) {
      if (!fs::exists(bin_dir / tool)) {
        throw ClusterError(Code::binaries_not_found,
                           fmt::format("'{}' not found in {}", tool, bin_dir.string()));
      }
    }
    return bin_dir;
  }

  detail::ProcessResult run(const std::vector<std::string>& argv) {
    detail::ProcessOptions process;
    process.run_as = account;
    process.working_directory = options.home;
    return detail::run_process(argv, process);
  }

  // A folder owned by the server account, private to it.
  void make_private_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw ClusterError(Code::io_failed, fmt::format("cannot create {}: {}", dir.string(), ec.message()));
    fs::permissions(dir, fs::perms::owner_all, ec);
    if (!ec && account) {
      try {
        detail::change_owner(dir, *account);
      } catch (const std::system_error& e) {
        throw ClusterError(Code::io_failed, e.what());
      }
    }
    if (ec) throw ClusterError(Code::io_failed, fmt::format("cannot set permissions on {}", dir.string()));
  }

  void ensure_reachable(const fs::path& dir) const {
    if (account && !detail::account_can_access(*account, dir.parent_path(), X_OK)) {
      throw ClusterError(Code::invalid_options,
                         fmt::format("the server account '{}' cannot reach {} (a parent folder is not searchable "
                                     "by it); choose a home it can reach, e.g. PGKIT_HOME=/var/tmp/pgkit",
                                     account->name, dir.string()));
    }
  }

  bool initialized() const { return fs::exists(data_dir() / "PG_VERSION"); }

  void initdb() {
    ensure_reachable(options.home);
    make_private_dir(options.home);
    const std::string password = random_password();
    const fs::path pwfile = options.home / ".initdb-password";
    write_file(pwfile, password + "\n", fs::perms::owner_read | fs::perms::owner_write);
    if (account) detail::change_owner(pwfile, *account);
    std::vector<std::string> argv{(binaries() / "initdb").string(), "-D", data_dir().string(),
                                  "-U", options.superuser, "--auth-local=trust",
                                  "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
                                  "--pwfile=" + pwfile.string()};
    if (!options.durable) argv.emplace_back("--no-sync");
    auto result = run(argv);
    fs::remove(pwfile);
    if (result.exit_code != 0) {
      throw ClusterError(Code::initdb_failed,
                         fmt::format("initdb failed (exit {}):\n{}", result.exit_code, tail_lines(result.output, 20)));
    }
    // The password only ever lives here, in a file readable by this process's user alone.
    write_file(passfile(), fmt::format("*:*:*:{}:{}\n", options.superuser, password),
               fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream conf(data_dir() / "postgresql.conf", std::ios::app);
    conf << "\n# Settings managed by pgkit (rewritten at each start).\ninclude_if_exists = 'pgkit.conf'\n";
    if (!conf.flush()) throw ClusterError(Code::io_failed, "cannot append to postgresql.conf");
  }

  // Values of our own pgkit.conf: `name = value` lines, values possibly single-quoted.
  std::optional<std::string> conf_value(std::string_view name) const {
    std::istringstream in(read_file(conf_path()));
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find(" = ");
      if (eq == std::string::npos || line.compare(0, eq, name) != 0) continue;
      std::string value = line.substr(eq + 3);
      if (value.size() >= 2 && value.front() == '\'') {
        value = value.substr(1, value.size() - 2);
        std::string unquoted;
        for (std::size_t i = 0; i < value.size(); ++i) {
          unquoted += value[i];
          if (value[i] == '\'' && i + 1 < value.size() && value[i + 1] == '\'') ++i;
        }
        value = unquoted;
      }
      return value;
    }
    return std::nullopt;
  }

  std::uint16_t port() const {
    const auto value = conf_value("port");
    return value ? static_cast<std::uint16_t>(std::stoi(*value)) : unix_only_port;
  }

  std::uint16_t choose_port() const {
    if (!options.listen_tcp) return unix_only_port;
    const auto current = conf_value("port");
    if (current && std::stoi(*current) != unix_only_port &&
        tcp_port_is_free(static_cast<std::uint16_t>(std::stoi(*current)))) {
      return static_cast<std::uint16_t>(std::stoi(*current));
    }
    const auto port = free_tcp_port();
    if (!port) throw ClusterError(Code::start_failed, "no free TCP port on 127.0.0.1");
    return *port;
  }

  void write_settings(std::uint16_t port) {
    std::string conf = "# Written by pgkit at each start: edit ClusterOptions instead.\n";
    conf += fmt::format("port = {}\n", port);
    conf += fmt::format("listen_addresses = {}\n", conf_quote(options.listen_tcp ? "127.0.0.1" : ""));
    conf += fmt::format("unix_socket_directories = {}\n", conf_quote(socket_dir().string()));
    conf += "unix_socket_permissions = 0700\n";
    conf += "logging_collector = off\n";
    if (!options.durable) conf += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n";
    for (const auto& [name, value] : options.settings) conf += fmt::format("{} = {}\n", name, conf_quote(value));
    write_file(conf_path(), conf, fs::perms::owner_read | fs::perms::owner_write);
    if (account) detail::change_owner(conf_path(), *account);
  }

  std::optional<pid_t> live_postmaster() const {
    const auto pid = pid_in_lock_file(pid_file());
    if (pid && is_live_postgres(*pid)) return pid;
    return std::nullopt;
  }

  // A lock file naming a process that is gone (or is no longer a postgres) would make the server refuse
  // to start, or worse, make us believe it runs.
  void remove_stale_lock(const fs::path& lock) const {
    if (!fs::exists(lock)) return;
    const auto pid = pid_in_lock_file(lock);
    if (pid && is_live_postgres(*pid)) return;
    std::error_code ec;
    fs::remove(lock, ec);
  }

  bool accepts_connections() const {
    const std::string conninfo = uri("postgres");
    return PQping(conninfo.c_str()) == PQPING_OK;
  }

  std::string uri(std::string_view database) const {
    return fmt::format("postgresql://{}@/{}?host={}&port={}", uri_encode(options.superuser, false),
                       uri_encode(database, false), uri_encode(socket_dir().string(), true), port());
  }

  ClusterState state() const {
    if (!initialized()) return ClusterState::not_initialized;
    return live_postmaster() ? ClusterState::running : ClusterState::stopped;
  }

  void wait_until_accepting(std::chrono::steady_clock::time_point deadline) const {
    while (!accepts_connections()) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw ClusterError(Code::start_failed,
                           fmt::format("the server in {} runs but does not accept connections; server log:\n{}",
                                       data_dir().string(), tail_lines(read_file(log_path()), 40)));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }

  void start() {
    const auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
    binaries();
    if (!initialized()) initdb();
    ensure_reachable(options.home);
    make_private_dir(socket_dir());
    if (live_postmaster()) {
      wait_until_accepting(deadline);
      return;
    }
    remove_stale_lock(pid_file());
    const std::uint16_t port = choose_port();
    remove_stale_lock(socket_dir() / fmt::format(".s.PGSQL.{}.lock", port));
    write_settings(port);
    if (!fs::exists(log_path())) {
      write_file(log_path(), "", fs::perms::owner_read | fs::perms::owner_write);
      if (account) detail::change_owner(log_path(), *account);
    }
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
      auto result = run({(binaries() / "pg_ctl").string(), "-D", data_dir().string(), "-l", log_path().string(),
                         "-w", "-t", std::to_string(std::max<long>(1, left.count())), "-s", "start"});
      if (result.exit_code == 0) break;
      const std::string log = tail_lines(read_file(log_path()), 40);
      // Children of a killed server may hold its shared memory for a moment after it died.
      const bool transient = log.find("pre-existing shared memory block") != std::string::npos;
      if (!transient || std::chrono::steady_clock::now() > deadline) {
        throw ClusterError(Code::start_failed,
                           fmt::format("the server in {} did not start (pg_ctl exit {}): {}\nserver log ({}):\n{}",
                                       data_dir().string(), result.exit_code, result.output, log_path().string(), log));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    wait_until_accepting(deadline);
  }

  void stop() {
    if (!initialized() || !live_postmaster()) return;
    const auto pg_ctl = (binaries() / "pg_ctl").string();
    auto result = run({pg_ctl, "-D", data_dir().string(), "-m", "fast", "-w", "-t", "30", "-s", "stop"});
    if (result.exit_code != 0 && live_postmaster()) {
      result = run({pg_ctl, "-D", data_dir().string(), "-m", "immediate", "-w", "-t", "30", "-s", "stop"});
    }
    if (live_postmaster()) {
      throw ClusterError(Code::stop_failed, fmt::format("the server in {} did not stop: {}", data_dir().string(),
                                                        result.output));
    }
  }
};

Cluster::Cluster(ClusterOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Cluster Cluster::make_throwaway(ClusterOptions options) {
  std::string pattern = (temp_root() / "pgkit-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw ClusterError(Code::io_failed, fmt::format("cannot create a temporary folder in {}", temp_root().string()));
  }
  options.home = pattern;
  options.throwaway = true;
  options.durable = false;
  try {
    return Cluster(std::move(options));
  } catch (...) {
    std::error_code ec;
    fs::remove_all(pattern, ec);
    throw;
  }
}

Cluster Cluster::make_default() {
  ClusterOptions options;
  options.home = default_home();
  const bool explicit_home = std::getenv("PGKIT_HOME") != nullptr;
  if (!explicit_home && ::geteuid() == 0) {
    // A working folder under, say, /root is out of the server account's reach: keep the data in a
    // fixed place derived from it instead, so every command finds the same cluster again.
    const auto account = resolve_server_account(options);
    if (account && !detail::account_can_access(*account, options.home.parent_path(), X_OK)) {
      options.home = fs::path("/var/tmp") / ("pgkit-" + short_hash(options.home.string()));
    }
  }
  return Cluster(std::move(options));
}

Cluster::Cluster(Cluster&&) noexcept = default;
Cluster& Cluster::operator=(Cluster&&) noexcept = default;
Cluster::~Cluster() = default;

void Cluster::start() { impl_->start(); }
void Cluster::stop() { impl_->stop(); }
void Cluster::restart() {
  impl_->stop();
  impl_->start();
}
ClusterState Cluster::state() const { return impl_->state(); }
std::string Cluster::uri(std::string_view database) const { return impl_->uri(database); }

std::string Cluster::tcp_uri(std::string_view database) const {
  const auto port = tcp_port();
  if (!port) throw ClusterError(Code::invalid_options, "this cluster does not listen on TCP (listen_tcp is off)");
  return fmt::format("postgresql://{}@127.0.0.1:{}/{}?passfile={}", uri_encode(impl_->options.superuser, false),
                     *port, uri_encode(database, false), uri_encode(impl_->passfile().string(), true));
}

std::optional<pid_t> Cluster::postmaster_pid() const { return impl_->live_postmaster(); }

std::optional<std::uint16_t> Cluster::tcp_port() const {
  const auto listen = impl_->conf_value("listen_addresses");
  if (!listen || listen->empty()) return std::nullopt;
  return impl_->port();
}

const fs::path& Cluster::home() const { return impl_->options.home; }
fs::path Cluster::data_directory() const { return impl_->data_dir(); }
fs::path Cluster::socket_directory() const { return impl_->socket_dir(); }
fs::path Cluster::log_file() const { return impl_->log_path(); }
fs::path Cluster::bin_directory() const { return impl_->binaries(); }
std::string Cluster::log_tail(std::size_t lines) const { return tail_lines(read_file(impl_->log_path()), lines); }
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
