// Repository<T> against the real server: CRUD, filters, pages, upserts, versions, errors.
#include "orm/models.hpp"

#include <pgkit/pool.hpp>
#include <pgkit/transaction.hpp>

#include <gtest/gtest.h>
#include <support/test_server.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace orm_test;
namespace orm = pgkit::orm;
using orm::col;
using pgkit::testing::DatabaseTest;

class OrmRepository : public DatabaseTest {
 protected:
  void SetUp() override {
    conn_.emplace(connect());
    orm::drop_all<User, Post, Doc, Membership, Score, Tag>(conn());
    orm::create_all<User, Post, Doc, Membership, Score, Tag>(conn());
  }
  pgkit::Connection& conn() { return *conn_; }

  User add_user(const std::string& name) {
    User user;
    user.username = name;
    user.email = name + "@example.com";
    return orm::Repository<User>(conn()).insert(user);
  }

  std::optional<pgkit::Connection> conn_;
};

// The seed's UserRepository, in a few lines.
class UserRepository : public orm::Repository<User> {
 public:
  using Repository::Repository;
  std::optional<User> get_by_username(const std::string& username) {
    return find_one_by(col(&User::username) == username);
  }
  std::optional<User> get_by_email(const std::string& email) { return find_one_by(col(&User::email) == email); }
};

