// What reaches the server is what the caller wrote: SQL text with a NUL byte is refused (libpq would
// send only what precedes it), and text travels as UTF-8 only (any other client_encoding would have
// the server store it converted: 'é' as 'Ã©').
#include "support/scoped_env.hpp"
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/pipeline.hpp>
#include <pgkit/sql.hpp>

#include <gtest/gtest.h>

#include <sstream>
#include <string>

namespace {

using pgkit::testing::DatabaseTest;
using pgkit::testing::ScopedEnv;
using namespace std::string_literals;

class TextSafety : public DatabaseTest {};

// "SELECT 1\0; DROP TABLE ..." must not run as "SELECT 1", nor as anything else.
TEST_F(TextSafety, SqlWithANulByteIsRefusedBeforeAnythingIsSent) {
  auto conn = connect();
  conn.exec("CREATE TABLE nul_target (id int)");
  const std::string sql = "SELECT 1\0; DROP TABLE nul_target"s;
  const auto expect_refused = [&](auto&& run, const char* what) {
    try {
      run();
      ADD_FAILURE() << what << " ran SQL holding a NUL byte";
    } catch (const pgkit::InterfaceError& e) {
      EXPECT_NE(std::string(e.what()).find("NUL byte at offset"), std::string::npos) << what << ": " << e.what();
    }
  };
  expect_refused([&] { conn.exec(sql); }, "exec");
  expect_refused([&] { (void)conn.query<int>(sql); }, "query");
  expect_refused([&] { conn.execute_script(sql); }, "execute_script");
  expect_refused([&] { conn.prepare("with_nul", sql); }, "prepare");
  expect_refused([&] { auto rows = conn.stream(sql); }, "stream");
  expect_refused([&] { conn.with_timeout(std::chrono::seconds(5)).exec(sql); }, "with_timeout().exec");
  {
    pgkit::Pipeline pipeline(conn);
    expect_refused([&] { pipeline.add(sql); }, "Pipeline::add");
    pipeline.finish();
  }
  std::ostringstream out;
  expect_refused([&] { pgkit::copy_out_raw(conn, "COPY nul_target TO STDOUT\0; DROP TABLE nul_target"s, out); },
                 "copy_out_raw");
  expect_refused([&] { pgkit::copy_out<int>(conn, sql, [](int) {}); }, "copy_out");
  // Nothing ran: the table is still there, and the connection works.
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM nul_target"), 0);
}

TEST_F(TextSafety, ANonUtf8ClientEncodingIsRefusedWithItsName) {
  for (const char* setting : {" client_encoding=LATIN1", " client_encoding=SJIS"}) {
    try {
      pgkit::Connection conn(database_url() + setting);
      ADD_FAILURE() << setting << " was accepted";
    } catch (const pgkit::InterfaceError& e) {
      EXPECT_NE(std::string(e.what()).find("client_encoding is"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("UTF-8 only"), std::string::npos) << e.what();
    }
  }
  const ScopedEnv encoding("PGCLIENTENCODING", "LATIN1");
  EXPECT_THROW(connect(), pgkit::InterfaceError);
  // ConnectOptions::parameters is a way to ask too.
  pgkit::ConnectOptions options{.conninfo = database_url()};
  options.parameters.emplace_back("client_encoding", "EUC_JP");
  EXPECT_THROW(pgkit::Connection{options}, pgkit::InterfaceError);
}

TEST_F(TextSafety, Utf8AskedForExplicitlyOrByDefaultIsAccepted) {
  {
    const ScopedEnv unset("PGCLIENTENCODING", std::nullopt);
    EXPECT_EQ(connect().parameter_status("client_encoding"), "UTF8");
  }
  const ScopedEnv spelled("PGCLIENTENCODING", "utf-8");
  EXPECT_EQ(connect().parameter_status("client_encoding"), "UTF8");
  pgkit::Connection explicit_utf8(database_url() + " client_encoding=unicode");
  EXPECT_EQ(explicit_utf8.parameter_status("client_encoding"), "UTF8");
}

// A statement that switches the session to another encoding is refused, and the session set back.
TEST_F(TextSafety, SettingAnotherClientEncodingLaterIsUndone) {
  auto conn = connect();
  for (const char* statement : {"SET client_encoding = 'LATIN1'", "SELECT set_config('client_encoding', 'SJIS', false)"}) {
    EXPECT_THROW(conn.exec(statement), pgkit::InterfaceError) << statement;
    EXPECT_EQ(conn.parameter_status("client_encoding"), "UTF8") << statement;
    EXPECT_EQ(conn.query_value<std::string>("SELECT $1::text", "é"), "é") << statement;
  }
  EXPECT_THROW(conn.execute_script("SET client_encoding = 'LATIN1'"), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<std::string>("SHOW client_encoding"), "UTF8");
  EXPECT_TRUE(conn.is_open());
}

// In a LATIN1 database the server converts: what pgkit sends as UTF-8 is stored as LATIN1 and read
// back as the same UTF-8.
TEST_F(TextSafety, ALatin1DatabaseStoresAndReturnsTheSameCharacters) {
  auto admin = connect();
  const pgkit::sql::Identifier name(database_name() + "_latin1");
  admin.exec(pgkit::sql::SQL("DROP DATABASE IF EXISTS {}").format(name));
  admin.exec(pgkit::sql::SQL("CREATE DATABASE {} ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
                 .format(name));
  {
    pgkit::ConnectOptions options{.conninfo = database_url(), .dbname = database_name() + "_latin1"};
    pgkit::Connection latin(options);
    EXPECT_EQ(latin.parameter_status("server_encoding"), "LATIN1");
    latin.exec("CREATE TABLE words (word text)");
    latin.exec("INSERT INTO words VALUES ($1)", "café");
    EXPECT_EQ(latin.query_value<std::string>("SELECT word FROM words"), "café");
    EXPECT_EQ(latin.query_value<int>("SELECT octet_length(word) FROM words"), 4);  // é is one LATIN1 byte
  }
  admin.exec(pgkit::sql::SQL("DROP DATABASE {}").format(name));
}

}  // namespace
