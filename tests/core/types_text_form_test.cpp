// Every built-in type reads as the server's own text, whichever result format pgkit asked for, under the
// session's DateStyle, IntervalStyle and TimeZone; pgkit asks for binary only where it prints the binary
// form exactly. The list of types comes from pgkit's type table: a type added to it without a sample
// value here fails SamplesCoverEveryBuiltInType.
#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/detail/type_table.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace {

using pgkit::Connection;
using pgkit::Format;
using pgkit::Oid;
using pgkit::Result;
using pgkit::detail::builtin_type;
using pgkit::detail::builtin_types;
using pgkit::detail::BuiltinType;

// A value of each built-in type, by pg_type.typname; nullopt with the reason a literal cannot make one.
struct Sample {
  std::optional<std::string_view> expression;
  std::string_view reason = {};
};

const std::map<std::string_view, Sample>& samples() {
  static const std::map<std::string_view, Sample> all = {
      {"bool", {"true"}},
      {"bytea", {"'\\x00ff10'::bytea"}},
      {"char", {"'\\351'::\"char\""}},  // a byte above 127: printed as \351
      {"name", {"'a name'::name"}},
      {"int8", {"(-9223372036854775807)::int8"}},
      {"int2", {"(-7)::int2"}},
      {"int2vector", {"'1 2 3'::int2vector"}},
      {"int4", {"42"}},
      {"regproc", {"'now'::regproc"}},
      {"text", {"'text, with \"quotes\" and \\\\ {braces}'::text"}},
      {"oid", {"4294967295::oid"}},
      {"tid", {"'(1,2)'::tid"}},
      {"xid", {"'42'::xid"}},
      {"cid", {"'7'::cid"}},
      {"oidvector", {"'1 2'::oidvector"}},
      {"json", {"'{\"a\": [1, 2]}'::json"}},
      {"xml", {"'<a>b</a>'::xml"}},
      {"pg_node_tree", {"(SELECT ev_action FROM pg_catalog.pg_rewrite ORDER BY oid LIMIT 1)"}},
      {"point", {"'(1.5,-2)'::point"}},
      {"lseg", {"'[(1,2),(3,4)]'::lseg"}},
      {"path", {"'((1,2),(3,4))'::path"}},
      {"box", {"'(3,4),(1,2)'::box"}},
      {"polygon", {"'((0,0),(1,1),(1,0))'::polygon"}},
      {"line", {"'{1,-1,0}'::line"}},
      {"cidr", {"'2001:db8::/32'::cidr"}},
      {"float4", {"0.1::float4"}},
      {"float8", {"'-1.5e-300'::float8"}},
      {"circle", {"'<(1,2),3>'::circle"}},
      {"macaddr8", {"'08:00:2b:01:02:03:04:05'::macaddr8"}},
      {"money", {"(-92233720368547758.08)::money"}},
      {"macaddr", {"'08:00:2b:01:02:03'::macaddr"}},
      {"inet", {"'192.168.0.1'::inet"}},
      {"aclitem", {"makeaclitem(0, 'pg_monitor'::regrole, 'UPDATE', true)"}},
      {"bpchar", {"'ab'::char(4)"}},
      {"varchar", {"'NULL'::varchar"}},
      {"date", {"'0044-03-15 BC'::date"}},
      {"time", {"'23:59:59.999999'::time"}},
      {"timestamp", {"'2024-02-29 12:34:56.789'::timestamp"}},
      {"timestamptz", {"'2024-06-01 10:00:00.123456+00'::timestamptz"}},
      {"interval", {"'-1 year 2 mons -3 days 04:05:06.789'::interval"}},
      {"timetz", {"'12:00:01.5+05:30'::timetz"}},
      {"bit", {"B'101'::bit(3)"}},
      {"varbit", {"B'1011'::varbit"}},
      {"numeric", {"'-12.50'::numeric"}},
      {"refcursor", {"'cursor'::refcursor"}},
      {"regprocedure", {"'now()'::regprocedure"}},
      {"regoper", {"'||/'::regoper"}},
      {"regoperator", {"'+(integer,integer)'::regoperator"}},
      {"regclass", {"'pg_class'::regclass"}},
      {"regtype", {"'integer'::regtype"}},
      {"record", {"ROW(1, 'a b', NULL, '(x)')"}},
      {"cstring", {"'abc'::cstring"}},
      {"void", {"''::void"}},
      {"txid_snapshot", {"'10:20:10,14,15'::txid_snapshot"}},
      {"uuid", {"'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid"}},
      {"pg_lsn", {"'16/B374D848'::pg_lsn"}},
      {"tsvector", {"'a fat cat sat on a mat and ate a fat rat'::tsvector"}},
      {"tsquery", {"'fat & (rat | cat)'::tsquery"}},
      {"regconfig", {"'english'::regconfig"}},
      {"regdictionary", {"'simple'::regdictionary"}},
      {"jsonb", {"'{\"b\": null, \"a\": [1, \"x\"]}'::jsonb"}},
      {"int4range", {"'[1,5)'::int4range"}},
      {"numrange", {"'(1.5,2.5]'::numrange"}},
      {"tsrange", {"'[2024-01-01 00:00, 2024-02-01 00:00)'::tsrange"}},
      {"tstzrange", {"'[2024-01-01 00:00+00, infinity)'::tstzrange"}},
      {"daterange", {"'[2024-01-01,2024-02-01)'::daterange"}},
      {"int8range", {"'empty'::int8range"}},
      {"jsonpath", {"'$.a[*] ? (@ > 1)'::jsonpath"}},
      {"regnamespace", {"'pg_catalog'::regnamespace"}},
      {"regrole", {"'pg_monitor'::regrole"}},
      {"regcollation", {"'\"C\"'::regcollation"}},
      {"int4multirange", {"'{[1,3), [5,7)}'::int4multirange"}},
      {"nummultirange", {"'{[1.5,2.5]}'::nummultirange"}},
      {"tsmultirange", {"'{[2024-01-01 00:00, 2024-01-02 00:00)}'::tsmultirange"}},
      {"tstzmultirange", {"'{[2024-01-01 00:00+00, 2024-01-02 00:00+00)}'::tstzmultirange"}},
      {"datemultirange", {"'{[2024-01-01,2024-02-01)}'::datemultirange"}},
      {"int8multirange", {"'{}'::int8multirange"}},
      {"pg_snapshot", {"'10:20:10,14,15'::pg_snapshot"}},
      {"xid8", {"'18446744073709551615'::xid8"}},
      // Not made from a literal:
      {"unknown", {std::nullopt, "the server resolves unknown outputs as text"}},
      {"gtsvector", {std::nullopt, "an index-internal type without input"}},
      {"pg_ndistinct", {std::nullopt, "statistics data without input"}},
      {"pg_dependencies", {std::nullopt, "statistics data without input"}},
      {"pg_mcv_list", {std::nullopt, "statistics data without input"}},
      {"pg_brin_bloom_summary", {std::nullopt, "index-internal, without input"}},
      {"pg_brin_minmax_multi_summary", {std::nullopt, "index-internal, without input"}},
  };
  return all;
}

