// The ORM cases through pgkit::orm (impl pgkit): the seed's User and Post as models, a Repository, and
// orm::load for the users' posts. orm_sql_cases.cpp does the same by hand.
#include <pgkit/connection.hpp>
#include <pgkit/orm.hpp>

#include "cases.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pgkit::bench {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;  // timestamptz

struct OrmPost {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::string> content;
  std::optional<std::int64_t> author_id;
  std::optional<Timestamp> created_at;
};
BOOST_DESCRIBE_STRUCT(OrmPost, (), (id, title, content, author_id, created_at))

struct OrmUser {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::optional<Timestamp> created_at;
  orm::HasMany<OrmPost> posts;
};
BOOST_DESCRIBE_STRUCT(OrmUser, (), (id, username, email, created_at, posts))

}  // namespace pgkit::bench

template <>
struct pgkit::orm::Model<pgkit::bench::OrmUser> {
  static void define(TableDef<pgkit::bench::OrmUser>& t) {
    using pgkit::bench::OrmUser;
    t.table("bench_orm_users");
    t.primary_key(&OrmUser::id).identity();
    t.column(&OrmUser::username).type("varchar(50)");
    t.column(&OrmUser::email).type("varchar(100)");
    t.unique(&OrmUser::username);
    t.unique(&OrmUser::email);
    t.column(&OrmUser::created_at).server_default("now()");
    t.has_many(&OrmUser::posts, &pgkit::bench::OrmPost::author_id);
  }
};

template <>
struct pgkit::orm::Model<pgkit::bench::OrmPost> {
  static void define(TableDef<pgkit::bench::OrmPost>& t) {
    using pgkit::bench::OrmPost;
    t.table("bench_orm_posts");
    t.primary_key(&OrmPost::id).identity();
    t.column(&OrmPost::title).type("varchar(200)");
    t.column(&OrmPost::created_at).server_default("now()");
    t.foreign_key(&OrmPost::author_id, &pgkit::bench::OrmUser::id);
    t.index(&OrmPost::author_id);
  }
};

namespace pgkit::bench {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double orm_insert(const Workload& w) {
  std::vector<OrmUser> users(static_cast<std::size_t>(w.count));
  for (long i = 0; i < w.count; ++i) {
    users[static_cast<std::size_t>(i)].username = fmt::format("new user {}", i);
    users[static_cast<std::size_t>(i)].email = fmt::format("new{}@example.com", i);
  }
  remove_new_orm_users(w.conninfo);
  Connection conn(w.conninfo);
  orm::Repository<OrmUser> repo(conn);
  const auto start = Clock::now();
  for (auto& user : users) user = repo.insert(user);
  const double elapsed = seconds_since(start);
  if (users.back().id <= orm_fixture_users || !users.back().created_at) throw std::runtime_error("not returned as stored");
  remove_new_orm_users(w.conninfo);
  return elapsed;
}

double orm_get(const Workload& w) {
  Connection conn(w.conninfo);
  orm::Repository<OrmUser> repo(conn);
  std::size_t total = 0;
  const auto start = Clock::now();
  for (long i = 0; i < w.count; ++i) {
    const auto user = repo.get(static_cast<std::int64_t>(i % orm_fixture_users + 1));
    if (user) total += user->username.size();
  }
  const double elapsed = seconds_since(start);
  if (total == 0) throw std::runtime_error("no user found");
  return elapsed;
}

double orm_load_related(const Workload& w) {
  Connection conn(w.conninfo);
  orm::Repository<OrmUser> repo(conn);
  const auto start = Clock::now();
  auto users = repo.find_by(orm::col(&OrmUser::id) <= static_cast<std::int64_t>(w.count),
                            orm::Query<OrmUser>().order_by(&OrmUser::id));
  orm::load(conn, users, &OrmUser::posts);
  const double elapsed = seconds_since(start);
  std::size_t posts = 0;
  for (const auto& user : users) posts += user.posts.size();
  if (static_cast<long>(users.size()) != w.count || static_cast<long>(posts) != w.count * orm_posts_per_user) {
    throw std::runtime_error("wrong users or posts");
  }
  return elapsed;
}

}  // namespace

void register_orm_repository(Registry& registry) {
  auto& cases = registry["pgkit"];
  cases["orm_insert"] = orm_insert;
  cases["orm_get"] = orm_get;
  cases["orm_load_related"] = orm_load_related;
}

}  // namespace pgkit::bench