TEST_F(OrmRepository, InsertReturnsTheStoredRowWithKeyAndServerDefault) {
  orm::Repository<User> users(conn());
  User ann;
  ann.username = "ann";
  ann.email = "ann@example.com";
  const User stored = users.insert(ann);
  EXPECT_GT(stored.id, 0);
  EXPECT_EQ(stored.username, "ann");
  ASSERT_TRUE(stored.created_at.has_value());  // now(), filled by the server
  const User second = users.insert(User{.id = 0, .username = "bob", .email = "bob@example.com"});
  EXPECT_EQ(second.id, stored.id + 1);
  // An explicit value for a server-default column is sent.
  User dated = ann;
  dated.username = "dated";
  dated.email = "dated@example.com";
  dated.created_at = std::chrono::sys_time<std::chrono::microseconds>(std::chrono::microseconds(86'400'000'000));
  EXPECT_EQ(users.insert(dated).created_at, dated.created_at);
}

TEST_F(OrmRepository, GetFindsByKeyAndReportsNotFoundAsNullopt) {
  const User ann = add_user("ann");
  orm::Repository<User> users(conn());
  const auto found = users.get(ann.id);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->email, "ann@example.com");
  EXPECT_EQ(found->created_at, ann.created_at);
  EXPECT_FALSE(users.get(ann.id + 1000).has_value());
  // A relation of a row read by the repository names itself when not loaded.
  try {
    (void)found->posts.size();
    FAIL() << "no NotLoaded";
  } catch (const orm::NotLoaded& e) {
    EXPECT_EQ(e.relation(), "orm_test::User::posts");
  }
  EXPECT_THROW((void)users.get(ann.id, 2), pgkit::InterfaceError);  // two values for a one-column key
}

TEST_F(OrmRepository, GetAllPagesByOffsetInKeyOrder) {
  for (const char* name : {"a", "b", "c", "d", "e"}) add_user(name);
  orm::Repository<User> users(conn());
  const auto all = users.get_all();
  ASSERT_EQ(all.size(), 5U);
  EXPECT_TRUE(std::ranges::is_sorted(all, {}, &User::id));
  const auto page = users.get_all(1, 2);
  ASSERT_EQ(page.size(), 2U);
  EXPECT_EQ(page[0].username, "b");
  EXPECT_EQ(page[1].username, "c");
  const auto after = users.get_after(all[2].id, 10);
  ASSERT_EQ(after.size(), 2U);
  EXPECT_EQ(after[0].username, "d");
}

TEST_F(OrmRepository, TypedFiltersOrderAndLimit) {
  orm::Repository<Post> posts(conn());
  const User ann = add_user("ann");
  const User bob = add_user("bob");
  for (int i = 0; i < 6; ++i) {
    Post post;
    post.title = "post " + std::to_string(i);
    post.author_id = i % 2 == 0 ? ann.id : bob.id;
    if (i < 3) post.content = "body " + std::to_string(i);
    posts.insert(post);
  }
  const auto titles = [](const std::vector<Post>& rows) {
    std::vector<std::string> out;
    for (const auto& r : rows) out.push_back(r.title);
    return out;
  };
  using V = std::vector<std::string>;
  const auto by_title = orm::Query<Post>().order_by(&Post::title);
  EXPECT_EQ(titles(posts.find_by(col(&Post::author_id) == ann.id, by_title)), (V{"post 0", "post 2", "post 4"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::author_id) != ann.id, by_title)), (V{"post 1", "post 3", "post 5"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::title) < "post 2", by_title)), (V{"post 0", "post 1"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::title) <= "post 1", by_title)), (V{"post 0", "post 1"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::title) > "post 4", by_title)), (V{"post 5"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::title) >= "post 4", by_title)), (V{"post 4", "post 5"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::title).in({"post 1", "post 5", "none"}), by_title)),
            (V{"post 1", "post 5"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::content).is_null(), by_title)), (V{"post 3", "post 4", "post 5"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::content).is_not_null(), by_title)), (V{"post 0", "post 1", "post 2"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::content).like("%1"), by_title)), (V{"post 1"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::content).ilike("BODY 2"), by_title)), (V{"post 2"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::title).between("post 2", "post 3"), by_title)), (V{"post 2", "post 3"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::author_id) == ann.id && col(&Post::content).is_null(), by_title)),
            (V{"post 4"}));
  EXPECT_EQ(titles(posts.find_by(col(&Post::title) == "post 1" || col(&Post::title) == "post 4", by_title)),
            (V{"post 1", "post 4"}));
  EXPECT_EQ(titles(posts.find_by(!(col(&Post::author_id) == ann.id) && !col(&Post::content).is_null(), by_title)),
            (V{"post 1"}));
  EXPECT_EQ(titles(posts.find_by({}, orm::Query<Post>().order_by(&Post::title, orm::desc).limit(2))),
            (V{"post 5", "post 4"}));
  EXPECT_EQ(titles(posts.find_by({}, orm::Query<Post>().order_by(&Post::title).limit(2).offset(3))),
            (V{"post 3", "post 4"}));
  EXPECT_EQ(posts.count(), 6);
  EXPECT_EQ(posts.count(col(&Post::author_id) == bob.id), 3);
  EXPECT_TRUE(posts.exists(col(&Post::title) == "post 3"));
  EXPECT_FALSE(posts.exists(col(&Post::title) == "post 9"));
  // A value that looks like SQL stays a value.
  EXPECT_TRUE(posts.find_by(col(&Post::title) == "x' OR '1'='1").empty());
  EXPECT_EQ(posts.remove_where(col(&Post::author_id) == bob.id), 3);
  EXPECT_EQ(posts.count(), 3);
  // An empty filter matches every row: refused, naming the model; remove_all says it on purpose.
  try {
    (void)posts.remove_where({});
    FAIL() << "no InterfaceError";
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_NE(std::string(e.what()).find("Post: remove_where with an empty filter"), std::string::npos) << e.what();
  }
  EXPECT_EQ(posts.count(), 3);
  EXPECT_EQ(posts.remove_all(), 3);
  EXPECT_EQ(posts.count(), 0);
}

TEST_F(OrmRepository, FindOneByAndTheCustomRepository) {
  add_user("ann");
  add_user("bob");
  UserRepository users(conn());
  ASSERT_TRUE(users.get_by_username("bob").has_value());
  EXPECT_EQ(users.get_by_username("bob")->email, "bob@example.com");
  EXPECT_EQ(users.get_by_email("ann@example.com")->username, "ann");
  EXPECT_FALSE(users.get_by_email("nobody@example.com").has_value());
  EXPECT_THROW((void)users.find_one_by(col(&User::id) > 0), pgkit::UnexpectedRowCount);
}

TEST_F(OrmRepository, UpdateWholeObjectAndSomeColumns) {
  User ann = add_user("ann");
  orm::Repository<User> users(conn());
  ann.email = "ann@example.org";
  const User updated = users.update(ann);
  EXPECT_EQ(updated.email, "ann@example.org");
  EXPECT_EQ(users.get(ann.id)->email, "ann@example.org");

  const auto changed = users.update(ann.id, orm::set(&User::email, "a@b.c"), orm::set(&User::created_at, std::nullopt));
  ASSERT_TRUE(changed.has_value());
  EXPECT_EQ(changed->email, "a@b.c");
  EXPECT_FALSE(changed->created_at.has_value());
  EXPECT_EQ(changed->username, "ann");                                               // untouched
  EXPECT_FALSE(users.update(ann.id + 99, orm::set(&User::email, "x")).has_value());  // not found
  User ghost = ann;
  ghost.id += 99;
  EXPECT_THROW((void)users.update(ghost), orm::NotFound);
  EXPECT_THROW((void)users.update(ann.id, orm::set(&User::id, std::int64_t{5})), pgkit::InterfaceError);
}

