// Migration sources: the checksum, the file convention, the set, `new`.
#include <pgkit/migrate.hpp>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/evp.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>

namespace pgkit::migrate {
namespace {

std::string_view trim_line_end(std::string_view line) {
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
  return line;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// The text's lines with any line ending (LF, CRLF, CR) removed.
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n' && text[i] != '\r') continue;
    lines.push_back(text.substr(start, i - start));
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
    start = i + 1;
  }
  if (start < text.size()) lines.push_back(text.substr(start));
  return lines;
}

constexpr std::string_view bom = "\xEF\xBB\xBF";
constexpr std::string_view up_marker = "-- migrate:up";
constexpr std::string_view down_marker = "-- migrate:down";
constexpr std::string_view no_transaction_directive = "-- pgkit:no-transaction";
constexpr std::size_t max_version_digits = 18;  // fits a bigint with room

bool valid_file_name_part(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string convention_hint() {
  return "pgkit reads one file per migration, <version>_<name>.sql (version: digits; name: [a-z0-9_]+), "
         "with a `-- migrate:up` section and an optional `-- migrate:down` section";
}

void check_file_name(const std::filesystem::path& file, std::int64_t& version, std::string& name) {
  const std::string base = file.filename().string();
  if (base.ends_with(".up.sql") || base.ends_with(".down.sql")) {
    throw SourceError(fmt::format("{}: separate up/down files are not pgkit's convention; {}", file.string(),
                                  convention_hint()));
  }
  const std::string stem = file.stem().string();
  const auto underscore = stem.find('_');
  const std::string_view digits = std::string_view(stem).substr(0, underscore);
  const bool digits_ok = !digits.empty() &&
                         std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (file.extension() != ".sql" || underscore == std::string::npos || !digits_ok ||
      !valid_file_name_part(std::string_view(stem).substr(underscore + 1))) {
    throw SourceError(fmt::format("{}: malformed migration file name; {}", file.string(), convention_hint()));
  }
  if (digits.size() > max_version_digits) {
    throw SourceError(fmt::format("{}: the version has {} digits, more than {} (it must fit a bigint)", file.string(),
                                  digits.size(), max_version_digits));
  }
  std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (version <= 0) throw SourceError(fmt::format("{}: the version must be greater than 0", file.string()));
  name = stem.substr(underscore + 1);
}

bool has_statements(std::string_view section) {
  return std::ranges::any_of(split_lines(section), [](std::string_view line) {
    const auto text = trim(line);
    return !text.empty() && !text.starts_with("--");
  });
}

}  // namespace

std::string normalise_for_checksum(std::string_view text) {
  if (text.starts_with(bom)) text.remove_prefix(bom.size());
  std::vector<std::string_view> lines = split_lines(text);
  for (auto& line : lines) line = trim_line_end(line);
  std::size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  std::size_t last = lines.size();
  while (last > first && lines[last - 1].empty()) --last;
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    if (i > first) out += '\n';
    out += lines[i];
  }
  return out;
}

std::string checksum(std::string_view text) {
  const std::string normalised = normalise_for_checksum(text);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), normalised.data(), normalised.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &length) != 1) {
    throw Error("OpenSSL could not compute a SHA-256 digest");
  }
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string Migration::checksum() const {
  return up_function ? migrate::checksum(function_checksum_text) : migrate::checksum(up_sql);
}

std::string Migration::source() const { return file.empty() ? std::string("<code>") : file.string(); }

bool section_is_transactional(std::string_view section) {
  return std::ranges::none_of(split_lines(section),
                              [](std::string_view line) { return trim(line) == no_transaction_directive; });
}

Migration parse_migration(const std::filesystem::path& file, std::string_view text) {
  Migration migration;
  migration.file = file;
  check_file_name(file, migration.version, migration.name);
  if (text.starts_with(bom)) text.remove_prefix(bom.size());
  const auto lines = split_lines(text);
  int up_line = 0;
  int down_line = 0;
  std::string up;
  std::string down;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const int number = static_cast<int>(i) + 1;
    const auto marker = trim(lines[i]);
    if (marker == up_marker || marker == down_marker) {
      int& seen = marker == up_marker ? up_line : down_line;
      if (seen != 0) throw SourceError(fmt::format("{}:{}: a second `{}` line", file.string(), number, marker));
      if (marker == down_marker && up_line == 0) {
        throw SourceError(fmt::format("{}:{}: `-- migrate:down` before `-- migrate:up`", file.string(), number));
      }
      seen = number;
      continue;
    }
    std::string* target = down_line != 0 ? &down : up_line != 0 ? &up : nullptr;
    if (target == nullptr) {
      if (!trim(lines[i]).empty() && !trim(lines[i]).starts_with("--")) {
        throw SourceError(fmt::format("{}:{}: SQL before the `-- migrate:up` line", file.string(), number));
      }
      continue;
    }
    target->append(lines[i]).push_back('\n');
  }
  if (up_line == 0) {
    throw SourceError(fmt::format("{}: no up section (a `-- migrate:up` line); {}", file.string(),
                                  convention_hint()));
  }
  if (!has_statements(up)) {
    throw SourceError(fmt::format("{}:{}: the up section has no SQL (only comments or blank lines)", file.string(),
                                  up_line));
  }
  migration.up_sql = std::move(up);
  migration.up_first_line = up_line + 1;
  migration.up_transactional = section_is_transactional(migration.up_sql);
  if (down_line != 0 && has_statements(down)) {
    migration.down_sql = std::move(down);
    migration.down_first_line = down_line + 1;
    migration.down_transactional = section_is_transactional(*migration.down_sql);
  }
  return migration;
}

