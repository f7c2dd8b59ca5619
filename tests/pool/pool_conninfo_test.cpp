// A pool given a malformed connection string carrying a password: its errors, warnings and metrics
// never show the password or a piece of it, and a URI libpq would split up is refused as such.
#include "pool/malformed_conninfo.hpp"
#include "pool/pool_test_support.hpp"

#include <pgkit/pool.hpp>

namespace pgkit::testing {
namespace {

// A port on which nothing listens: connection attempts fail at once.
constexpr int kClosedPort = 1;

TEST(PoolConninfo, MalformedConnectionStringsNeverShowThePassword) {
  for (const auto& conninfo : malformed_conninfos(kClosedPort)) {
    SCOPED_TRACE(conninfo);
    const std::string description = describe_conninfo(conninfo);
    EXPECT_FALSE(shows_leaky_password(description)) << description;

    CapturedLog log;
    auto options = pool_options(conninfo, "conninfo");
    options.min_size = 1;
    options.acquire_timeout = 300ms;
    options.reconnect = {.initial_delay = 10ms, .max_delay = 50ms};
    options.logger = log.logger();
    std::string failure;
    std::string metrics;
    try {
      Pool pool(options);
      try {
        (void)pool.acquire();
        ADD_FAILURE() << "acquired a connection";
      } catch (const Error& e) {
        failure = e.what();
      }
      metrics = prometheus_text(pool.metrics(), pool.name());
      pool.close(1s);
    } catch (const InterfaceError& e) {
      failure = e.what();
    }
    EXPECT_FALSE(failure.empty());
    EXPECT_FALSE(shows_leaky_password(failure)) << failure;
    EXPECT_FALSE(shows_leaky_password(metrics)) << metrics;
    const std::string logged = log.text();
    EXPECT_FALSE(shows_leaky_password(logged)) << logged;
  }
}

TEST(PoolConninfo, UriThatLibpqWouldSplitIsRefusedAsUnparsable) {
  const std::string uri = malformed_conninfos(kClosedPort).front();
  EXPECT_EQ(describe_conninfo(uri), "(unparsable conninfo)");
  try {
    Pool pool(pool_options(uri, "conninfo"));
    FAIL() << "a pool was made from " << uri;
  } catch (const InterfaceError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("(unparsable conninfo)"), std::string::npos) << message;
    EXPECT_NE(message.find("%40"), std::string::npos) << "the message should say how to encode: " << message;
    EXPECT_FALSE(shows_leaky_password(message)) << message;
  }
}

TEST(PoolConninfo, EncodedPasswordStillConnectsAndDescribes) {
  // The same refusal must not catch what is well formed: the test server's own URI, and a description of it.
  const std::string description = describe_conninfo(server_conninfo());
  EXPECT_NE(description, "(unparsable conninfo)");
  EXPECT_EQ(describe_conninfo("postgresql://alice:p%40ss%2FSecret42@db.example.com:5433/shop"),
            "host=db.example.com port=5433 dbname=shop user=alice");
  Pool pool(pool_options(server_conninfo(), "conninfo"));
  EXPECT_EQ(pool.acquire()->query_value<int>("SELECT 1"), 1);
}

}  // namespace
}  // namespace pgkit::testing