// Arguments that cannot mean anything are refused before any statement, naming model and argument.
TEST_F(OrmRepository, NegativeCountsAndRepeatedChangesAreRefused) {
  const User ann = add_user("ann");
  orm::Repository<User> users(conn());
  const auto refused = [](const auto& call, const std::string& expected) {
    try {
      call();
      ADD_FAILURE() << "no InterfaceError for " << expected;
    } catch (const pgkit::InterfaceError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refused([&] { (void)users.get_all(-1, 10); }, "User: get_all's offset must be >= 0, got -1");
  refused([&] { (void)users.get_all(0, -5); }, "User: get_all's limit must be >= 0, got -5");
  refused([&] { (void)users.get_after(ann.id, -1); }, "User: get_after's limit must be >= 0, got -1");
  refused([&] { (void)orm::Query<User>().limit(-1); }, "User: Query::limit must be >= 0, got -1");
  refused([&] { (void)orm::Query<User>().offset(-2); }, "User: Query::offset must be >= 0, got -2");
  refused([&] { (void)users.page_after(orm::Query<User>().order_by(&User::username).limit(0), nullptr); },
          "User: page_after's page size (Query::limit) must be > 0, got 0");
  refused([&] { (void)users.update(ann.id, orm::set(&User::email, "a@x"), orm::set(&User::email, "b@x")); },
          "User::email: update(key, ...) sets this member more than once");
  EXPECT_EQ(users.get(ann.id)->email, "ann@example.com");
  EXPECT_EQ(users.get_all(0, 0).size(), 0U);  // zero is a valid limit
}

TEST_F(OrmRepository, RemoveReportsWhetherARowWasThere) {
  const User ann = add_user("ann");
  orm::Repository<User> users(conn());
  EXPECT_TRUE(users.remove(ann.id));
  EXPECT_FALSE(users.remove(ann.id));
  EXPECT_FALSE(users.get(ann.id).has_value());
}

TEST_F(OrmRepository, StaleUpdateRaisesAndChangesNothing) {
  orm::Repository<Doc> docs(conn());
  const Doc created = docs.insert(Doc{.id = 0, .body = "v1", .version = 1});
  Doc mine = created;
  Doc theirs = created;
  theirs.body = "theirs";
  const Doc stored = docs.update(theirs);
  EXPECT_EQ(stored.version, 2);  // incremented by the update
  mine.body = "mine";
  EXPECT_THROW((void)docs.update(mine), orm::StaleObject);
  EXPECT_EQ(docs.get(created.id)->body, "theirs");
  EXPECT_EQ(docs.get(created.id)->version, 2);
  // Fresh again: it goes through.
  mine = *docs.get(created.id);
  mine.body = "mine";
  EXPECT_EQ(docs.update(mine).version, 3);
  // A partial update moves the version on too.
  EXPECT_EQ(docs.update(created.id, orm::set(&Doc::body, "partial"))->version, 4);
}

TEST_F(OrmRepository, CompositeKeys) {
  orm::Repository<Membership> members(conn());
  members.insert({.group_id = 1, .member_id = 10, .role = "owner", .seat = 1});
  members.insert({.group_id = 1, .member_id = 11, .role = "guest", .seat = 2});
  members.insert({.group_id = 2, .member_id = 10, .role = "guest", .seat = 1});
  EXPECT_EQ(members.get(1, 11)->role, "guest");
  EXPECT_EQ(members.get(std::tuple(2, 10))->role, "guest");
  EXPECT_FALSE(members.get(2, 11).has_value());
  EXPECT_THROW((void)members.get(1), pgkit::InterfaceError);
  const auto after = members.get_after(std::tuple(1, 10), 10);
  ASSERT_EQ(after.size(), 2U);
  EXPECT_EQ(after[0].member_id, 11);
  EXPECT_EQ(after[1].group_id, 2);
  Membership m = *members.get(1, 10);
  m.role = "admin";
  EXPECT_EQ(members.update(m).role, "admin");
  EXPECT_EQ(members.update(std::tuple(1, 11), orm::set(&Membership::role, "member"))->role, "member");
  EXPECT_TRUE(members.remove(2, 10));
  EXPECT_FALSE(members.remove(std::tuple(2, 10)));
  EXPECT_EQ(members.count(), 2);
}

TEST_F(OrmRepository, UpsertUpdatesOrDoesNothingOnKeyOrNamedGroup) {
  orm::Repository<Membership> members(conn());
  members.insert({.group_id = 1, .member_id = 10, .role = "owner", .seat = 1});
  // On the primary key: update.
  auto row = members.upsert({.group_id = 1, .member_id = 10, .role = "admin", .seat = 1});
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->role, "admin");
  // On the primary key: do nothing.
  EXPECT_FALSE(members.upsert({.group_id = 1, .member_id = 10, .role = "x", .seat = 1}, orm::on_conflict_do_nothing()));
  EXPECT_EQ(members.get(1, 10)->role, "admin");
  // No conflict: inserted either way.
  EXPECT_TRUE(
      members.upsert({.group_id = 1, .member_id = 12, .role = "new", .seat = 3}, orm::on_conflict_do_nothing()));
  // On the named group (group_id, seat): the conflicting row is updated, its key kept.
  row = members.upsert({.group_id = 1, .member_id = 99, .role = "by seat", .seat = 3},
                       orm::on_conflict_update("memberships_seat_uq"));
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->member_id, 12);  // the existing row: keys are never rewritten by an upsert
  EXPECT_EQ(row->role, "by seat");
  EXPECT_EQ(members.count(), 2);
  EXPECT_FALSE(members.upsert({.group_id = 1, .member_id = 5, .role = "z", .seat = 1},
                              orm::on_conflict_do_nothing("memberships_seat_uq")));
  EXPECT_THROW((void)members.upsert(Membership{}, orm::on_conflict_update("no_such_group")), pgkit::InterfaceError);

  // A generated key: upsert on it keeps the key it was given.
  orm::Repository<Doc> docs(conn());
  const Doc doc = docs.insert({.id = 0, .body = "a", .version = 1});
  auto updated = docs.upsert({.id = doc.id, .body = "b", .version = 1});
  ASSERT_TRUE(updated.has_value());
  EXPECT_EQ(updated->id, doc.id);
  EXPECT_EQ(updated->body, "b");
  EXPECT_EQ(updated->version, 2);
}

