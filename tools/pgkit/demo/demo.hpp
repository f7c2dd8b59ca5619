// `pgkit demo`: the seed tutorial's applications, in C++, against DATABASE_URL or the embedded cluster.
// Every part runs in the schema pgkit_demo, which the demo drops and recreates, so a DATABASE_URL
// database is left as it was apart from that schema.
#pragma once

#include <pgkit/connection.hpp>

#include <fmt/format.h>

#include <chrono>

#include <string>
#include <string_view>

namespace pgkit::cli::demo {

inline constexpr std::string_view schema = "pgkit_demo";

// Where the demo's output goes: a heading per part, then indented lines.
inline void heading(std::string_view title) { fmt::print("\n== {}\n", title); }
template <class... Args>
void say(fmt::format_string<Args...> format, Args&&... args) {
  fmt::print("   {}\n", fmt::format(format, std::forward<Args>(args)...));
}

// Deadlines of the demo's own connections (the pool's are shorter): generous for the bulk part on a
// slow machine, short enough that a frozen server ends the demo with an error.
inline constexpr std::chrono::seconds connect_timeout{5};
inline constexpr std::chrono::milliseconds query_timeout{30'000};

// A connection to the target database with search_path set to the demo schema.
Connection connect(const std::string& conninfo);

// The parts, in the order they run.
void connecting(Connection& conn);
void products_crud(Connection& conn);
void safe_queries(Connection& conn);
void json_metadata(Connection& conn);
void errors_by_sqlstate(Connection& conn);
void bulk_loading(Connection& conn);
void migrations(Connection& conn);
void orm_models(Connection& conn);
}  // namespace pgkit::cli::demo

namespace pgkit::cli {
struct TargetDatabase;
}

namespace pgkit::cli::demo {
void pooled_workers(TargetDatabase& target);

}  // namespace pgkit::cli::demo
