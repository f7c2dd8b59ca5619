// The ORM cases in hand-written pgkit SQL (impl pgkit_sql): what a careful programmer writes without
// the ORM, the yardstick the repository is held to (within 10 %).
#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/describe.hpp>

#include "cases.hpp"

#include <boost/describe/class.hpp>
#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace pgkit::bench {
namespace {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;  // timestamptz

struct PlainPost {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::string> content;
  std::optional<std::int64_t> author_id;
  std::optional<Timestamp> created_at;
};
BOOST_DESCRIBE_STRUCT(PlainPost, (), (id, title, content, author_id, created_at))

struct PlainUser {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::optional<Timestamp> created_at;
  std::vector<PlainPost> posts;  // filled by hand, not a column
};

struct UserRow {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::optional<Timestamp> created_at;
};
BOOST_DESCRIBE_STRUCT(UserRow, (), (id, username, email, created_at))

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

constexpr const char* insert_user_sql =
    "INSERT INTO bench_orm_users (username, email) VALUES ($1, $2) RETURNING id, username, email, created_at";
constexpr const char* get_user_sql = "SELECT id, username, email, created_at FROM bench_orm_users WHERE id = $1";

double orm_insert(const Workload& w) {
  std::vector<UserRow> users;
  for (long i = 0; i < w.count; ++i) users.push_back({0, fmt::format("new user {}", i), fmt::format("new{}@example.com", i), {}});
  remove_new_orm_users(w.conninfo);
  Connection conn(w.conninfo);
  const auto start = Clock::now();
  for (auto& user : users) user = conn.query_one<UserRow>(insert_user_sql, user.username, user.email);
  const double elapsed = seconds_since(start);
  if (users.back().id <= orm_fixture_users || !users.back().created_at) throw std::runtime_error("not returned as stored");
  remove_new_orm_users(w.conninfo);
  return elapsed;
}

double orm_get(const Workload& w) {
  Connection conn(w.conninfo);
  std::size_t total = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) {
    const auto user = conn.query_optional<UserRow>(get_user_sql, static_cast<std::int64_t>(i % orm_fixture_users + 1));
    if (user) total += user->username.size();
  }
  const double elapsed = seconds_since(start);
  if (total == 0) throw std::runtime_error("no user found");
  return elapsed;
}

// Users with their posts in two statements: the users, then every post of theirs at once.
double orm_load_related(const Workload& w) {
  Connection conn(w.conninfo);
  const auto start = Clock::now();
  std::vector<PlainUser> users;
  for (auto& row : conn.query<UserRow>("SELECT id, username, email, created_at FROM bench_orm_users WHERE id <= $1 "
                                       "ORDER BY id",
                                       static_cast<std::int64_t>(w.count))) {
    users.push_back({row.id, std::move(row.username), std::move(row.email), row.created_at, {}});
  }
  std::vector<std::int64_t> ids;
  std::unordered_map<std::int64_t, PlainUser*> by_id;
  ids.reserve(users.size());
  for (auto& user : users) {
    ids.push_back(user.id);
    by_id.emplace(user.id, &user);
  }
  for (auto& post : conn.query<PlainPost>("SELECT id, title, content, author_id, created_at FROM bench_orm_posts "
                                          "WHERE author_id = ANY($1) ORDER BY id",
                                          ids)) {
    by_id.at(*post.author_id)->posts.push_back(std::move(post));
  }
  const double elapsed = seconds_since(start);
  std::size_t posts = 0;
  for (const auto& user : users) posts += user.posts.size();
  if (static_cast<long>(users.size()) != w.count || static_cast<long>(posts) != w.count * orm_posts_per_user) {
    throw std::runtime_error("wrong users or posts");
  }
  return elapsed;
}

}  // namespace

void register_orm_sql(Registry& registry) {
  auto& cases = registry["pgkit_sql"];
  cases["orm_insert"] = orm_insert;
  cases["orm_get"] = orm_get;
  cases["orm_load_related"] = orm_load_related;
}

}  // namespace pgkit::bench
