// Models shared by the ORM's tests: the seed's User and Post, and a few with composite keys, versions
// and hostile names.
#pragma once

#include <pgkit/datetime.hpp>
#include <pgkit/orm.hpp>
#include <pgkit/uuid.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace orm_test {

struct Post;

struct User {
  std::int64_t id = 0;
  std::string username;
  std::string email;
  std::optional<std::chrono::sys_time<std::chrono::microseconds>> created_at;
  pgkit::orm::HasMany<Post> posts;
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

}  // namespace orm_test

template <>
struct pgkit::orm::Model<orm_test::User> {
  static void define(TableDef<orm_test::User>& t) {
    using orm_test::User;
    t.table("users");
    t.primary_key(&User::id).identity();
    t.unique(&User::username);
    t.unique(&User::email);
    t.column(&User::created_at).server_default("now()");
    t.has_many(&User::posts, &orm_test::Post::author_id);
  }
};

template <>
struct pgkit::orm::Model<orm_test::Post> {
  static void define(TableDef<orm_test::Post>& t) {
    using orm_test::Post;
    t.table("posts");
    t.primary_key(&Post::id).identity();
    t.column(&Post::title).type("varchar(200)");
    t.column(&Post::created_at).server_default("now()");
    t.foreign_key(&Post::author_id, &orm_test::User::id).on_delete(OnDelete::cascade);
    t.index(&Post::author_id);
    t.belongs_to(&Post::author, &Post::author_id);
  }
};
