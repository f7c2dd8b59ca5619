// Migration lint: each rule flags its statement and not the safer pattern; acceptance comments;
// keywords inside strings and comments; tables created in the same file.
#include <pgkit/errors.hpp>
#include <pgkit/migrate/lint.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace {

using pgkit::migrate::lint;
using pgkit::migrate::LintFinding;

// The rule ids of the findings not accepted, in order.
std::vector<std::string> rules_of(std::string_view sql) {
  std::vector<std::string> out;
  for (const LintFinding& f : lint(sql)) {
    if (!f.accepted) out.push_back(f.rule);
  }
  return out;
}
using Rules = std::vector<std::string>;
const Rules none;

TEST(Lint, IndexWithoutConcurrently) {
  EXPECT_EQ(rules_of("CREATE INDEX users_email ON users (email);"), Rules{"index-not-concurrent"});
  EXPECT_EQ(rules_of("create unique index if not exists i on only app.users using btree (lower(email))"),
            Rules{"index-not-concurrent"});
  EXPECT_EQ(rules_of("-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY users_email ON users (email);"), none);
  // A table created in the same file is empty: a plain index is right there.
  EXPECT_EQ(rules_of("CREATE TABLE app.users (id int, email text);\nCREATE INDEX ON app.users (email);"), none);
  EXPECT_EQ(rules_of("CREATE TABLE \"Users\" (id int);\nCREATE INDEX ON \"Users\" (id); CREATE INDEX ON users (id)"),
            Rules{"index-not-concurrent"});
}

TEST(Lint, ConcurrentlyInsideATransaction) {
  EXPECT_EQ(rules_of("CREATE INDEX CONCURRENTLY i ON users (email)"), Rules{"needs-no-transaction"});
  EXPECT_EQ(rules_of("DROP INDEX CONCURRENTLY i"), Rules{"needs-no-transaction"});
  EXPECT_EQ(rules_of("REINDEX (VERBOSE, CONCURRENTLY) TABLE t; REINDEX TABLE CONCURRENTLY t; VACUUM t"),
            (Rules{"needs-no-transaction", "needs-no-transaction", "needs-no-transaction"}));
  EXPECT_EQ(rules_of("REINDEX TABLE t; DROP INDEX i"), none);
  // The directive applies to the section it is in.
  const std::string file =
      "-- migrate:up\n-- pgkit:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);\n"
      "-- migrate:down\nDROP INDEX CONCURRENTLY i;\n";
  const auto findings = lint(file);
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].rule, "needs-no-transaction");
  EXPECT_EQ(findings[0].line, 5);
  EXPECT_NE(findings[0].message.find("pgkit:no-transaction"), std::string::npos);
}

TEST(Lint, VolatileDefault) {
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN token uuid DEFAULT gen_random_uuid()"), Rules{"volatile-default"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD r float8 NOT NULL DEFAULT random() * 10"), Rules{"volatile-default"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN at timestamptz DEFAULT clock_timestamp()"), Rules{"volatile-default"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN n int DEFAULT nextval('s')"), Rules{"volatile-default"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN id bigserial"), Rules{"volatile-default"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN id int GENERATED ALWAYS AS IDENTITY"), Rules{"volatile-default"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN d int GENERATED ALWAYS AS (a * 2) STORED"), Rules{"volatile-default"});
  // Constants and stable functions are stored once in the catalog (PostgreSQL 11+): no rewrite.
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN created_at timestamptz NOT NULL DEFAULT now()"), none);
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN status text DEFAULT 'random()', ADD COLUMN n int DEFAULT 0"), none);
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN random int; ALTER TABLE t ADD COLUMN u uuid"), none);
  EXPECT_EQ(rules_of("CREATE TABLE t (a int); ALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid()"), none);
}

TEST(Lint, SetNotNull) {
  EXPECT_EQ(rules_of("ALTER TABLE users ALTER COLUMN email SET NOT NULL"), Rules{"set-not-null"});
  // The safe pattern: a NOT VALID check, validated, then SET NOT NULL.
  EXPECT_EQ(rules_of("ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
                     "ALTER TABLE users VALIDATE CONSTRAINT email_nn;\n"
                     "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
                     "ALTER TABLE users DROP CONSTRAINT email_nn;"),
            none);
  // Not validated, or a check on another column: still a scan.
  EXPECT_EQ(rules_of("ALTER TABLE users ADD CONSTRAINT email_nn CHECK (email IS NOT NULL) NOT VALID;\n"
                     "ALTER TABLE users ALTER email SET NOT NULL;"),
            Rules{"set-not-null"});
  EXPECT_EQ(rules_of("ALTER TABLE users ADD CONSTRAINT c CHECK ((name IS NOT NULL)) NOT VALID;\n"
                     "ALTER TABLE users VALIDATE CONSTRAINT c; ALTER TABLE users ALTER email SET NOT NULL;"),
            Rules{"set-not-null"});
  EXPECT_EQ(rules_of("ALTER TABLE other ADD CONSTRAINT c CHECK (email IS NOT NULL) NOT VALID;\n"
                     "ALTER TABLE other VALIDATE CONSTRAINT c; ALTER TABLE users ALTER email SET NOT NULL;"),
            Rules{"set-not-null"});
}