// A new object's generated key (id 0) is left to the server, on the key and on a unique group; an
// existing key or group value updates its row.
TEST_F(OrmRepository, UpsertOfANewObjectLeavesTheGeneratedKeyToTheServer) {
  orm::Repository<User> users(conn());
  const auto first = users.upsert(User{.username = "ann", .email = "ann@example.com"});
  const auto second = users.upsert(User{.username = "bob", .email = "bob@example.com"});
  ASSERT_TRUE(first && second);
  EXPECT_GT(first->id, 0);
  EXPECT_NE(first->id, second->id);
  EXPECT_EQ(users.count(), 2);  // the second did not overwrite the first
  // Update path on the key.
  const auto renamed = users.upsert(User{.id = first->id, .username = "ann2", .email = "ann@example.com"});
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->id, first->id);
  EXPECT_EQ(users.get(first->id)->username, "ann2");
  EXPECT_EQ(users.count(), 2);
}

// upsert_on names the group by its members: ON CONFLICT (<columns>), so a unique index serves too.
TEST_F(OrmRepository, UpsertOnAGroupOfMembersInsertsOrUpdates) {
  orm::Repository<User> users(conn());
  const auto cat = users.upsert_on(User{.username = "cat", .email = "cat@example.com"}, &User::username);
  ASSERT_TRUE(cat);
  EXPECT_GT(cat->id, 0);
  const auto cat2 = users.upsert_on(User{.username = "cat", .email = "cat@example.org"}, &User::username);
  ASSERT_TRUE(cat2);
  EXPECT_EQ(cat2->id, cat->id);  // the existing row, its key kept
  EXPECT_EQ(cat2->email, "cat@example.org");
  const auto dog = users.upsert_on(User{.username = "dog", .email = "dog@example.com"}, &User::username);
  ASSERT_TRUE(dog);
  EXPECT_NE(dog->id, cat->id);
  EXPECT_EQ(users.count(), 2);
  try {
    (void)users.upsert_on(User{.username = "x", .email = "x@example.com"}, &User::username, &User::email);
    FAIL() << "no InterfaceError";
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_NE(std::string(e.what()).find("User: (username, email)"), std::string::npos) << e.what();
  }
}