// Pseudo types (category P) other than record, cstring and void never reach a client.
bool never_in_results(const BuiltinType& type) {
  return type.category == 'P' && type.name != "record" && type.name != "cstring" && type.name != "void";
}

// Every expression to check: a sample of each built-in type, an array of each (with a NULL), and arrays
// whose lower bounds are not 1. With the type the column must have.
std::vector<std::pair<std::string, Oid>> expressions() {
  std::vector<std::pair<std::string, Oid>> all;
  for (const BuiltinType& type : builtin_types()) {
    if (type.is_array() || never_in_results(type)) continue;
    const auto found = samples().find(type.name);
    if (found == samples().end() || !found->second.expression) continue;
    const std::string expression(*found->second.expression);
    all.emplace_back(expression, type.oid);
    if (type.array != 0) all.emplace_back(fmt::format("ARRAY[{}, NULL]", expression), type.array);
  }
  all.emplace_back("'[2:3]={1,2}'::int4[]", pgkit::oid::int4_array);
  all.emplace_back("'[0:1][-1:0]={{1,2},{3,4}}'::int8[]", pgkit::oid::int8_array);
  all.emplace_back("'[2:3]={a,\"b c\"}'::text[]", pgkit::oid::text_array);
  all.emplace_back("'[-2:-1]={2024-01-01,infinity}'::date[]", pgkit::oid::date_array);
  all.emplace_back("'{{\"1 day\",NULL},{\"-2 mons\",\"00:00:01\"}}'::interval[]", pgkit::oid::interval_array);
  all.emplace_back("'{}'::timestamptz[]", pgkit::oid::timestamptz_array);
  return all;
}

struct Settings {
  std::string_view time_zone;
  std::string_view date_style;
  std::string_view interval_style;
  [[nodiscard]] bool pgkit_renders_dates() const {
    return time_zone == "UTC" && date_style.starts_with("ISO") && interval_style == "postgres";
  }
};

