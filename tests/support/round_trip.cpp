#include "support/round_trip.hpp"

#include <algorithm>

namespace pgkit::round_trip {
namespace {

Connection connect_with(const std::string& url, bool cache, unsigned threshold) {
  ConnectOptions options;
  options.conninfo = url;
  options.statement_cache.enabled = cache;
  options.statement_cache.prepare_threshold = threshold;
  return Connection(options);
}

std::string next_table() {
  static std::atomic<int> next{0};
  return fmt::format("round_trip_{}", next++);
}

}  // namespace

std::string copy_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

Context::Context(const std::string& url, const Options& opts)
    : options(opts),
      array_type(opts.array_sql_type.empty() ? opts.sql_type + "[]" : opts.array_sql_type),
      text_conn(connect_with(url, false, 2)),
      prepare_conn(connect_with(url, true, 1)),
      cached_conn(connect_with(url, true, StatementCacheOptions{}.prepare_threshold)),
      table(next_table()) {
  if (!options.session_setup.empty()) {
    for (Connection* conn : {&text_conn, &prepare_conn, &cached_conn}) conn->execute_script(options.session_setup);
  }
  text_conn.execute_script(fmt::format("CREATE TEMP TABLE {} (v {})", table, options.sql_type));
  // Said on every run, so that what is not tested is never silent.
  for (const Exemption& e : options.exempt) {
    std::cout << "[ EXEMPT   ] " << options.sql_type << " " << name(e.path) << ": " << e.reason << "\n";
  }
}

Context::~Context() {
  for (const std::string& n : notes_) std::cout << "[ NOTE     ] " << options.sql_type << " " << n << "\n";
}

bool Context::exempted(Path path) const {
  return std::any_of(options.exempt.begin(), options.exempt.end(), [&](const Exemption& e) { return e.path == path; });
}

const KnownFailure* Context::known(Path path, std::size_t index) const {
  for (const KnownFailure& k : options.known_failures) {
    if (k.path == path && (k.value == every_value || k.value == index)) return &k;
  }
  return nullptr;
}

}  // namespace pgkit::round_trip