// With nothing left to set, the conflicting row still comes back (DO UPDATE, not DO NOTHING).
TEST_F(OrmRepository, UpsertWithNothingToSetReturnsTheExistingRow) {
  orm::Repository<Tag> tags(conn());
  const auto first = tags.upsert_on(Tag{.name = "red"}, &Tag::name);
  ASSERT_TRUE(first);
  const auto again = tags.upsert_on(Tag{.name = "red"}, &Tag::name);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(tags.count(), 1);
}

TEST_F(OrmRepository, UniqueViolationNamesTheConstraintAndMember) {
  add_user("ann");
  orm::Repository<User> users(conn());
  try {
    users.insert(User{.id = 0, .username = "other", .email = "ann@example.com"});
    FAIL() << "no UniqueViolation";
  } catch (const pgkit::UniqueViolation& e) {
    EXPECT_EQ(e.diagnostics().constraint_name, "users_email_key");
    EXPECT_NE(std::string(e.what()).find("orm_test::User::email (column \"email\")"), std::string::npos) << e.what();
  }
  User bob = add_user("bob");
  bob.username = "ann";
  EXPECT_THROW((void)users.update(bob), pgkit::UniqueViolation);
}

TEST_F(OrmRepository, KeysetPagesOverTiesNeitherSkipNorRepeat) {
  orm::Repository<Score> scores(conn());
  std::vector<Score> rows;
  // 23 rows over 4 distinct point values: many ties.
  for (int i = 0; i < 23; ++i) rows.push_back({.id = 0, .player = "p" + std::to_string(i), .points = (i * 7) % 4});
  scores.insert_many(rows);
  for (const auto direction : {orm::asc, orm::desc}) {
    const auto query = orm::Query<Score>().order_by(&Score::points, direction).limit(5);
    std::vector<Score> seen;
    std::optional<Score> last;
    for (;;) {
      const auto page = scores.page_after(query, last ? &*last : nullptr);
      if (page.empty()) break;
      EXPECT_LE(page.size(), 5U);
      seen.insert(seen.end(), page.begin(), page.end());
      last = page.back();
    }
    ASSERT_EQ(seen.size(), 23U);
    std::set<std::int64_t> ids;
    for (const auto& s : seen) ids.insert(s.id);
    EXPECT_EQ(ids.size(), 23U);  // no repeats
    for (std::size_t i = 1; i < seen.size(); ++i) {
      const auto before = std::tuple(seen[i - 1].points, seen[i - 1].id);
      const auto now = std::tuple(seen[i].points, seen[i].id);
      EXPECT_TRUE(direction == orm::asc ? before < now : before > now);
    }
  }
  // With a filter too.
  const auto query = orm::Query<Score>().order_by(&Score::points).limit(100);
  EXPECT_EQ(scores.page_after(query, nullptr, col(&Score::points) == 2).size(),
            static_cast<std::size_t>(scores.count(col(&Score::points) == 2)));
}

// A nullable ordering column would make (content, id) > ($1, $2) NULL and skip rows: refused, either way.
TEST_F(OrmRepository, KeysetPagesRefuseANullableOrderingColumn) {
  const User ann = add_user("ann");
  orm::Repository<Post> posts(conn());
  posts.insert({.title = "a", .content = std::nullopt, .author_id = ann.id});
  posts.insert({.title = "b", .content = "x", .author_id = ann.id});
  for (const auto direction : {orm::asc, orm::desc}) {
    const auto query = orm::Query<Post>().order_by(&Post::content, direction).limit(1);
    try {
      (void)posts.page_after(query, nullptr);
      FAIL() << "no InterfaceError";
    } catch (const pgkit::InterfaceError& e) {
      EXPECT_NE(std::string(e.what()).find("Post::content: a keyset page cannot order by a nullable"),
                std::string::npos)
          << e.what();
    }
  }
}

