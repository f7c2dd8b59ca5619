// Helpers for the tests of the typed decoders of network.hpp, range.hpp, money.hpp, bits.hpp,
// geometry.hpp and array.hpp: each value is read from binary and text results, sent back as a
// parameter (binary) and as a literal, and its text rendering is compared with the server's.
#pragma once

#include "core/types_test_support.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace pgkit::types_test {

// The server's own output for `expression`: a text-format result (a cast to text is not always the
// same: inet's gives "::1/128" where its output is "::1").
inline std::string server_text_of(Connection& conn, std::string_view expression) {
  const Result result = conn.execute_script(fmt::format("SELECT {}", expression));
  EXPECT_EQ(result.one()[0].format(), Format::text);
  return std::string(result.one()[0].bytes());
}

// as<std::string>() of `expression` in both result formats gives the server's own text.
inline void expect_text_matches_server(Connection& conn, std::string_view expression) {
  const std::string expected = server_text_of(conn, expression);
  EXPECT_EQ(read_binary<std::string>(conn, expression), expected) << "binary result of " << expression;
  EXPECT_EQ(read_text<std::string>(conn, expression), expected) << "text result of " << expression;
}

// `value` written into the SQL as a pgkit::sql::Literal and read back.
template <class T>
T echo_literal(Connection& conn, const T& value) {
  return conn.query_value<T>(sql::SQL("SELECT {}").format(sql::Literal(value)));
}

// `expression` reads as `expected` in both formats and prints as the server prints it; `expected`
// comes back unchanged through a binary parameter, a column of `sql_type` read in text, and a literal.
template <class T>
void expect_value(Connection& conn, std::string_view expression, const T& expected, std::string_view sql_type) {
  expect_reads(conn, expression, expected);
  expect_round_trip(conn, expected, sql_type);
  EXPECT_EQ(echo_literal(conn, expected), expected) << "literal of " << expression;
  expect_text_matches_server(conn, expression);
}

}  // namespace pgkit::types_test