class TypesServerText : public pgkit::testing::DatabaseTest {
 protected:
  // A connection with the statement cache's defaults: a statement's first run is unnamed, its second
  // runs prepared.
  static Connection connect_with(const Settings& settings) {
    Connection conn = connect();
    conn.exec(
        "SELECT set_config('TimeZone', $1, false), set_config('DateStyle', $2, false), "
        "set_config('IntervalStyle', $3, false)",
        settings.time_zone, settings.date_style, settings.interval_style);
    return conn;
  }

  // The format pgkit must ask for when `type` is described beside a float8 (for which binary pays).
  static Format expected_prepared_format(Oid type, const Settings& settings) {
    const BuiltinType* row = builtin_type(type);
    if (row == nullptr || !row->binary_readable()) return Format::text;
    const bool depends = (row->text_depends & pgkit::detail::TextSetting::reported) != 0;
    return depends && !settings.pgkit_renders_dates() ? Format::text : Format::binary;
  }

  // `SELECT <expression>` read as std::string equals the server's output function's text for it, in the
  // statement's first (unnamed) run, its second (prepared) run, and through prepare().
  static void expect_server_text(const Settings& settings) {
    Connection conn = connect_with(settings);
    int checked = 0;
    for (const auto& [expression, type] : expressions()) {
      const std::string sql =
          fmt::format("SELECT {0} AS v, format('%s', {0}) AS server_text, 1.5::float8 AS binary_pays", expression);
      const auto check = [&](const Result& result, Format format, std::string_view run) {
        const auto row = result.one();
        EXPECT_EQ(row[0].type(), type) << expression;
        EXPECT_EQ(row[0].format(), format) << run << " run of " << expression;
        EXPECT_EQ(row[0].as<std::string>(), row[1].as<std::string>()) << run << " run of " << expression;
      };
      try {
        check(conn.exec(sql), Format::text, "first");
        check(conn.exec(sql), expected_prepared_format(type, settings), "second");
        const auto statement = conn.prepare("text_form", sql);
        check(conn.exec(statement), expected_prepared_format(type, settings), "prepare()'s");
        conn.deallocate(statement);
        ++checked;
      } catch (const pgkit::Error& e) {
        ADD_FAILURE() << expression << ": " << e.what();
        conn = connect_with(settings);
      }
    }
    EXPECT_GT(checked, 150);
  }
};

TEST_F(TypesServerText, SamplesCoverEveryBuiltInType) {
  std::vector<std::string_view> missing;
  for (const BuiltinType& type : builtin_types()) {
    if (!type.is_array() && !never_in_results(type) && !samples().contains(type.name)) missing.push_back(type.name);
  }
  EXPECT_THAT(missing, ::testing::IsEmpty()) << "built-in types without a sample value in this test";
  for (const auto& [name, sample] : samples()) {
    EXPECT_TRUE(std::any_of(builtin_types().begin(), builtin_types().end(),
                            [&](const BuiltinType& type) { return type.name == name; }))
        << name << " is not in the type table";
  }
}

TEST_F(TypesServerText, EveryBuiltInTypeReadsAsTheServersTextUnderDefaultSettings) {
  expect_server_text({.time_zone = "UTC", .date_style = "ISO, MDY", .interval_style = "postgres"});
}

TEST_F(TypesServerText, EveryBuiltInTypeReadsAsTheServersTextUnderOtherSettings) {
  expect_server_text({.time_zone = "Asia/Kathmandu", .date_style = "SQL, DMY", .interval_style = "iso_8601"});
}

TEST_F(TypesServerText, EachSettingAloneSendsItsTypesInText) {
  for (const Settings& settings :
       {Settings{"Asia/Kathmandu", "ISO, MDY", "postgres"}, Settings{"UTC", "German, DMY", "postgres"},
        Settings{"UTC", "ISO, YMD", "sql_standard"}}) {
    Connection conn = connect_with(settings);
    const std::string sql =
        "SELECT '2024-06-01 10:00+00'::timestamptz, '2024-06-01'::date, '-1 day 02:00'::interval, 1.5::float8";
    conn.exec(sql);
    const Result prepared = conn.exec(sql);
    const Result server = conn.execute_script(sql);
    const Format expected =
        settings.time_zone != "UTC" || !settings.date_style.starts_with("ISO") || settings.interval_style != "postgres"
            ? Format::text
            : Format::binary;
    for (std::size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(prepared.one()[i].format(), expected) << settings.time_zone << " / " << settings.date_style;
      EXPECT_EQ(prepared.one()[i].as<std::string>(), server.one()[i].as<std::string>()) << settings.date_style;
    }
  }
}