// insert_many<K> returns every key in input order, pipelined and by COPY, for a temporary too.
TEST_F(OrmRepository, InsertManyOfKReturnsTheKeysInInputOrder) {
  orm::Repository<Score> scores(conn());
  for (const std::size_t n : {std::size_t{4}, std::size_t{700}}) {
    std::vector<Score> rows;
    for (std::size_t i = 0; i < n; ++i) rows.push_back({.id = 0, .player = "k", .points = static_cast<int>(i)});
    const std::vector<std::int64_t> keys = scores.insert_many<std::int64_t>(rows);
    ASSERT_EQ(keys.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(keys[i], rows[i].id) << i;
      EXPECT_EQ(scores.get(keys[i])->points, static_cast<int>(i)) << i;
    }
  }
  orm::Repository<User> users(conn());
  const auto ids = users.insert_many<std::int64_t>(
      std::vector<User>{User{.username = "t1", .email = "t1@e"}, User{.username = "t2", .email = "t2@e"}});
  ASSERT_EQ(ids.size(), 2U);
  EXPECT_EQ(users.get(ids[0])->username, "t1");
  EXPECT_EQ(users.get(ids[1])->username, "t2");
  // A composite key comes back as a tuple of its members.
  orm::Repository<Membership> members(conn());
  std::vector<Membership> m{{.group_id = 7, .member_id = 1, .role = "a", .seat = 1},
                            {.group_id = 7, .member_id = 2, .role = "b", .seat = 2}};
  const auto pairs = members.insert_many<std::tuple<std::int32_t, std::int32_t>>(m);
  EXPECT_EQ(pairs, (std::vector<std::tuple<std::int32_t, std::int32_t>>{{7, 1}, {7, 2}}));
  // A K that is not the key's type is refused before anything is inserted.
  std::vector<Score> one{{.id = 0, .player = "x", .points = 1}};
  EXPECT_THROW((void)scores.insert_many<std::int32_t>(one), pgkit::InterfaceError);
  EXPECT_EQ(scores.count(col(&Score::player) == "x"), 0);
}

TEST_F(OrmRepository, InsertManyPipelinedAndByCopyReturnsKeys) {
  orm::Repository<Score> scores(conn());
  for (const std::size_t n : {std::size_t{3}, std::size_t{1200}}) {
    std::vector<Score> rows;
    for (std::size_t i = 0; i < n; ++i) rows.push_back({.id = 0, .player = "bulk", .points = static_cast<int>(i)});
    EXPECT_EQ(scores.insert_many(rows), n);
    // Every object holds its own row's key (reserved and written in), pipelined and by COPY alike.
    const auto stored =
        conn().query<std::int64_t, std::int32_t>("SELECT id, points FROM scores WHERE id = ANY($1) ORDER BY id", [&] {
          std::vector<std::int64_t> ids;
          for (const auto& row : rows) ids.push_back(row.id);
          return ids;
        }());
    ASSERT_EQ(stored.size(), n);  // n distinct keys, each a stored row
    std::map<std::int64_t, std::int32_t> points;
    for (const auto& [id, p] : stored) points[id] = p;
    for (std::size_t i = 0; i < n; ++i) EXPECT_EQ(points.at(rows[i].id), rows[i].points) << i;
  }
  EXPECT_EQ(scores.count(), 1203);
  // Rows that leave a server default out and rows that give it, in one call.
  orm::Repository<Post> posts(conn());
  const User ann = add_user("ann");
  std::vector<Post> mixed(4);
  for (std::size_t i = 0; i < mixed.size(); ++i) {
    mixed[i].title = "m" + std::to_string(i);
    mixed[i].author_id = ann.id;
    if (i % 2 == 0) mixed[i].created_at = std::chrono::sys_time<std::chrono::microseconds>{};
  }
  posts.insert_many(mixed);
  EXPECT_EQ(posts.get(mixed[0].id)->created_at, std::chrono::sys_time<std::chrono::microseconds>{});
  EXPECT_NE(posts.get(mixed[1].id)->created_at, std::chrono::sys_time<std::chrono::microseconds>{});
  // A large batch of Users that leave created_at to the server goes through COPY (a handful of
  // statements, not one per row), naming only the columns it gives; every object gets its row's key.
  orm::Repository<User> many(conn());
  std::vector<User> batch(1000);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    batch[i].username = "copy" + std::to_string(i);
    batch[i].email = batch[i].username + "@example.com";
  }
  const auto before = conn().statements_sent();
  many.insert_many(batch);
  EXPECT_LT(conn().statements_sent() - before, 10u);  // keys, BEGIN, COPY, COMMIT
  const auto stored = conn().query<std::int64_t, std::string, bool>(
      "SELECT id, username, created_at IS NOT NULL FROM users WHERE username LIKE 'copy%' ORDER BY id");
  ASSERT_EQ(stored.size(), batch.size());
  std::map<std::string, std::int64_t> id_of;
  for (const auto& [id, username, dated] : stored) {
    id_of[username] = id;
    EXPECT_TRUE(dated) << username;  // the server's default applied
  }
  for (const auto& user : batch) EXPECT_EQ(id_of.at(user.username), user.id) << user.username;
  // A failing row rolls every row back.
  std::vector<User> users{User{.id = 0, .username = "x", .email = "x@e"},
                          User{.id = 0, .username = "x", .email = "y@e"}};
  EXPECT_THROW(orm::Repository<User>(conn()).insert_many(users), pgkit::UniqueViolation);
  EXPECT_FALSE(UserRepository(conn()).get_by_email("x@e").has_value());
}

