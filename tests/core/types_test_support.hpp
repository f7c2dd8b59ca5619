// Helpers shared by the type tests (types_*_test.cpp). Every conversion is checked against the real
// server in both result formats: prepared statements of types pgkit reads in binary return binary
// results, the simple protocol (execute_script) returns text, and a decoder that only handles one of
// them is only half a decoder.
#pragma once

#include "support/test_server.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/uuid.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <stdexcept>
#include <ostream>
#include <string>
#include <string_view>

namespace pgkit {

// GoogleTest finds these by argument-dependent lookup, so failures print values, not bytes.
inline void PrintTo(const Decimal& value, std::ostream* os) {
  *os << "Decimal(" << value.str() << ")";
}
inline void PrintTo(const Uuid& value, std::ostream* os) {
  *os << "Uuid(" << value.str() << ")";
}
inline void PrintTo(const Interval& value, std::ostream* os) {
  *os << "Interval{months=" << value.months << ", days=" << value.days << ", us=" << value.microseconds << "}";
}

namespace types_test {

// A fixture whose connection prepares every statement at its first run, so that exec() gets binary
// results wherever pgkit asks for them: a described statement whose columns pgkit all reads in binary
// (under ISO dates, postgres intervals and UTC) and for which binary pays (docs/driver.md, "Every
// built-in type"). read_binary and echo_binary go through a binary COPY, which is binary whatever the
// types and settings.
class TypesTest : public testing::DatabaseTest {
 protected:
  static Connection connect_preparing() {
    ConnectOptions options;
    options.conninfo = database_url();
    options.statement_cache.prepare_threshold = 1;
    return Connection(options);
  }

  Connection conn = connect_preparing();
};

// The value of `SELECT <expression>` read as T from its binary form (a binary COPY of the query).
template <class T>
T read_binary(Connection& conn, std::string_view expression) {
  std::optional<T> value;
  for (const auto& row : CopyRows<T>(conn, fmt::format("SELECT {}", expression))) {
    EXPECT_FALSE(value.has_value()) << expression << " gave more than one row";
    value.emplace(row);
  }
  if (!value) throw std::logic_error(fmt::format("SELECT {} gave no row", expression));
  return std::move(*value);
}

// The value of `SELECT <expression>` read as T from a text-format result.
template <class T>
T read_text(Connection& conn, std::string_view expression) {
  const Result result = conn.execute_script(fmt::format("SELECT {}", expression));
  const Field field = result.one()[0];
  EXPECT_EQ(field.format(), Format::text) << expression;
  return field.as<T>();
}

// Both result formats must decode `expression` to `expected`.
template <class T>
void expect_reads(Connection& conn, std::string_view expression, const T& expected) {
  EXPECT_EQ(read_binary<T>(conn, expression), expected) << "binary result of " << expression;
  EXPECT_EQ(read_text<T>(conn, expression), expected) << "text result of " << expression;
}

// Reading `expression` as T must throw `Expected` in both result formats; returns the text-format message.
template <class T, class Expected = ConversionError>
std::string expect_read_fails(Connection& conn, std::string_view expression) {
  EXPECT_THROW((void)read_binary<T>(conn, expression), Expected) << "binary result of " << expression;
  try {
    (void)read_text<T>(conn, expression);
    ADD_FAILURE() << "text result of " << expression << " was read without error";
  } catch (const Expected& e) {
    return e.what();
  }
  return {};
}

// A new name for each echo table: were the INSERT text the same for another column type, a connection
// with the statement cache on would run the statement it prepared for the old table.
inline std::string next_echo_table() {
  static std::atomic<int> next{0};
  return fmt::format("echo_{}", next++);
}

// `value` sent as a parameter, stored in a column of `sql_type`, and read back in binary (a binary COPY).
template <class T>
T echo_binary(Connection& conn, const T& value, std::string_view sql_type) {
  const std::string table = next_echo_table();
  conn.execute_script(fmt::format("CREATE TEMP TABLE {} (v {})", table, sql_type));
  conn.exec(fmt::format("INSERT INTO {} VALUES ($1)", table), value);
  T back = read_binary<T>(conn, fmt::format("v FROM {}", table));
  conn.execute_script(fmt::format("DROP TABLE {}", table));
  return back;
}

// `value` sent as a parameter, stored in a column of `sql_type`, and read back from a text result.
template <class T>
T echo_text(Connection& conn, const T& value, std::string_view sql_type) {
  const std::string table = next_echo_table();
  conn.execute_script(fmt::format("CREATE TEMP TABLE {} (v {})", table, sql_type));
  conn.exec(fmt::format("INSERT INTO {} VALUES ($1)", table), value);
  const Result result = conn.execute_script(fmt::format("SELECT v FROM {}", table));
  conn.execute_script(fmt::format("DROP TABLE {}", table));
  EXPECT_EQ(result.one()[0].format(), Format::text);
  return result.one()[0].as<T>();
}

// Sends `value` through the server in both formats and expects it back unchanged.
template <class T>
void expect_round_trip(Connection& conn, const T& value, std::string_view sql_type) {
  EXPECT_EQ(echo_binary(conn, value, sql_type), value) << "binary round trip through " << sql_type;
  EXPECT_EQ(echo_text(conn, value, sql_type), value) << "text round trip through " << sql_type;
}

// The server's own text for a parameter: what the server understood the C++ value to be.
template <class T>
std::string server_text(Connection& conn, const T& value) {
  return conn.query_value<std::string>("SELECT $1::text", value);
}

// The type the server gave to a parameter.
template <class T>
std::string server_type(Connection& conn, const T& value) {
  return conn.query_value<std::string>("SELECT pg_typeof($1)::text", value);
}

}  // namespace types_test
}  // namespace pgkit