TEST(Lint, ColumnTypeRewrite) {
  EXPECT_EQ(rules_of("ALTER TABLE t ALTER COLUMN n TYPE bigint"), Rules{"column-type-rewrite"});
  EXPECT_EQ(rules_of("ALTER TABLE t ALTER COLUMN n SET DATA TYPE text USING n::text"), Rules{"column-type-rewrite"});
  // Widenings that need no rewrite.
  EXPECT_EQ(rules_of("ALTER TABLE t ALTER COLUMN name TYPE varchar(200); ALTER TABLE t ALTER name TYPE text;"
                     "ALTER TABLE t ALTER COLUMN price TYPE numeric(14, 2)"),
            none);
  // Known from the file: narrowing varchar, a scale change, text -> varchar(n) are flagged.
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN v varchar(50);\nALTER TABLE t ALTER v TYPE character varying(20)"),
            Rules{"column-type-rewrite"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN v varchar(50);\nALTER TABLE t ALTER v TYPE varchar(80)"), none);
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN p numeric(10,2);\nALTER TABLE t ALTER p TYPE numeric(12,2)"), none);
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN p numeric(10,2);\nALTER TABLE t ALTER p TYPE numeric(12,4)"),
            Rules{"column-type-rewrite"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN s text;\nALTER TABLE t ALTER s TYPE varchar(10)"),
            Rules{"column-type-rewrite"});
  EXPECT_EQ(rules_of("ALTER TABLE t ADD COLUMN i int;\nALTER TABLE t ALTER i TYPE numeric(10,2)"),
            Rules{"column-type-rewrite"});
}

TEST(Lint, ConstraintsWithoutNotValid) {
  EXPECT_EQ(rules_of("ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (author_id) REFERENCES users (id)"),
            Rules{"foreign-key-validates"});
  EXPECT_EQ(rules_of("ALTER TABLE posts ADD FOREIGN KEY (author_id) REFERENCES users"), Rules{"foreign-key-validates"});
  EXPECT_EQ(rules_of("ALTER TABLE posts ADD CONSTRAINT fk FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;"
                     "ALTER TABLE posts VALIDATE CONSTRAINT fk"),
            none);
  EXPECT_EQ(rules_of("ALTER TABLE p ADD CHECK (price > 0)"), Rules{"check-validates"});
  EXPECT_EQ(rules_of("ALTER TABLE p ADD CONSTRAINT positive CHECK (price > 0) NOT VALID"), none);
  EXPECT_EQ(rules_of("ALTER TABLE p ADD CONSTRAINT u UNIQUE (code)"), Rules{"constraint-builds-index"});
  EXPECT_EQ(rules_of("ALTER TABLE p ADD PRIMARY KEY (id)"), Rules{"constraint-builds-index"});
  EXPECT_EQ(rules_of("ALTER TABLE p ADD CONSTRAINT u UNIQUE USING INDEX p_code"), none);
  EXPECT_EQ(rules_of("CREATE TABLE p (id int, price int);\nALTER TABLE p ADD CHECK (price > 0), ADD PRIMARY KEY (id)"),
            none);
}

TEST(Lint, DropAndRename) {
  EXPECT_EQ(rules_of("ALTER TABLE users DROP COLUMN nickname"), Rules{"drop-column"});
  EXPECT_EQ(rules_of("ALTER TABLE users DROP IF EXISTS nickname, DROP CONSTRAINT c"), Rules{"drop-column"});
  EXPECT_EQ(rules_of("ALTER TABLE users RENAME COLUMN name TO full_name"), Rules{"rename-column"});
  EXPECT_EQ(rules_of("ALTER TABLE users RENAME name TO full_name"), Rules{"rename-column"});
  EXPECT_EQ(rules_of("ALTER TABLE users RENAME TO accounts"), Rules{"rename-table"});
  EXPECT_EQ(rules_of("ALTER TABLE users RENAME CONSTRAINT a TO b"), none);
  // A down section dropping the column its up section added is the expected undo.
  EXPECT_EQ(rules_of("-- migrate:up\nALTER TABLE users ADD COLUMN bio text;\n-- migrate:down\n"
                     "ALTER TABLE users DROP COLUMN bio;"),
            none);
}

TEST(Lint, EnumValueUsedInTheSameTransaction) {
  EXPECT_EQ(rules_of("ALTER TYPE mood ADD VALUE 'ecstatic';\nUPDATE people SET m = 'ecstatic' WHERE m = 'happy';"),
            Rules{"enum-value-in-transaction"});
  EXPECT_EQ(rules_of("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'ecstatic' AFTER 'happy';"), none);
  EXPECT_EQ(rules_of("-- pgkit:no-transaction\nALTER TYPE mood ADD VALUE 'x';\nUPDATE p SET m = 'x';"), none);
  EXPECT_EQ(rules_of("-- migrate:up\nALTER TYPE mood ADD VALUE 'x';\n-- migrate:down\nUPDATE p SET m = 'x';"), none);
}

TEST(Lint, AcceptanceComment) {
  const std::string sql =
      "-- pgkit:lint-ok index-not-concurrent\nCREATE INDEX a ON users (a);\nCREATE INDEX b ON users (b);\n"
      "-- pgkit:lint-ok drop-column, rename-table\n-- why: nothing reads it since v42\n"
      "ALTER TABLE users DROP COLUMN c, ADD CHECK (x > 0);\n";
  const auto findings = lint(sql);
  ASSERT_EQ(findings.size(), 4U);
  EXPECT_TRUE(findings[0].accepted);
  EXPECT_EQ(findings[0].line, 2);
  EXPECT_FALSE(findings[1].accepted);
  EXPECT_EQ(findings[1].line, 3);
  EXPECT_EQ(findings[2].rule, "drop-column");
  EXPECT_TRUE(findings[2].accepted);
  EXPECT_EQ(findings[3].rule, "check-validates");
  EXPECT_FALSE(findings[3].accepted);
  // A misspelt rule is a finding of its own, and accepts nothing.
  EXPECT_EQ(rules_of("-- pgkit:lint-ok index-not-concurent\nCREATE INDEX a ON users (a)"),
            (Rules{"index-not-concurrent", "lint-ok-unknown-rule"}));
}

TEST(Lint, KeywordsInStringsAndCommentsAreNotStatements) {
  EXPECT_EQ(rules_of("-- CREATE INDEX i ON users (a);\n/* ALTER TABLE t DROP COLUMN c; */\n"
                     "INSERT INTO log VALUES ('CREATE INDEX i ON users (a)', $$ALTER TABLE t DROP COLUMN c$$);\n"
                     "COMMENT ON TABLE t IS 'ALTER TABLE t RENAME TO u';"),
            none);
  EXPECT_EQ(rules_of("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE INDEX i ON t (a); "
                     "END $$;"),
            none);
}

TEST(Lint, FindingsCarryLineExcerptAndTheSaferPattern) {
  const auto findings = lint("\n\nCREATE   INDEX\n  users_email\n  ON users (email);");
  ASSERT_EQ(findings.size(), 1U);
  EXPECT_EQ(findings[0].line, 3);
  EXPECT_EQ(findings[0].statement, "CREATE INDEX users_email ON users (email)");
  EXPECT_NE(findings[0].message.find("users"), std::string::npos);
  EXPECT_NE(findings[0].message.find("CREATE INDEX CONCURRENTLY"), std::string::npos);
  const std::string long_statement =
      "ALTER TABLE t DROP COLUMN c" + std::string(300, ' ') + ", DROP COLUMN " + std::string(200, 'x');
  const auto cut = lint(long_statement);
  ASSERT_EQ(cut.size(), 2U);
  EXPECT_LE(cut[0].statement.size(), 103U);
  EXPECT_TRUE(cut[0].statement.ends_with("..."));
}

TEST(Lint, EveryRuleIsListedWithASaferPattern) {
  std::set<std::string_view> ids;
  for (const auto& rule : pgkit::migrate::lint_rules()) {
    EXPECT_FALSE(rule.summary.empty()) << rule.id;
    EXPECT_FALSE(rule.safer.empty()) << rule.id;
    EXPECT_TRUE(ids.insert(rule.id).second) << "duplicate " << rule.id;
  }
  EXPECT_EQ(ids.size(), 13U);
}

TEST(Lint, RejectsANulByte) {
  EXPECT_THROW(lint(std::string_view("SELECT 1\0; DROP TABLE t", 23)), pgkit::InterfaceError);
  EXPECT_TRUE(lint("").empty());
  EXPECT_TRUE(lint("SELECT 'unterminated").empty());
}

}  // namespace