MigrationSet MigrationSet::from_directory(const std::filesystem::path& directory) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    throw SourceError(fmt::format("{}: not a folder of migrations", directory.string()));
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (entry.is_regular_file() && entry.path().extension() == ".sql") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  MigrationSet set;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw SourceError(fmt::format("{}: cannot be read", file.string()));
    std::ostringstream text;
    text << in.rdbuf();
    set.add(parse_migration(file, text.str()));
  }
  return set;
}

MigrationSet& MigrationSet::add(Migration migration) {
  const std::string who = fmt::format("migration {} ({})", migration.version, migration.source());
  if (migration.version <= 0) throw SourceError(who + ": the version must be greater than 0");
  if (migration.name.empty()) throw SourceError(who + ": the name is empty");
  if (migration.up_function && !migration.up_sql.empty()) throw SourceError(who + ": both up SQL and an up function");
  if (!migration.up_function && !has_statements(migration.up_sql)) {
    throw SourceError(who + ": the up section has no SQL");
  }
  if (migration.down_function && migration.down_sql) throw SourceError(who + ": both down SQL and a down function");
  if (migration.file.empty()) {
    migration.up_transactional = section_is_transactional(migration.up_sql);
    if (migration.down_sql) migration.down_transactional = section_is_transactional(*migration.down_sql);
  }
  if (const Migration* other = find(migration.version)) {
    throw SourceError(fmt::format("{}: duplicate version {}, also used by {}", migration.source(), migration.version,
                                  other->source()));
  }
  const auto at = std::lower_bound(migrations_.begin(), migrations_.end(), migration.version,
                                   [](const Migration& m, std::int64_t v) { return m.version < v; });
  migrations_.insert(at, std::move(migration));
  return *this;
}

MigrationSet& MigrationSet::add(std::int64_t version, std::string name, std::string up_sql,
                                std::optional<std::string> down_sql) {
  Migration migration;
  migration.version = version;
  migration.name = std::move(name);
  migration.up_sql = std::move(up_sql);
  migration.down_sql = std::move(down_sql);
  return add(std::move(migration));
}

MigrationSet& MigrationSet::add(std::int64_t version, std::string name, std::function<void(Connection&)> up,
                                std::function<void(Connection&)> down) {
  if (!up) throw SourceError(fmt::format("migration {} (<code>): the up function is empty", version));
  Migration migration;
  migration.version = version;
  migration.name = std::move(name);
  migration.up_function = std::move(up);
  migration.down_function = std::move(down);
  return add(std::move(migration));
}

const Migration* MigrationSet::find(std::int64_t version) const {
  const auto at = std::lower_bound(migrations_.begin(), migrations_.end(), version,
                                   [](const Migration& m, std::int64_t v) { return m.version < v; });
  return at != migrations_.end() && at->version == version ? &*at : nullptr;
}

bool valid_migration_name(std::string_view name) { return valid_file_name_part(name); }

std::filesystem::path create_migration_file(const std::filesystem::path& directory, std::string_view name,
                                            bool timestamp) {
  if (!valid_file_name_part(name)) {
    throw SourceError(fmt::format("migration name \"{}\" must be made of [a-z0-9_]", name));
  }
  std::filesystem::create_directories(directory);
  // From the file names only: a file made by `new` and not filled yet (an empty up section) is not
  // a migration yet, but its version is taken.
  std::int64_t highest = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::int64_t version = 0;
    std::string ignored;
    check_file_name(entry.path(), version, ignored);
    highest = std::max(highest, version);
  }
  const bool empty = highest == 0;
  constexpr std::int64_t timestamp_floor = 10'000'000'000'000;  // 14 digits: YYYYMMDDHHMMSS
  std::string version;
  if (highest >= timestamp_floor || (empty && timestamp)) {
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    version = fmt::format("{:%Y%m%d%H%M%S}", utc);
    if (std::stoll(version) <= highest) version = std::to_string(highest + 1);
  } else {
    version = fmt::format("{:04d}", highest + 1);
  }
  auto path = directory / fmt::format("{}_{}.sql", version, name);
  // O_EXCL | O_NOFOLLOW: a file or symlink someone else put there first is refused, never written through
  // (the CLI may run as root in a folder another account can write to).
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw SourceError(fmt::format("{}: {}", path.string(),
                                  errno == EEXIST ? "already exists" : std::string("cannot be created: ") + std::strerror(errno)));
  }
  constexpr std::string_view skeleton = "-- migrate:up\n\n\n-- migrate:down\n\n";
  const auto written = ::write(fd, skeleton.data(), skeleton.size());
  const bool closed = ::close(fd) == 0;
  if (written != static_cast<ssize_t>(skeleton.size()) || !closed) {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
    throw SourceError(fmt::format("{}: cannot be written", path.string()));
  }
  return path;
}

std::string_view to_string(State state) {
  switch (state) {
    case State::applied: return "applied";
    case State::pending: return "pending";
    case State::missing: return "missing";
    case State::changed: return "changed";
    case State::failed: return "failed";
  }
  return "unknown";
}

}  // namespace pgkit::migrate
