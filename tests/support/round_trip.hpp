// A round-trip kit in the spirit of pgx's RunValueRoundTripTests: every value of a C++ type goes to the
// real server and back by every path pgkit offers, and must come back equal (==, with NaN equal to NaN
// and -0.0 apart from 0.0), with its string read equal to the server's own text of it (its output function's).
//
//   round_trip::run<std::int16_t>(url, {.sql_type = "int2"}, {std::int16_t{-1}, ...});
//
// The paths (round_trip::Path):
//   param_text    a parameter, read back from a TEXT result (statement cache off: never described);
//   param_binary  a parameter, read back from a described statement (prepared at once); the result is
//                 BINARY where pgkit's policy asks for it, and Field::format() says which was tested;
//                 where the policy gives text, the kit says so and copy_binary is the binary read;
//   param_cached  the same statement twice with the default cache: first TEXT (undescribed), then
//                 whatever the policy gives once the cache has prepared it;
//   array         {value, NULL, value} as a std::vector<std::optional<T>> parameter, both result kinds;
//   copy_binary   CopyWriter into a temp table, CopyRows back (binary COPY both ways), and a text COPY
//                 TO STDOUT of the same row equal to the server's text;
//   copy_text     the value's text form (Type<T>::to_text) through a text COPY FROM STDIN, read back;
//   literal       pgkit::sql::Literal composed into SQL text, run, read back.
// A path that does not apply to a type is exempted with a reason (printed on every run, never skipped
// silently); a path that fails for a known bug is a KnownFailure: it still runs, its failures are
// printed, and the test fails once it passes, so that the mark is removed.
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/copy.hpp>
#include <pgkit/sql.hpp>

#include <fmt/format.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pgkit::round_trip {

enum class Path { param_text, param_binary, param_cached, array, copy_binary, copy_text, literal };

inline std::string_view name(Path path) {
  switch (path) {
    case Path::param_text: return "param_text";
    case Path::param_binary: return "param_binary";
    case Path::param_cached: return "param_cached";
    case Path::array: return "array";
    case Path::copy_binary: return "copy_binary";
    case Path::copy_text: return "copy_text";
    case Path::literal: return "literal";
  }
  return "?";
}

inline constexpr std::size_t every_value = static_cast<std::size_t>(-1);

// A path that does not apply to this type, and why.
struct Exemption {
  Path path;
  std::string reason;
};

// A path that fails today for `value` (an index into the values, or every_value): a bug, referenced.
struct KnownFailure {
  Path path;
  std::size_t value = every_value;
  std::string reason;
};

struct Options {
  std::string sql_type;        // as written after `::`, e.g. "int2", "bit(9)", "mood"
  std::string session_setup;   // SQL run first on every connection of the run (SET DateStyle = ...)
  std::string array_sql_type;  // empty: sql_type + "[]"
  std::vector<Exemption> exempt;
  std::vector<KnownFailure> known_failures;
};

// ---------------------------------------------------------------------------------------------------
// Equality and text, per type.

template <class T>
struct Same {
  static bool equal(const T& a, const T& b) { return a == b; }
};
template <class T>
  requires std::is_floating_point_v<T>
struct Same<T> {
  static bool equal(T a, T b) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    return a == b && std::signbit(a) == std::signbit(b);
  }
};
template <class D>
struct Same<std::chrono::hh_mm_ss<D>> {
  static bool equal(const std::chrono::hh_mm_ss<D>& a, const std::chrono::hh_mm_ss<D>& b) {
    return a.to_duration() == b.to_duration();
  }
};
template <class T>
struct Same<std::optional<T>> {
  static bool equal(const std::optional<T>& a, const std::optional<T>& b) {
    if (!a || !b) return !a && !b;
    return Same<T>::equal(*a, *b);
  }
};
template <class T>
struct Same<std::vector<T>> {
  static bool equal(const std::vector<T>& a, const std::vector<T>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!Same<T>::equal(a[i], b[i])) return false;
    }
    return true;
  }
};

template <class T>
bool same(const T& a, const T& b) {
  return Same<T>::equal(a, b);
}

// Whether the value has a text form pgkit writes itself (literals, text COPY).
template <class T>
inline constexpr bool has_text_form = detail::has_to_text<T> || Type<T>::format == Format::text;

// The value's text as pgkit writes it (its to_text, or its encoding when it travels as text).
template <class T>
std::string text_of(const T& value) {
  std::string out;
  if constexpr (detail::has_to_text<T>) {
    Type<T>::to_text(value, out);
  } else if constexpr (Type<T>::format == Format::text) {
    Type<T>::encode(value, out);
  } else {
    out = "(no text form)";
  }
  return out;
}

