// One migration set over many schemas: each schema's own history, the no-op check, a stopped run
// resumed, search_path left as it was on the pool's connections.
#include "support/test_server.hpp"

#include <pgkit/migrate.hpp>
#include <pgkit/pool.hpp>
#include <pgkit/sql.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

namespace {

namespace migrate = pgkit::migrate;
namespace sql = pgkit::sql;
using pgkit::testing::DatabaseTest;

class ManySchemas : public DatabaseTest {
 protected:
  static migrate::MigrationSet tenant_set() {
    migrate::MigrationSet set;
    set.add(1, "users", "CREATE TABLE users (id int PRIMARY KEY, name text)", std::string("DROP TABLE users"));
    set.add(2, "data", "CREATE TABLE data (id int, body jsonb)", std::string("DROP TABLE data"));
    set.add(3, "index", "-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY data_id ON data (id)",
            std::string("DROP INDEX data_id"));
    return set;
  }
  static std::vector<std::string> make_schemas(const std::string& prefix, int count) {
    auto conn = connect();
    std::vector<std::string> names;
    for (int i = 0; i < count; ++i) {
      names.push_back(prefix + std::to_string(i) + (i % 2 == 0 ? "" : " \"odd\""));
      conn.exec(sql::SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql::Identifier(names.back())));
    }
    return names;
  }
  // The tenants' schemas do not exist yet: the migrator creates them.
  static migrate::Options creating() {
    migrate::Options options;
    options.create_schemas = true;
    return options;
  }
  static pgkit::PoolOptions pool_options() {
    pgkit::PoolOptions options;
    options.connect.conninfo = database_url();
    options.min_size = 0;
    options.max_size = 3;
    return options;
  }
};

TEST_F(ManySchemas, EachSchemaGetsItsOwnHistoryAndTheNoOpRunSkipsThemAll) {
  const auto schemas = make_schemas("tenant_", 6);
  pgkit::Pool pool(pool_options());
  const auto set = tenant_set();
  std::vector<std::size_t> progress;
  const auto report = migrate::migrate_schemas(
      pool, set, schemas, creating(), 3,
      [&](const migrate::SchemaResult&, const migrate::SchemasProgress& p) { progress.push_back(p.done); });
  ASSERT_EQ(report.results.size(), 6U);
  EXPECT_EQ(report.failed, 0U);
  EXPECT_EQ(report.up_to_date, 0U);
  for (const auto& result : report.results) {
    EXPECT_TRUE(result.ok) << result.schema << ": " << result.error;
    EXPECT_EQ(result.applied, 3) << result.schema;
  }
  EXPECT_EQ(progress, (std::vector<std::size_t>{1, 2, 3, 4, 5, 6}));
  auto conn = connect();
  for (const auto& schema : schemas) {
    EXPECT_TRUE(conn.query_value<bool>("SELECT to_regclass($1) IS NOT NULL",
                                       sql::Identifier(schema, "pgkit_schema_migrations").str()));
    EXPECT_TRUE(conn.query_value<bool>("SELECT to_regclass($1) IS NOT NULL", sql::Identifier(schema, "data_id").str()));
  }
  EXPECT_TRUE(migrate::schemas_needing_work(conn, set, schemas, {}).empty());
  const auto again = migrate::migrate_schemas(pool, set, schemas, creating(), 3);
  EXPECT_EQ(again.up_to_date, 6U);
  for (const auto& result : again.results) EXPECT_TRUE(result.skipped) << result.schema;
  // A schema whose history differs (one migration rolled back) is the only one found needing work.
  migrate::Options one;
  one.history_schema = schemas[3];
  one.target_schema = schemas[3];
  migrate::Migrator(conn, set, one).down_steps(1);
  EXPECT_EQ(migrate::schemas_needing_work(conn, set, schemas, {}), (std::vector<std::string>{schemas[3]}));
  // The pool's connections come back with the search_path they had.
  auto pooled = pool.acquire();
  EXPECT_EQ(pooled->query_value<std::string>("SHOW search_path"), "\"$user\", public");
}

TEST_F(ManySchemas, AStoppedRunIsResumedWithOnlyWhatIsLeft) {
  const auto schemas = make_schemas("resume_", 5);
  pgkit::Pool pool(pool_options());
  const auto set = tenant_set();
  std::atomic<bool> stop{false};
  const auto first = migrate::migrate_schemas(
      pool, set, schemas, creating(), 1,
      [&](const migrate::SchemaResult&, const migrate::SchemasProgress& p) {
        if (p.done == 2) stop = true;
      },
      &stop);
  EXPECT_TRUE(first.stopped);
  int ran = 0;
  for (const auto& result : first.results) ran += result.skipped ? 0 : 1;
  EXPECT_EQ(ran, 2);
  const auto second = migrate::migrate_schemas(pool, set, schemas, creating(), 2);
  EXPECT_FALSE(second.stopped);
  EXPECT_EQ(second.up_to_date, 2U);
  int applied = 0;
  for (const auto& result : second.results) applied += result.applied;
  EXPECT_EQ(applied, 9);  // three schemas x three migrations
}

TEST_F(ManySchemas, ASchemaNamedTwiceIsMigratedOnce) {
  const auto schemas = make_schemas("twice_", 2);
  pgkit::Pool pool(pool_options());
  const auto report =
      migrate::migrate_schemas(pool, tenant_set(), {schemas[0], schemas[1], schemas[0]}, creating(), 3);
  ASSERT_EQ(report.results.size(), 2U);
  EXPECT_EQ(report.results[0].schema, schemas[0]);
  EXPECT_EQ(report.results[1].schema, schemas[1]);
  for (const auto& result : report.results) {
    EXPECT_TRUE(result.ok) << result.error;
    EXPECT_EQ(result.applied, 3);
    EXPECT_FALSE(result.skipped);
  }
}

TEST_F(ManySchemas, AMissingSchemaIsAnErrorUnlessCreateSchemas) {
  const auto schemas = make_schemas("typo_", 1);
  pgkit::Pool pool(pool_options());
  const auto report = migrate::migrate_schemas(pool, tenant_set(), schemas, {}, 1);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_NE(report.results[0].error.find("schema \"typo_0\" does not exist"), std::string::npos) << report.results[0].error;
  auto conn = connect();
  EXPECT_FALSE(conn.query_value<bool>("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schemas[0]));
}

TEST_F(ManySchemas, AFailingSchemaDoesNotStopTheOthers) {
  const auto schemas = make_schemas("failing_", 3);
  auto conn = connect();
  conn.exec(sql::SQL("CREATE SCHEMA {}").format(sql::Identifier(schemas[1])));
  conn.exec(sql::SQL("CREATE TABLE {} (x int)").format(sql::Identifier(schemas[1], "users")));
  pgkit::Pool pool(pool_options());
  const auto report = migrate::migrate_schemas(pool, tenant_set(), schemas, creating(), 2);
  EXPECT_EQ(report.failed, 1U);
  EXPECT_FALSE(report.results[1].ok);
  EXPECT_NE(report.results[1].error.find("already exists"), std::string::npos) << report.results[1].error;
  EXPECT_TRUE(report.results[0].ok);
  EXPECT_TRUE(report.results[2].ok);
  EXPECT_THROW(migrate::migrate_schemas(pool, tenant_set(), {""}, {}, 2), pgkit::InterfaceError);
  EXPECT_THROW(migrate::migrate_schemas(pool, tenant_set(), schemas, creating(), 0), pgkit::InterfaceError);
}

}  // namespace
