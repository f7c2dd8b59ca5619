#include "conninfo.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/errors.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

namespace pgkit::detail {
namespace {

std::string trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return std::string(text);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// What follows "postgresql://" or "postgres://"; nullopt for a keyword/value string.
std::optional<std::string_view> uri_body(std::string_view conninfo) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (conninfo.starts_with(scheme)) return conninfo.substr(scheme.size());
  }
  return std::nullopt;
}

// libpq takes the user information to end at the first '@' unless a '/' comes first, so a second '@',
// or an '@' after a '/', '?' or '#', means a password (or user name) that libpq would split up.
std::string uri_problem(std::string_view body) {
  const auto first_at = body.find('@');
  if (first_at == std::string_view::npos) return {};
  const bool delimiter_before = body.substr(0, first_at).find_first_of("/?#") != std::string_view::npos;
  if (delimiter_before || body.find('@', first_at + 1) != std::string_view::npos) {
    return "the URI holds an unencoded '@' or '/' in its user name or password (or an '@' in its path or "
           "query); percent-encode them as %40 and %2F";
  }
  return {};
}

void add_secret(std::vector<std::string>& secrets, std::string_view text) {
  if (text.empty()) return;
  secrets.emplace_back(text);
  if (auto decoded = percent_decoded(text); decoded != text && !decoded.empty()) secrets.push_back(std::move(decoded));
}

// The password as a person reading the URI means it: from the first ':' of the user information to
// the last '@' of the whole URI (a password may hold '/', '?', '#' or '@').
void add_uri_password(std::vector<std::string>& secrets, std::string_view body) {
  const auto last_at = body.rfind('@');
  if (last_at == std::string_view::npos) return;
  const std::string_view userinfo = body.substr(0, last_at);
  const auto colon = userinfo.find(':');
  if (colon != std::string_view::npos) add_secret(secrets, userinfo.substr(colon + 1));
}

// Every "password = value" (keyword form) or "password=value" (URI query), as written, so that even a
// string libpq rejects has its password known.
void add_keyword_passwords(std::vector<std::string>& secrets, std::string_view conninfo) {
  for (auto at = conninfo.find("password"); at != std::string_view::npos; at = conninfo.find("password", at + 1)) {
    std::size_t i = at + 8;
    while (i < conninfo.size() && conninfo[i] == ' ') ++i;
    if (i >= conninfo.size() || conninfo[i] != '=') continue;
    ++i;
    while (i < conninfo.size() && conninfo[i] == ' ') ++i;
    const bool quoted = i < conninfo.size() && conninfo[i] == '\'';
    if (quoted) ++i;
    std::size_t end = i;
    while (end < conninfo.size() && (quoted ? conninfo[end] != '\''
                                            : !std::isspace(static_cast<unsigned char>(conninfo[end])) &&
                                                  conninfo[end] != '&')) {
      end += (quoted && conninfo[end] == '\\' && end + 1 < conninfo.size()) ? 2 : 1;
    }
    add_secret(secrets, conninfo.substr(i, std::min(end, conninfo.size()) - i));
  }
}

}  // namespace

ConninfoReading read_conninfo(std::string_view conninfo) {
  ConninfoReading reading;
  const auto body = uri_body(conninfo);
  if (body) add_uri_password(reading.secrets, *body);
  add_keyword_passwords(reading.secrets, conninfo);
  if (body) reading.problem = uri_problem(*body);
  if (!reading.trusted()) return reading;

  char* error = nullptr;
  reading.options.reset(PQconninfoParse(std::string(conninfo).c_str(), &error));
  if (!reading.options) {
    reading.problem = error != nullptr ? redact(error, reading.secrets, true) : "out of memory";
    PQfreemem(error);
    return reading;
  }
  for (auto* option = reading.options.get(); option->keyword != nullptr; ++option) {
    const bool secret = std::string_view(option->keyword) == "password" || std::string_view(option->dispchar) == "*";
    if (secret && option->val != nullptr) add_secret(reading.secrets, option->val);
  }
  return reading;
}

ConninfoOptions parse_conninfo(std::string_view conninfo, std::string_view what) {
  auto reading = read_conninfo(conninfo);
  if (!reading.trusted()) {
    throw InterfaceError(std::string(what) + " is invalid " + std::string(unparsable_conninfo) + ": " + reading.problem);
  }
  return std::move(reading.options);
}