// Whether std::vector<std::optional<T>> is a parameter and a result type.
template <class T>
inline constexpr bool has_array = Type<T>::format == Format::text || Type<T>::array_oid != oid::unspecified;

// COPY's text format: backslash, newline, carriage return and tab escaped.
std::string copy_escape(std::string_view text);

// ---------------------------------------------------------------------------------------------------
// The run.

// What one run<T> shares between its paths.
class Context {
 public:
  Context(const std::string& url, const Options& options);
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context();

  // Runs `body` as path `path` for value `index` unless exempted; a known failure is expected to fail.
  template <class F>
  void check(Path path, std::size_t index, const std::string& shown, F&& body);

  [[nodiscard]] bool exempted(Path path) const;
  void note(std::string text) { notes_.push_back(std::move(text)); }

  const Options& options;
  std::string array_type;
  Connection text_conn;     // statement cache off: every result is text
  Connection prepare_conn;  // prepares at the first run: described statements
  Connection cached_conn;   // the default cache (prepares at the second run)
  std::string table;        // a temp table (v <sql_type>) for the COPY paths

 private:
  [[nodiscard]] const KnownFailure* known(Path path, std::size_t index) const;
  std::vector<std::string> notes_;
};

template <class F>
void Context::check(Path path, std::size_t index, const std::string& shown, F&& body) {
  if (exempted(path)) return;
  SCOPED_TRACE(fmt::format("{} {} value #{} {}", options.sql_type, name(path), index, shown));
  auto guarded = [&] {
    try {
      body();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
  };
  const KnownFailure* mark = known(path, index);
  if (!mark) {
    guarded();
    return;
  }
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    guarded();
  }
  if (failures.size() == 0) {
    ADD_FAILURE() << "known failure passes now (" << mark->reason << "): remove its mark";
    return;
  }
  std::cout << "[ KNOWN    ] " << options.sql_type << " " << name(path) << " #" << index << " (" << mark->reason
            << "): " << failures.GetTestPartResult(0).message() << "\n";
}

// The server's own text of `value` as `sql_type`: its output function's, which format('%s') calls. (A
// `::text` cast is not always that: true::text is 'true' where bool's output is 't'.)
template <class T>
std::string server_text(Context& ctx, const T& value, const std::string& sql_type) {
  return ctx.text_conn.query_value<std::string>(fmt::format("SELECT format('%s', $1::{})", sql_type), value);
}

// The field must read back as `value`, and as the server's text.
template <class T>
void expect_field(const Field& field, const T& value, const std::string& text) {
  const T back = field.as<T>();
  EXPECT_TRUE(same(back, value)) << "came back as " << text_of(back) << ", sent " << text_of(value);
  EXPECT_EQ(field.as<std::string>(), text) << "the string read differs from the server's text";
}

template <class T>
void param_paths(Context& ctx, std::size_t index, const T& value, const std::string& text, const std::string& shown) {
  const std::string select = fmt::format("SELECT $1::{}", ctx.options.sql_type);
  ctx.check(Path::param_text, index, shown, [&] {
    const Result result = ctx.text_conn.exec(select, value);
    EXPECT_EQ(result.one()[0].format(), Format::text);
    expect_field(result.one()[0], value, text);
  });
  ctx.check(Path::param_binary, index, shown, [&] {
    const Result result = ctx.prepare_conn.exec(select, value);
    const Field field = result.one()[0];
    if (index == 0) {
      ctx.note(field.format() == Format::binary
                   ? "param_binary: described statements give BINARY results"
                   : "param_binary: described statements give TEXT results for this type (the format policy); "
                     "its binary read is copy_binary's");
    }
    expect_field(field, value, text);
  });
  ctx.check(Path::param_cached, index, shown, [&] {
    // A text unique to this value, so that its first run is an undescribed one.
    const std::string sql = fmt::format("{} /* {} */", select, index);
    const Result first = ctx.cached_conn.exec(sql, value);
    EXPECT_EQ(first.one()[0].format(), Format::text) << "the first run of a statement is not described";
    expect_field(first.one()[0], value, text);
    const Result second = ctx.cached_conn.exec(sql, value);
    EXPECT_EQ(second.one()[0].format(), ctx.prepare_conn.exec(select, value).one()[0].format())
        << "the cached statement's result format differs from a prepared one's";
    expect_field(second.one()[0], value, text);
  });
}

