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

// Optimistic concurrency.
struct Doc {
  std::int64_t id = 0;
  std::string body;
  std::int32_t version = 0;
};
BOOST_DESCRIBE_STRUCT(Doc, (), (id, body, version))

// A composite natural key, and a named unique group for upserts.
struct Membership {
  std::int32_t group_id = 0;
  std::int32_t member_id = 0;
  std::string role;
  std::int32_t seat = 0;
};
BOOST_DESCRIBE_STRUCT(Membership, (), (group_id, member_id, role, seat))

// A non-unique ordering column with ties, for keyset pages.
struct Score {
  std::int64_t id = 0;
  std::string player;
  std::int32_t points = 0;
};
BOOST_DESCRIBE_STRUCT(Score, (), (id, player, points))

// Names that would break SQL if they were pasted: quotes, spaces, semicolons, a comment.
struct Hostile {
  pgkit::Uuid id;
  std::string quote;
  std::optional<std::string> space;
  std::int32_t semi = 0;
};
BOOST_DESCRIBE_STRUCT(Hostile, (), (id, quote, space, semi))

// Every non-key column in a unique index: an upsert on it has nothing else to set.
struct Tag {
  std::int64_t id = 0;
  std::string name;
};
BOOST_DESCRIBE_STRUCT(Tag, (), (id, name))

}  // namespace orm_test

template <>
struct pgkit::orm::Model<orm_test::Tag> {
  static void define(TableDef<orm_test::Tag>& t) {
    t.table("tags");
    t.primary_key(&orm_test::Tag::id).identity();
    t.index(&orm_test::Tag::name).unique();
  }
};

template <>
struct pgkit::orm::Model<orm_test::Doc> {
  static void define(TableDef<orm_test::Doc>& t) {
    t.table("docs");
    t.primary_key(&orm_test::Doc::id).serial();
    t.version(&orm_test::Doc::version);
  }
};

template <>
struct pgkit::orm::Model<orm_test::Membership> {
  static void define(TableDef<orm_test::Membership>& t) {
    using orm_test::Membership;
    t.table("memberships");
    t.primary_key(&Membership::group_id, &Membership::member_id);
    t.unique_named("memberships_seat_uq", &Membership::group_id, &Membership::seat);
    t.check("memberships_seat_positive", "seat >= 0");
  }
};

template <>
struct pgkit::orm::Model<orm_test::Score> {
  static void define(TableDef<orm_test::Score>& t) {
    t.table("scores");
    t.primary_key(&orm_test::Score::id).identity();
    t.index(&orm_test::Score::points, &orm_test::Score::id);
  }
};

template <>
struct pgkit::orm::Model<orm_test::Hostile> {
  static void define(TableDef<orm_test::Hostile>& t) {
    using orm_test::Hostile;
    t.table("we\"ird; DROP TABLE users; --", "ta\"ble; --");
    t.primary_key(&Hostile::id).uuid();
    t.column(&Hostile::quote).name("quo\"te\"");
    t.column(&Hostile::space).name("sp ace").server_default("'x'");
    t.column(&Hostile::semi).name("semi;colon --");
    t.unique_named("un\"ique; --", &Hostile::quote);
    t.index(&Hostile::semi);
  }
};

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