// The choice is made at each run: a SET between two runs of a prepared statement is honoured at once.
TEST_F(TypesServerText, ASetTimeZoneIsHonouredAtTheNextRun) {
  Connection conn = connect_with({"UTC", "ISO, MDY", "postgres"});
  const std::string sql = "SELECT '2024-06-01 10:00:00+00'::timestamptz";
  conn.exec(sql);
  EXPECT_EQ(conn.exec(sql).one()[0].format(), Format::binary);
  EXPECT_EQ(conn.query_value<std::string>(sql), "2024-06-01 10:00:00+00");
  conn.exec("SET TimeZone = 'Asia/Kathmandu'");
  EXPECT_EQ(conn.exec(sql).one()[0].format(), Format::text);
  EXPECT_EQ(conn.query_value<std::string>(sql), "2024-06-01 15:45:00+05:45");
  conn.exec("SET TimeZone = 'Etc/UTC'");
  EXPECT_EQ(conn.exec(sql).one()[0].format(), Format::binary);
}

// Types with run-time OIDs (enums, composites, extension types) are not in the table: their columns come
// in text, in the first run and prepared.
TEST_F(TypesServerText, UserDefinedTypesReadAsTheServersText) {
  Connection conn = connect();
  conn.exec("CREATE TYPE rating AS ENUM ('G', 'PG-13', 'NC-17')");
  conn.exec("CREATE TYPE pair AS (a integer, b text)");
  conn.exec("CREATE EXTENSION IF NOT EXISTS hstore");
  for (const std::string_view expression : {"ARRAY['PG-13', NULL, 'NC-17']::rating[]", "ROW(1, 'x y')::pair",
                                            "ARRAY[ROW(1, NULL)::pair, NULL]", "'a=>1, \"b c\"=>NULL'::hstore"}) {
    const std::string sql = fmt::format("SELECT {0}, format('%s', {0}), 1.5::float8", expression);
    for (int run = 0; run < 3; ++run) {
      const Result result = conn.exec(sql);
      EXPECT_EQ(result.one()[0].format(), Format::text) << expression;
      EXPECT_EQ(result.one()[0].as<std::string>(), result.one()[1].as<std::string>()) << expression;
    }
  }
}

// aclitem has no binary output: a query returning it must not ask for binary, prepared or not.
TEST_F(TypesServerText, AclitemColumnsRunAndReadAsText) {
  Connection conn = connect();
  conn.exec("CREATE TABLE shared_notes (note text)");
  conn.exec("GRANT SELECT ON shared_notes TO PUBLIC");
  for (int run = 0; run < 3; ++run) {
    const Result all = conn.exec("SELECT relname, relacl FROM pg_class");
    EXPECT_GT(all.size(), 100U);
    const auto [acl, server] = conn.query_one<std::string, std::string>(
        "SELECT relacl, relacl::text FROM pg_class WHERE relname = 'shared_notes'");
    EXPECT_EQ(acl, server);
    EXPECT_THAT(acl, ::testing::HasSubstr("=r/"));
    const auto items =
        conn.query_value<std::vector<std::string>>("SELECT relacl FROM pg_class WHERE relname = 'shared_notes'");
    EXPECT_EQ(items.size(), 2U);
  }
}

// pagila's film.fulltext is a tsvector column (the dataset is not available to the suite, so a table of
// the same shape stands in for it).
TEST_F(TypesServerText, TsvectorColumnReadsAsTheServersText) {
  Connection conn = connect();
  conn.exec("CREATE TABLE film (title text, fulltext tsvector)");
  conn.exec(
      "INSERT INTO film SELECT title, to_tsvector('english', title || ' ' || description) FROM (VALUES "
      "('ACADEMY DINOSAUR', 'A Epic Drama of a Feminist And a Mad Scientist who must Battle a Teacher in The "
      "Canadian Rockies'), ('ACE GOLDFINGER', 'A Astounding Epistle of a Database Administrator And a "
      "Explorer who must Find a Car in Ancient China')) AS f (title, description)");
  for (int run = 0; run < 2; ++run) {
    const auto films = conn.query<std::string, std::string>("SELECT fulltext, fulltext::text FROM film ORDER BY title");
    ASSERT_EQ(films.size(), 2U);
    for (const auto& [fulltext, server] : films) EXPECT_EQ(fulltext, server);
    EXPECT_THAT(std::get<0>(films[0]), ::testing::HasSubstr("'dinosaur':2"));
  }
}

}  // namespace
