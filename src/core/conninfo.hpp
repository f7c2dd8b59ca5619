// Reading a conninfo before libpq does, and the one redaction every message that may echo a conninfo
// goes through. Shared by the core and the pool.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pgkit {
struct ConnectOptions;
}

namespace pgkit::detail {

using ConninfoOptions = std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)>;

// What pgkit knows of a conninfo. A URI whose user information holds an unencoded '@' or '/' (or
// that libpq cannot parse) is not trusted: libpq would read pieces of the password as the host, the
// port or the database name, and send them to DNS, to the server and into messages.
struct ConninfoReading {
  ConninfoOptions options{nullptr, &PQconninfoFree};  // null when not trusted
  std::string problem;               // why it is not trusted, without any secret; empty when trusted
  std::vector<std::string> secrets;  // texts no message may contain (passwords, as given and decoded)
  [[nodiscard]] bool trusted() const noexcept { return problem.empty(); }
};

ConninfoReading read_conninfo(std::string_view conninfo);

// The parsed options; throws InterfaceError("<what> is invalid (unparsable conninfo): <problem>").
ConninfoOptions parse_conninfo(std::string_view conninfo, std::string_view what = "the connection string");

// The one redaction of messages: every secret replaced by "***". With `strip_quoted`, also everything
// libpq quoted (a parse error quotes the fragment it choked on, which may be a piece of a password).
std::string redact(std::string_view message, const std::vector<std::string>& secrets, bool strip_quoted = false);

// "host=... port=... dbname=... user=..." of what libpq will use, without the password. `parsed` is
// null for a conninfo that cannot be trusted: pieces of it may be pieces of a password.
std::string describe_target(const ConnectOptions& options, const PQconninfoOption* parsed);
// What PQconnectdbParams gets: the conninfo, then each field set in `options`.
std::vector<std::pair<std::string, std::string>> connect_settings(const ConnectOptions& options,
                                                                  const PQconninfoOption* parsed);

// What describe_conninfo() says of a conninfo that cannot be read with confidence.
inline constexpr std::string_view unparsable_conninfo = "(unparsable conninfo)";

}  // namespace pgkit::detail
