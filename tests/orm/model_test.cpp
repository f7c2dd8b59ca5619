// Model metadata: what meta<T>() builds from Describe and Model<T>::define, and the errors of a wrong
// declaration.
#include "orm/models.hpp"

#include <gtest/gtest.h>

namespace {

using namespace orm_test;
namespace orm = pgkit::orm;

TEST(OrmModel, ColumnsComeFromDescribeWithoutRelations) {
  const orm::TableMeta& m = orm::meta<User>();
  EXPECT_EQ(m.name, "users");
  EXPECT_EQ(m.schema, "");
  ASSERT_EQ(m.columns.size(), 4U);
  EXPECT_EQ(m.columns[0].name, "id");
  EXPECT_EQ(m.columns[0].sql_type, "bigint");
  EXPECT_EQ(m.columns[0].generated, orm::Generated::identity);
  EXPECT_EQ(m.columns[1].sql_type, "text");
  EXPECT_FALSE(m.columns[1].nullable);
  EXPECT_EQ(m.columns[3].sql_type, "timestamp with time zone");
  EXPECT_TRUE(m.columns[3].nullable);
  EXPECT_EQ(m.columns[3].server_default, "now()");
  EXPECT_EQ(m.primary_key, std::vector<std::size_t>{0});
  ASSERT_EQ(m.uniques.size(), 2U);
  EXPECT_EQ(m.uniques[1].columns, std::vector<std::size_t>{2});
  ASSERT_EQ(m.relations.size(), 1U);
  EXPECT_EQ(m.relations[0].label, "orm_test::User::posts");
  EXPECT_EQ(m.relations[0].member_index, 4U);
  EXPECT_EQ(m.relations[0].key_members, std::vector<std::string>{"author_id"});
  EXPECT_EQ(&m.relations[0].target(), &orm::meta<Post>());
  // Built once: the same object every time.
  EXPECT_EQ(&orm::meta<User>(), &m);
}

TEST(OrmModel, OverridesForeignKeysAndIndexes) {
  const orm::TableMeta& m = orm::meta<Post>();
  EXPECT_EQ(m.columns[1].sql_type, "varchar(200)");
  EXPECT_TRUE(m.columns[2].nullable);
  ASSERT_EQ(m.foreign_keys.size(), 1U);
  EXPECT_EQ(m.foreign_keys[0].columns, std::vector<std::size_t>{3});
  EXPECT_EQ(m.foreign_keys[0].target_members, std::vector<std::string>{"id"});
  EXPECT_EQ(m.foreign_keys[0].on_delete, orm::OnDelete::cascade);
  EXPECT_EQ(&m.foreign_keys[0].target(), &orm::meta<User>());
  ASSERT_EQ(m.indexes.size(), 1U);
  EXPECT_EQ(m.relations[0].kind, orm::RelationKind::belongs_to);
}

TEST(OrmModel, RelationsNotLoadedThrowNamingTheRelation) {
  User user;
  EXPECT_THROW((void)user.posts.size(), orm::NotLoaded);
  user.posts.set_label(orm::meta<User>().relations[0].label.c_str());
  try {
    for (const auto& post : user.posts) (void)post;
    FAIL() << "no NotLoaded";
  } catch (const orm::NotLoaded& e) {
    EXPECT_EQ(e.relation(), "orm_test::User::posts");
  }
  user.posts.set_loaded({Post{}, Post{}});
  EXPECT_EQ(user.posts.size(), 2U);

  Post post;
  EXPECT_THROW((void)post.author.has_value(), orm::NotLoaded);
  post.author.set_loaded(std::optional<User>());
  EXPECT_FALSE(post.author.has_value());
  User parent;
  parent.username = "ann";
  post.author.set_loaded(std::optional<User>(parent));
  EXPECT_EQ(post.author->username, "ann");
}

}  // namespace