template <class T>
void array_path(Context& ctx, std::size_t index, const T& value, const std::string& shown) {
  if constexpr (has_array<T>) {
    ctx.check(Path::array, index, shown, [&] {
      const std::vector<std::optional<T>> array{value, std::nullopt, value};
      const std::string select = fmt::format("SELECT $1::{}", ctx.array_type);
      const std::string text = server_text(ctx, array, ctx.array_type);
      for (Connection* conn : {&ctx.text_conn, &ctx.prepare_conn}) {
        const Result result = conn->exec(select, array);
        SCOPED_TRACE(result.one()[0].format() == Format::text ? "text result" : "binary result");
        expect_field(result.one()[0], array, text);
      }
    });
  }
}

template <class T>
void copy_paths(Context& ctx, std::size_t index, const T& value, const std::string& text, const std::string& shown) {
  auto read_back = [&] {
    std::vector<T> rows;
    for (const auto& row : CopyRows<T>(ctx.text_conn, fmt::format("SELECT v FROM {}", ctx.table))) rows.push_back(row);
    ASSERT_EQ(rows.size(), 1U);
    const T back = rows[0];  // a copy: std::vector<bool> gives proxies
    EXPECT_TRUE(same(back, value)) << "binary COPY out gave " << text_of(back);
    std::ostringstream out;
    copy_out_raw(ctx.text_conn, fmt::format("COPY (SELECT v FROM {}) TO STDOUT", ctx.table), out);
    EXPECT_EQ(out.str(), copy_escape(text) + "\n") << "text COPY out";
  };
  ctx.check(Path::copy_binary, index, shown, [&] {
    ctx.text_conn.execute_script(fmt::format("TRUNCATE {}", ctx.table));
    const std::vector<T> rows{value};
    EXPECT_EQ(copy_in(ctx.text_conn, ctx.table, {"v"}, rows), 1);
    read_back();
  });
  if constexpr (has_text_form<T>) {
    ctx.check(Path::copy_text, index, shown, [&] {
      ctx.text_conn.execute_script(fmt::format("TRUNCATE {}", ctx.table));
      std::istringstream in(copy_escape(text_of(value)) + "\n");
      EXPECT_EQ(copy_in_raw(ctx.text_conn, fmt::format("COPY {} (v) FROM STDIN", ctx.table), in), 1);
      read_back();
    });
  }
}

template <class T>
void literal_path(Context& ctx, std::size_t index, const T& value, const std::string& text, const std::string& shown) {
  ctx.check(Path::literal, index, shown, [&] {
    const sql::Literal literal(value);
    const Result result = ctx.text_conn.exec(sql::SQL("SELECT {}").format(literal));
    const T back = result.one()[0].as<T>();
    EXPECT_TRUE(same(back, value)) << literal.str() << " came back as " << text_of(back);
    EXPECT_EQ(ctx.text_conn.query_value<std::string>(sql::SQL("SELECT format('%s', {})").format(literal)), text)
        << literal.str();
  });
}

// Every path for every value; the exemptions must cover what the type cannot do at all.
template <class T>
void run(const std::string& url, const Options& options, const std::vector<T>& values) {
  Context ctx(url, options);
  if constexpr (!has_array<T>) {
    EXPECT_TRUE(ctx.exempted(Path::array)) << "std::vector<" << options.sql_type << "> is no parameter: exempt it";
  }
  if constexpr (!has_text_form<T>) {
    EXPECT_TRUE(ctx.exempted(Path::copy_text)) << options.sql_type << " has no text form: exempt copy_text";
    EXPECT_TRUE(ctx.exempted(Path::literal)) << options.sql_type << " has no text form: exempt literal";
  }
  EXPECT_FALSE(ctx.exempted(Path::copy_binary) && ctx.exempted(Path::param_binary))
      << "every type needs one binary path";
  for (std::size_t i = 0; i < values.size(); ++i) {
    const T& value = values[i];
    const std::string shown = text_of(value);
    std::string text;
    try {
      text = server_text(ctx, value, options.sql_type);
    } catch (const std::exception& e) {
      ADD_FAILURE() << options.sql_type << " value #" << i << " " << shown << ": the server refused it: " << e.what();
      continue;
    }
    param_paths(ctx, i, value, text, shown);
    array_path(ctx, i, value, shown);
    copy_paths(ctx, i, value, text, shown);
    if constexpr (has_text_form<T>) literal_path(ctx, i, value, text, shown);
  }
}

}  // namespace pgkit::round_trip