TEST_F(OrmRepository, RawFragmentsMapToTheModel) {
  add_user("Ann");
  add_user("bob");
  orm::Repository<User> users(conn());
  const auto found = users.find_where(pgkit::sql::SQL("lower(username) = lower($1)"), pgkit::Params("ANN"));
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].username, "Ann");
  // Columns matched by name, in any order, extra ones ignored.
  const auto raw =
      users.query_raw(pgkit::sql::SQL("SELECT 1 AS extra, email, created_at, username, id FROM users ORDER BY id"));
  ASSERT_EQ(raw.size(), 2U);
  EXPECT_EQ(raw[1].username, "bob");
  try {
    users.query_raw(pgkit::sql::SQL("SELECT id, username, created_at FROM users"));
    FAIL() << "no ModelError";
  } catch (const orm::ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("User::email: the result has no column \"email\""), std::string::npos)
        << e.what();
  }
}

// A value the member cannot hold names model, member and column, and keeps its error class.
TEST_F(OrmRepository, DecodeErrorsNameModelMemberAndColumn) {
  orm::Repository<User> users(conn());
  try {
    users.query_raw(pgkit::sql::SQL(
        "SELECT 1::bigint AS id, NULL::text AS username, 'e' AS email, NULL::timestamptz AS created_at"));
    FAIL() << "no UnexpectedNull";
  } catch (const pgkit::UnexpectedNull& e) {
    EXPECT_NE(std::string(e.what()).find("User::username (column \"username\"): "), std::string::npos) << e.what();
  }
  try {
    users.query_raw(
        pgkit::sql::SQL("SELECT 1::bigint AS id, 'u' AS username, 'e' AS email, 'not a time'::text AS created_at"));
    FAIL() << "no ConversionError";
  } catch (const pgkit::ConversionError& e) {
    EXPECT_NE(std::string(e.what()).find("User::created_at (column \"created_at\"): "), std::string::npos) << e.what();
  }
}

TEST_F(OrmRepository, TableThatLacksAColumnNamesMemberAndColumn) {
  conn().exec("ALTER TABLE users DROP COLUMN email");
  orm::Repository<User> users(conn());
  try {
    users.get_all();
    FAIL() << "no UndefinedColumn";
  } catch (const pgkit::UndefinedColumn& e) {
    EXPECT_NE(std::string(e.what()).find("member orm_test::User::email is mapped to column \"email\""),
              std::string::npos)
        << e.what();
  }
}

TEST_F(OrmRepository, SameApiOverTransactionAndPooledConnection) {
  {
    pgkit::Transaction tx(conn());
    orm::Repository<User> users(tx);
    users.insert(User{.id = 0, .username = "rolled", .email = "r@e"});
    EXPECT_EQ(users.count(), 1);
  }  // rolled back
  EXPECT_EQ(orm::Repository<User>(conn()).count(), 0);
  pgkit::PoolOptions options;
  options.connect.conninfo = database_url();
  options.min_size = 1;
  options.max_size = 1;
  pgkit::Pool pool(options);
  auto pooled = pool.acquire();
  auto users = orm::repository<User>(pooled);
  users.insert(User{.id = 0, .username = "pooled", .email = "p@e"});
  EXPECT_TRUE(UserRepository(conn()).get_by_username("pooled").has_value());
}

}  // namespace
