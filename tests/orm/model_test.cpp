// Model metadata: what meta<T>() builds from Describe and Model<T>::define, and the errors of a wrong
// declaration.
#include "orm/models.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace model_test {
enum class Mood { happy, sad };
struct Partial {  // `secret` is not described
  std::int64_t id = 0;
  std::string secret;
};
struct NoTable {
  std::int64_t id = 0;
};
struct NoKey {
  std::int64_t id = 0;
};
struct TextIdentity {
  std::string id;
};
struct EnumColumn {
  std::int64_t id = 0;
  Mood mood = Mood::happy;
};
struct TwoNames {
  std::int64_t id = 0;
  std::string a;
  std::string b;
};
BOOST_DESCRIBE_ENUM(Mood, happy, sad)
BOOST_DESCRIBE_STRUCT(Partial, (), (id))
BOOST_DESCRIBE_STRUCT(NoTable, (), (id))
BOOST_DESCRIBE_STRUCT(NoKey, (), (id))
BOOST_DESCRIBE_STRUCT(TextIdentity, (), (id))
BOOST_DESCRIBE_STRUCT(EnumColumn, (), (id, mood))
BOOST_DESCRIBE_STRUCT(TwoNames, (), (id, a, b))
}  // namespace model_test

template <>
struct pgkit::orm::Model<model_test::Partial> {
  static void define(TableDef<model_test::Partial>& t) {
    t.table("partial");
    t.primary_key(&model_test::Partial::id);
    t.unique(&model_test::Partial::secret);
  }
};
template <>
struct pgkit::orm::Model<model_test::NoTable> {
  static void define(TableDef<model_test::NoTable>& t) { t.primary_key(&model_test::NoTable::id); }
};
template <>
struct pgkit::orm::Model<model_test::NoKey> {
  static void define(TableDef<model_test::NoKey>& t) { t.table("no_key"); }
};
template <>
struct pgkit::orm::Model<model_test::TextIdentity> {
  static void define(TableDef<model_test::TextIdentity>& t) {
    t.table("text_identity");
    t.primary_key(&model_test::TextIdentity::id).identity();
  }
};
template <>
struct pgkit::orm::Model<model_test::EnumColumn> {
  static void define(TableDef<model_test::EnumColumn>& t) {
    t.table("enum_column");
    t.primary_key(&model_test::EnumColumn::id);
  }
};
template <>
struct pgkit::orm::Model<model_test::TwoNames> {
  static void define(TableDef<model_test::TwoNames>& t) {
    t.table("two_names");
    t.primary_key(&model_test::TwoNames::id);
    t.column(&model_test::TwoNames::b).name("a");
  }
};

namespace {

using namespace orm_test;
namespace orm = pgkit::orm;

// Members that would dangle after decoding are refused at compile time (column_for static_asserts).
static_assert(pgkit::orm::detail::owning_column_v<std::string>);
static_assert(pgkit::orm::detail::owning_column_v<std::optional<std::int64_t>>);
static_assert(!pgkit::orm::detail::owning_column_v<std::string_view>);
static_assert(!pgkit::orm::detail::owning_column_v<std::optional<std::string_view>>);
static_assert(!pgkit::orm::detail::owning_column_v<const char*>);

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

// The first use of a wrong declaration throws ModelError naming the model and what is wrong.
template <class T>
std::string model_error() {
  try {
    (void)orm::meta<T>();
  } catch (const orm::ModelError& e) {
    return e.what();
  }
  return "no ModelError";
}

TEST(OrmModel, WrongDeclarationsThrowModelErrorAtFirstUse) {
  using ::testing::HasSubstr;
  EXPECT_THAT(model_error<model_test::Partial>(),
              HasSubstr("model_test::Partial: Model<model_test::Partial>::define, a filter or an ordering names a "
                        "member that BOOST_DESCRIBE_STRUCT does not list"));
  EXPECT_THAT(model_error<model_test::NoTable>(), HasSubstr("model_test::NoTable: no table name"));
  EXPECT_THAT(model_error<model_test::NoKey>(), HasSubstr("model_test::NoKey: no primary key"));
  EXPECT_THAT(model_error<model_test::TextIdentity>(),
              HasSubstr("model_test::TextIdentity::id: an identity or serial key must be an integer member"));
  EXPECT_THAT(model_error<model_test::EnumColumn>(),
              HasSubstr("model_test::EnumColumn::mood: its C++ type has no built-in SQL type"));
  EXPECT_THAT(model_error<model_test::TwoNames>(), HasSubstr("model_test::TwoNames::b: column name 'a' is used twice"));
  // Still an error the second time (nothing half-built is kept).
  EXPECT_THAT(model_error<model_test::NoKey>(), HasSubstr("no primary key"));
}

}  // namespace
