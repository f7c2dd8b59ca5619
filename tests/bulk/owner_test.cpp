// Whatever holds a connection (a COPY either way, a Pipeline, an execute_many batch) is named when a
// statement is refused meanwhile, and gives the connection back when it ends.
#include "bulk/copy_test_support.hpp"

#include <pgkit/copy.hpp>
#include <pgkit/pipeline.hpp>

#include <gmock/gmock.h>

#include <string>
#include <tuple>
#include <vector>

namespace {

using pgkit::InterfaceError;
using pgkit::copy_test::expect_usable;
using pgkit::copy_test::message_of;
using ::testing::HasSubstr;

class ConnectionOwner : public pgkit::testing::DatabaseTest {
 protected:
  void SetUp() override { conn.exec("CREATE TABLE IF NOT EXISTS owned (id int)"); }
  pgkit::Connection conn = connect();

  std::string refusal() {
    return message_of<InterfaceError>([&] { conn.exec("SELECT 1"); });
  }
};

TEST_F(ConnectionOwner, ACopyIntoATableIsNamed) {
  {
    pgkit::CopyWriter writer(conn, "owned", {"id"});
    writer.write(1);
    EXPECT_THAT(refusal(), HasSubstr("COPY ... FROM STDIN"));
    EXPECT_EQ(writer.finish(), 1);
  }
  expect_usable(conn);
}

TEST_F(ConnectionOwner, ACopyOutIsNamedToItsOwnCallback) {
  std::string seen;
  pgkit::copy_out<int>(conn, "SELECT g FROM generate_series(1, 3) AS g", [&](int) {
    if (seen.empty()) seen = refusal();
  });
  EXPECT_THAT(seen, HasSubstr("COPY ... TO STDOUT"));
  expect_usable(conn);
}

TEST_F(ConnectionOwner, ACopyRowsRangeIsNamedUntilItEnds) {
  {
    pgkit::CopyRows<int> rows(conn, "SELECT g FROM generate_series(1, 3) AS g");
    auto it = rows.begin();
    EXPECT_EQ(*it, 1);
    EXPECT_THAT(refusal(), HasSubstr("COPY ... TO STDOUT"));
  }
  expect_usable(conn);
}

TEST_F(ConnectionOwner, APipelineIsNamed) {
  {
    pgkit::Pipeline pipeline(conn);
    pipeline.add("SELECT 1");
    EXPECT_THAT(refusal(), HasSubstr("Pipeline"));
    // A statement that is refused is not sent: the pipeline goes on.
    EXPECT_EQ(pipeline.finish().size(), 1u);
  }
  expect_usable(conn);
}

TEST_F(ConnectionOwner, AnExecuteManyBatchIsNamedToItsRowSource) {
  // The rows are produced while the batch holds the connection (from the first row sent on).
  struct Rows {
    pgkit::Connection* conn;
    std::string* seen;
    struct iterator {
      const Rows* rows;
      int at;
      std::tuple<int> operator*() const {
        if (at == 1) {
          *rows->seen = message_of<InterfaceError>([&] { rows->conn->exec("SELECT 1"); });
        }
        return {at};
      }
      iterator& operator++() {
        ++at;
        return *this;
      }
      bool operator==(const iterator& other) const { return at == other.at; }
    };
    [[nodiscard]] iterator begin() const { return {this, 0}; }
    [[nodiscard]] iterator end() const { return {this, 3}; }
  };
  std::string seen;
  Rows rows{&conn, &seen};
  EXPECT_EQ(pgkit::execute_many(conn, "INSERT INTO owned VALUES ($1)", rows), 3);
  EXPECT_THAT(seen, HasSubstr("execute_many"));
  expect_usable(conn);
}

}  // namespace
