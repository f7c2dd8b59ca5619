// The seed's SQLAlchemy part in pgkit::orm: User and Post models, tables created from them,
// repositories (a UserRepository with get_by_username / get_by_email), typed filters, an update, a
// delete, and a unique violation told apart. Relations are loaded explicitly (never lazily): reading
// user.posts without loading it throws NotLoaded.
#include "example_database.hpp"

#include <pgkit/orm.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct Post;

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::optional<std::chrono::sys_time<std::chrono::microseconds>> created_at;  // the server's now()
  pgkit::orm::HasMany<Post> posts;                                             // a relation, not a column
};
BOOST_DESCRIBE_STRUCT(User, (), (id, username, email, created_at, posts))

struct Post {
  std::int64_t id = 0;
  std::string title;
  std::optional<std::string> content;
  std::int64_t author_id = 0;
  std::optional<std::chrono::sys_time<std::chrono::microseconds>> created_at;
  pgkit::orm::BelongsTo<User> author;
};
BOOST_DESCRIBE_STRUCT(Post, (), (id, title, content, author_id, created_at, author))

template <>
struct pgkit::orm::Model<User> {
  static void define(TableDef<User>& t) {
    t.table("users");
    t.primary_key(&User::id).identity();
    t.unique(&User::username);
    t.unique(&User::email);
    t.column(&User::created_at).server_default("now()");
    t.has_many(&User::posts, &Post::author_id);
  }
};

template <>
struct pgkit::orm::Model<Post> {
  static void define(TableDef<Post>& t) {
    t.table("posts");
    t.primary_key(&Post::id).identity();
    t.column(&Post::title).type("varchar(200)");
    t.column(&Post::created_at).server_default("now()");
    t.foreign_key(&Post::author_id, &User::id).on_delete(OnDelete::cascade);
    t.index(&Post::author_id);
    t.belongs_to(&Post::author, &Post::author_id);
  }
};

// The seed's UserRepository: the generic repository plus two lookups.
class UserRepository : public pgkit::orm::Repository<User> {
 public:
  using Repository::Repository;
  std::optional<User> get_by_username(const std::string& username) {
    return find_one_by(pgkit::orm::col(&User::username) == username);
  }
  std::optional<User> get_by_email(const std::string& email) {
    return find_one_by(pgkit::orm::col(&User::email) == email);
  }
};

int main() {
  namespace orm = pgkit::orm;
  using orm::col;
  ExampleDatabase database;
  pgkit::Connection conn(database.conninfo());

  fmt::print("{}\n", orm::sql_for_create<User, Post>());  // what create_all runs (for a migration file)
  orm::create_all<User, Post>(conn);

  UserRepository users(conn);
  orm::Repository<Post> posts(conn);
  const User ann = users.insert({.username = "ann", .email = "ann@example.com"});
  const User bob = users.insert({.username = "bob", .email = "bob@example.com"});
  fmt::print("inserted {} (id {}) and {} (id {})\n", ann.username, ann.id, bob.username, bob.id);

  std::vector<Post> drafts;
  for (int i = 1; i <= 3; ++i) drafts.push_back({.title = fmt::format("Post {}", i), .author_id = ann.id});
  drafts.push_back({.title = "Hello", .content = "from bob", .author_id = bob.id});
  posts.insert_many(drafts);  // keys reserved and written back into `drafts`

  const auto anns = posts.find_by(col(&Post::author_id) == ann.id && col(&Post::title).like("Post %"),
                                  orm::Query<Post>().order_by(&Post::id, orm::desc).limit(2));
  for (const auto& post : anns) fmt::print("ann's post {}: {}\n", post.id, post.title);
  fmt::print("posts without content: {}\n", posts.count(col(&Post::content).is_null()));

  try {
    (void)anns.front().author->username;  // never a hidden query
  } catch (const orm::NotLoaded& e) {
    fmt::print("not loaded: {}\n", e.relation());
  }

  if (auto found = users.get_by_email("bob@example.com")) fmt::print("found by email: {}\n", found->username);
  const auto renamed = users.update(bob.id, orm::set(&User::email, "robert@example.com"));
  fmt::print("bob's email now {}\n", renamed ? renamed->email : "(no such user)");
  fmt::print("removed post {}: {}\n", drafts.back().id, posts.remove(drafts.back().id));
  fmt::print("removing it again: {}\n", posts.remove(drafts.back().id));

  try {
    users.insert({.username = "ann", .email = "other@example.com"});
  } catch (const pgkit::UniqueViolation& e) {
    fmt::print("unique violation on {}: {}\n", e.diagnostics().constraint_name, e.what());
  }
  orm::drop_all<User, Post>(conn);
  return 0;
}
