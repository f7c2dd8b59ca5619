// Migration sources: the checksum's definition (a fixed vector), the file convention and its errors,
// code migrations, `new`.
#include "migrate_test_support.hpp"

#include <pgkit/migrate.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

namespace migrate = pgkit::migrate;
using pgkit::testing::TempFolder;

// The checksum must never change between pgkit versions: these digests are fixed.
TEST(Checksum, KnownVectors) {
  EXPECT_EQ(migrate::checksum(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(migrate::checksum("CREATE TABLE t (a int);\nSELECT 1;"),
            "c2e975c1a797ba2ffffd21a93a62d9d02879b824e8f37c14291ed6cffefe6cd5");
}

TEST(Checksum, NormalisesBomLineEndingsTrailingBlanksAndBlankLines) {
  const std::string plain = "CREATE TABLE t (a int);\nSELECT 1;";
  EXPECT_EQ(migrate::normalise_for_checksum("\xEF\xBB\xBF\r\n\r\nCREATE TABLE t (a int);  \t\r\nSELECT 1;\r\n\n\n"),
            plain);
  EXPECT_EQ(migrate::checksum("\nCREATE TABLE t (a int);\rSELECT 1;   \n"), migrate::checksum(plain));
  // Inner blank lines and leading spaces are content.
  EXPECT_NE(migrate::checksum("CREATE TABLE t (a int);\n\nSELECT 1;"), migrate::checksum(plain));
  EXPECT_NE(migrate::checksum("  CREATE TABLE t (a int);\nSELECT 1;"), migrate::checksum(plain));
}

TEST(Sources, ParsesSectionsDirectivesAndLines) {
  const auto m = migrate::parse_migration("0007_add_index.sql",
                                          "-- a comment\n-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX"
                                          " CONCURRENTLY i ON t (a);\n-- migrate:down\nDROP INDEX i;\n");
  EXPECT_EQ(m.version, 7);
  EXPECT_EQ(m.name, "add_index");
  EXPECT_FALSE(m.up_transactional);
  EXPECT_TRUE(m.down_transactional);
  EXPECT_EQ(m.up_first_line, 3);
  ASSERT_TRUE(m.down_sql);
  EXPECT_EQ(m.down_first_line, 6);
  EXPECT_EQ(*m.down_sql, "DROP INDEX i;\n");
  EXPECT_EQ(m.checksum(), migrate::checksum("-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);"));
}

TEST(Sources, NoDownSectionMeansIrreversible) {
  const auto m = migrate::parse_migration("1_a.sql", "-- migrate:up\nCREATE TABLE a ();\n");
  EXPECT_FALSE(m.reversible());
}

void expect_source_error(const std::string& file, const std::string& text, const std::string& expected) {
  try {
    migrate::parse_migration(file, text);
    ADD_FAILURE() << file << " was accepted";
  } catch (const migrate::SourceError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

TEST(Sources, MalformedFilesAreErrorsNamingTheFile) {
  const std::string ok = "-- migrate:up\nSELECT 1;\n";
  expect_source_error("0001_create_users.up.sql", ok, "separate up/down files are not pgkit's convention");
  expect_source_error("0001_create_users.down.sql", ok, "separate up/down files");
  expect_source_error("create_users.sql", ok, "malformed migration file name");
  expect_source_error("0001-create-users.sql", ok, "malformed migration file name");
  expect_source_error("0001_Create_Users.sql", ok, "malformed migration file name");
  expect_source_error("0000_zero.sql", ok, "greater than 0");
  expect_source_error("1234567890123456789_long.sql", ok, "the version has 19 digits, more than 18");
  expect_source_error("0001_x.sql", "CREATE TABLE a ();\n", "SQL before the `-- migrate:up` line");
  expect_source_error("0001_x.sql", "-- just a comment\n", "no up section");
  expect_source_error("0001_x.sql", "-- migrate:up\n", "the up section has no SQL");
  expect_source_error("0001_x.sql", "-- migrate:up\n-- pgkit:no-transaction\n\n-- migrate:down\nSELECT 1;\n",
                      "the up section has no SQL");
  expect_source_error("0001_x.sql", "-- migrate:down\nSELECT 1;\n-- migrate:up\n", "before `-- migrate:up`");
  expect_source_error("0001_x.sql", "-- migrate:up\nSELECT 1;\n-- migrate:up\n", "a second");
}

TEST(Sources, FolderRejectsDuplicateVersionsAndIgnoresOtherFiles) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nSELECT 1;\n");
  folder.write("README.md", "not a migration");
  folder.write("0002_b.sql", "-- migrate:up\nSELECT 2;\n");
  auto set = migrate::MigrationSet::from_directory(folder.path());
  ASSERT_EQ(set.migrations().size(), 2U);
  EXPECT_EQ(set.migrations()[1].name, "b");
  folder.write("2_again.sql", "-- migrate:up\nSELECT 2;\n");
  try {
    migrate::MigrationSet::from_directory(folder.path());
    ADD_FAILURE() << "a duplicate version was accepted";
  } catch (const migrate::SourceError& e) {
    EXPECT_NE(std::string(e.what()).find("duplicate version 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("2_again.sql"), std::string::npos) << e.what();
  }
}

TEST(Sources, CodeMigrationsMixWithFiles) {
  TempFolder folder;
  folder.write("0001_a.sql", "-- migrate:up\nSELECT 1;\n");
  auto set = migrate::MigrationSet::from_directory(folder.path());
  set.add(3, "seed_rows", [](pgkit::Connection&) {});
  set.add(2, "b", "SELECT 2", std::string("SELECT 3"));
  ASSERT_EQ(set.migrations().size(), 3U);
  EXPECT_EQ(set.migrations()[1].version, 2);
  EXPECT_EQ(set.migrations()[2].source(), "<code>");
  EXPECT_THROW(set.add(2, "again", "SELECT 1"), migrate::SourceError);
  EXPECT_THROW(set.add(0, "zero", "SELECT 1"), migrate::SourceError);
  EXPECT_THROW(set.add(9, "", "SELECT 1"), migrate::SourceError);
  EXPECT_THROW(set.add(9, "empty", "  -- nothing\n"), migrate::SourceError);
}

TEST(Sources, NewFileTakesTheNextVersion) {
  TempFolder folder;
  const auto first = migrate::create_migration_file(folder.path(), "create_users");
  EXPECT_EQ(first.filename(), "0001_create_users.sql");
  const auto second = migrate::create_migration_file(folder.path(), "add_email");
  EXPECT_EQ(second.filename(), "0002_add_email.sql");
  // Not filled yet: not a migration (an empty up section is an error), but `new` still counts it.
  EXPECT_THROW(migrate::MigrationSet::from_directory(folder.path()), migrate::SourceError);
  folder.write("0001_create_users.sql", "-- migrate:up\nSELECT 1;\n");
  folder.write("0002_add_email.sql", "-- migrate:up\nSELECT 2;\n");
  const auto set = migrate::MigrationSet::from_directory(folder.path());
  EXPECT_EQ(set.migrations().size(), 2U);
  EXPECT_THROW(migrate::create_migration_file(folder.path(), "Bad Name"), migrate::SourceError);

  TempFolder stamped;
  stamped.write("20250101120000_init.sql", "-- migrate:up\nSELECT 1;\n");
  const auto next = migrate::create_migration_file(stamped.path(), "more");
  EXPECT_EQ(next.filename().string().size(), std::string("20261130120000_more.sql").size()) << next;
  EXPECT_GT(next.filename().string(), "20250101120000_init.sql");
}

}  // namespace