std::string redact(std::string_view message, const std::vector<std::string>& secrets, bool strip_quoted) {
  std::string out(message);
  // Longest first: a short secret inside a longer one must not leave the rest of the longer behind.
  std::vector<std::string_view> ordered(secrets.begin(), secrets.end());
  std::sort(ordered.begin(), ordered.end(), [](auto a, auto b) { return a.size() > b.size(); });
  for (const auto secret : ordered) {
    if (secret.empty()) continue;
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
      out.replace(at, secret.size(), "***");
    }
  }
  if (strip_quoted) {
    // A quoted fragment can itself hold quotes (a password with '"'), so pairing them up is not safe:
    // everything from the first quote to the last goes.
    const auto first = out.find('"');
    if (first != std::string::npos) {
      const auto last = out.rfind('"');
      out = out.substr(0, first) + "\"...\"" + (last != first ? out.substr(last + 1) : std::string());
    }
  }
  return trimmed(out);
}

namespace {

bool sets(const PQconninfoOption* parsed, std::string_view keyword) {
  for (const auto* option = parsed; option->keyword != nullptr; ++option) {
    if (keyword == option->keyword && option->val != nullptr && *option->val != '\0') return true;
  }
  return false;
}

}  // namespace

std::string describe_target(const ConnectOptions& options, const PQconninfoOption* parsed) {
  if (parsed == nullptr) return std::string(unparsable_conninfo);
  const auto value = [&](std::string_view keyword, const std::string& override_value) -> std::string {
    if (!override_value.empty()) return override_value;
    for (const auto* option = parsed; option->keyword != nullptr; ++option) {
      if (keyword == option->keyword && option->val != nullptr) return option->val;
    }
    return {};
  };
  std::string out;
  const auto add = [&](std::string_view key, const std::string& v) {
    if (v.empty()) return;
    if (!out.empty()) out += ' ';
    fmt::format_to(std::back_inserter(out), "{}={}", key, v);
  };
  add("host", value("host", options.host));
  add("port", value("port", options.port ? std::to_string(*options.port) : std::string()));
  add("dbname", value("dbname", options.dbname));
  add("user", value("user", options.user));
  return out.empty() ? std::string("(libpq defaults)") : out;
}

std::vector<std::pair<std::string, std::string>> connect_settings(const ConnectOptions& options,
                                                                  const PQconninfoOption* parsed) {
  std::vector<std::pair<std::string, std::string>> settings;
  // The first dbname is expanded as a conninfo string; later ones are plain values that override.
  settings.emplace_back("dbname", options.conninfo);
  const auto add = [&](const char* keyword, const std::string& value) {
    if (!value.empty()) settings.emplace_back(keyword, value);
  };
  add("host", options.host);
  add("port", options.port ? std::to_string(*options.port) : std::string());
  add("dbname", options.dbname);
  add("user", options.user);
  add("password", options.password);
  add("application_name", options.application_name);
  add("connect_timeout", options.connect_timeout ? std::to_string(options.connect_timeout->count()) : std::string());
  add("sslmode", options.sslmode);
  add("sslrootcert", options.sslrootcert);
  add("target_session_attrs", options.target_session_attrs);
  // pgkit validates and sends UTF-8 throughout, so that is the default; a client_encoding asked for in
  // the conninfo, in `parameters` or by PGCLIENTENCODING still wins.
  if (!sets(parsed, "client_encoding") && std::getenv("PGCLIENTENCODING") == nullptr) add("client_encoding", "UTF8");
  for (const auto& [keyword, value] : options.parameters) {
    if (keyword.empty()) throw InterfaceError("a connection parameter has an empty name");
    settings.emplace_back(keyword, value);
  }
  return settings;
}

}  // namespace pgkit::detail

namespace pgkit {

std::string redact_conninfo(std::string_view conninfo) {
  auto parsed = detail::parse_conninfo(conninfo);
  std::string out;
  for (auto* option = parsed.get(); option->keyword != nullptr; ++option) {
    if (option->val == nullptr || *option->val == '\0') continue;
    if (!out.empty()) out += ' ';
    const bool secret = std::string_view(option->keyword) == "password" || std::string_view(option->dispchar) == "*";
    fmt::format_to(std::back_inserter(out), "{}={}", option->keyword, secret ? "***" : option->val);
  }
  return out;
}

std::string describe_conninfo(std::string_view conninfo) {
  const auto reading = detail::read_conninfo(conninfo);
  ConnectOptions options;
  return detail::describe_target(options, reading.options.get());
}

}  // namespace pgkit
