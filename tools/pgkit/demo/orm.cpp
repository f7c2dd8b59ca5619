// The seed's fifth part: SQLAlchemy's User and Post, its session walk of user.posts, and its
// BaseRepository / UserRepository, done with pgkit::orm (relations loaded in one batched query).
#include <pgkit/orm.hpp>

#include "demo.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pgkit::cli::demo {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;  // timestamptz

struct DemoPost;

struct DemoUser {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::optional<Timestamp> created_at;
  orm::HasMany<DemoPost> posts;
};
BOOST_DESCRIBE_STRUCT(DemoUser, (), (id, username, email, created_at, posts))

struct DemoPost {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::string> content;
  std::int64_t author_id = 0;
  std::optional<Timestamp> created_at;
  orm::BelongsTo<DemoUser> author;
};
BOOST_DESCRIBE_STRUCT(DemoPost, (), (id, title, content, author_id, created_at, author))

}  // namespace pgkit::cli::demo

template <>
struct pgkit::orm::Model<pgkit::cli::demo::DemoUser> {
  static void define(TableDef<pgkit::cli::demo::DemoUser>& t) {
    using pgkit::cli::demo::DemoUser;
    t.table("users");  // in the demo's schema (search_path)
    t.primary_key(&DemoUser::id).identity();
    t.column(&DemoUser::username).type("varchar(50)");
    t.column(&DemoUser::email).type("varchar(100)");
    t.unique(&DemoUser::username);
    t.unique(&DemoUser::email);
    t.column(&DemoUser::created_at).server_default("now()");
    t.has_many(&DemoUser::posts, &pgkit::cli::demo::DemoPost::author_id);
  }
};

template <>
struct pgkit::orm::Model<pgkit::cli::demo::DemoPost> {
  static void define(TableDef<pgkit::cli::demo::DemoPost>& t) {
    using pgkit::cli::demo::DemoPost;
    t.table("posts");
    t.primary_key(&DemoPost::id).identity();
    t.column(&DemoPost::title).type("varchar(200)");
    t.column(&DemoPost::created_at).server_default("now()");
    t.foreign_key(&DemoPost::author_id, &pgkit::cli::demo::DemoUser::id).on_delete(orm::OnDelete::cascade);
    t.index(&DemoPost::author_id);
    t.belongs_to(&DemoPost::author, &DemoPost::author_id);
  }
};

namespace pgkit::cli::demo {
namespace {

// The seed's UserRepository: the generic repository plus two lookups, in a few lines.
class UserRepository : public orm::Repository<DemoUser> {
 public:
  using Repository::Repository;
  std::optional<DemoUser> get_by_username(const std::string& username) {
    return find_one_by(orm::col(&DemoUser::username) == username);
  }
  std::optional<DemoUser> get_by_email(const std::string& email) { return find_one_by(orm::col(&DemoUser::email) == email); }
};

DemoUser new_user(std::string username, std::string email) {
  DemoUser user;
  user.username = std::move(username);
  user.email = std::move(email);
  return user;
}

DemoPost new_post(std::int64_t author, std::string title, std::string content) {
  DemoPost post;
  post.author_id = author;
  post.title = std::move(title);
  post.content = std::move(content);
  return post;
}

}  // namespace

void orm_models(Connection& conn) {
  heading("ORM: models, repositories, relations without N+1");
  // The JSON part left a users table of its own: check_schema tells how it differs from the model.
  for (const auto& finding : orm::check_schema<DemoUser, DemoPost>(conn)) say("check_schema: {}", finding.message());
  orm::drop_all<DemoUser, DemoPost>(conn);
  orm::create_all<DemoUser, DemoPost>(conn);
  say("dropped it and created users and posts from the models (create_all, foreign keys in order)");
  say("check_schema now: {} finding(s)", orm::check_schema<DemoUser, DemoPost>(conn).size());

  UserRepository users(conn);
  orm::Repository<DemoPost> posts(conn);
  const DemoUser john = users.insert(new_user("john_doe", "john@example.com"));
  const DemoUser jane = users.insert(new_user("jane_doe", "jane@example.com"));
  say("inserted {} (id {}) and {} (id {}); created_at came back from the server", john.username, john.id,
      jane.username, jane.id);
  posts.insert(new_post(john.id, "My First Post", "Hello World!"));
  posts.insert(new_post(john.id, "Second thoughts", "More words"));
  posts.insert(new_post(jane.id, "Jane writes", "Hi"));

  auto found = users.find_by(orm::col(&DemoUser::username).like("%_doe"), orm::Query<DemoUser>().order_by(&DemoUser::id));
  const auto before = conn.statements_sent();
  orm::load(conn, found, &DemoUser::posts);
  say("query by filter: {} users; their posts loaded in {} statement (not one per user):", found.size(),
      conn.statements_sent() - before);
  for (const auto& user : found) {
    say("  User: {}", user.username);
    for (const auto& post : user.posts) say("    Post: {}", post.title);
  }
  try {
    auto lone = users.get(john.id);
    (void)lone->posts.size();
  } catch (const orm::NotLoaded& e) {
    say("reading posts that were not loaded: NotLoaded ({})", e.relation());
  }

  if (auto by_name = users.get_by_username("jane_doe")) say("UserRepository.get_by_username: {}", by_name->email);
  if (auto by_mail = users.get_by_email("john@example.com")) say("UserRepository.get_by_email: {}", by_mail->username);
  users.update(jane.id, orm::set(&DemoUser::email, std::string("jane@new.example.com")));
  say("update(id, email): now {}", users.get(jane.id)->email);
  try {
    users.insert(new_user("john_doe", "another@example.com"));
  } catch (const UniqueViolation& e) {
    say("a second john_doe: UniqueViolation on constraint {}, told apart from other errors",
        e.diagnostics().constraint_name);
  }
  const bool removed = users.remove(jane.id);
  say("delete(id) of jane: {}; users left: {}", removed ? "removed" : "not found", users.count());
}

}  // namespace pgkit::cli::demo
