// Connection strings a user may get wrong, each carrying the same distinctive password, for the tests
// that check no message, log, metric or child process ever shows it (pool and CLI).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <vector>

namespace pgkit::testing {

// Holds an '@' and a '/' left unencoded in most strings below, which makes libpq split it up.
inline constexpr std::string_view kLeakyPassword = "p@ss/Secret42";

// Pieces of the password that must never be seen (libpq's splitting would show them as a database
// name or a host, e.g. "dbname=Secret42@127.0.0.1"), and its percent-encoded form.
inline const std::vector<std::string>& leaky_password_pieces() {
  static const std::vector<std::string> pieces = {"Secret42", "p@ss", "p%40ss%2FSecret42"};
  return pieces;
}

// Whether `text` shows the password or a piece of it.
inline bool shows_leaky_password(std::string_view text) {
  for (const auto& piece : leaky_password_pieces()) {
    if (text.find(piece) != std::string_view::npos) return true;
  }
  return false;
}

// A dozen malformed or unusable connection strings carrying the password. `port` should be a port
// nothing listens on or a real server's TCP port; nothing here can log in.
inline std::vector<std::string> malformed_conninfos(int port) {
  const std::string pw(kLeakyPassword);
  const std::string encoded = "p%40ss%2FSecret42";
  return {
      fmt::format("postgresql://postgres:{}@127.0.0.1:{}/postgres", pw, port),           // '@' and '/' unencoded
      fmt::format("postgresql://postgres:{}@127.0.0.1:{}/postgres?bogus=1", pw, port),   // and an unknown parameter
      fmt::format("postgresql://postgres:{}@[::1/postgres", pw),                          // unterminated IPv6
      fmt::format("postgresql://postgres:{}@127.0.0.1:notaport/postgres", pw),            // a port that is no number
      fmt::format("postgres://:{}@127.0.0.1:{}/postgres", pw, port),                      // no user name
      fmt::format("postgresql://postgres:pass/Secret42@127.0.0.1:{}/postgres", port),     // only a '/'
      fmt::format("postgresql://postgres:{}@127.0.0.1:{}/postgres?sslmode=bogus", pw, port),
      fmt::format("postgresql://postgres:{}@127.0.0.1:{}/postgres?connect_timeout=1", encoded, port),  // well formed
      fmt::format("postgresql://postgres:{}@127.0.0.1:{}/postgres?bogus=1", encoded, port),
      fmt::format("host=127.0.0.1 port={} password={} dbname", port, pw),                  // a keyword without '='
      fmt::format("host=127.0.0.1 port=abc password='{}' connect_timeout=1", pw),         // a port that is no number
      fmt::format("host=127.0.0.1 port={} password='{}", port, pw),                        // an unterminated quote
      fmt::format("postgresql://postgres@127.0.0.1:{}/postgres?password={}", port, pw),   // in the query, unencoded
  };
}

}  // namespace pgkit::testing
