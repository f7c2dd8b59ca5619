// Pipelines: statements sent without waiting, outcomes in order, a failure confined to its sync group
// and reported for every statement it touched.
#include <pgkit/pipeline.hpp>
#include <pgkit/transaction.hpp>

#include "core/connection_helpers.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using pgkit::PipelineStatus;
using pgkit::testing::expect_database_error;

// Far above every timeout used here: a call returning later than this has hung.
constexpr auto kHangLimit = 20s;

class Pipelines : public pgkit::testing::DatabaseTest {
 protected:
  // The values of table `name`'s column v, in order.
  static std::vector<int> values_of(pgkit::Connection& conn, const char* name) {
    return conn.query<int>(pgkit::sql::SQL("SELECT v FROM {} ORDER BY v").format(pgkit::sql::Identifier(name)));
  }
};

void expect_aborted(const pgkit::PipelineOutcome& outcome, PipelineStatus status, std::size_t failed_index) {
  EXPECT_EQ(outcome.status, status);
  EXPECT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.failed_index, failed_index);
  EXPECT_THROW(outcome.check(), pgkit::PipelineAborted);
  try {
    outcome.check();
  } catch (const pgkit::PipelineAborted& e) {
    EXPECT_NE(std::string(e.what()).find("statement " + std::to_string(failed_index)), std::string::npos) << e.what();
  }
}

TEST_F(Pipelines, ReturnsEachStatementsResultInOrder) {
  auto conn = connect();
  pgkit::Pipeline pipeline(conn);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(pipeline.add("SELECT $1::int * 10", i), static_cast<std::size_t>(i));
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(outcomes[i].ok());
    EXPECT_NO_THROW(outcomes[i].check());
    EXPECT_EQ(outcomes[i].result.one()[0].as<int>(), i * 10);
  }
  EXPECT_EQ(conn.query_value<int>("SELECT 7"), 7);  // the connection is usable again
}

TEST_F(Pipelines, StatementsWithReturningGiveTheirRows) {
  auto conn = connect();
  conn.exec("CREATE TABLE returning_items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL)");
  pgkit::Pipeline pipeline(conn);
  pipeline.add("INSERT INTO returning_items (name) VALUES ($1) RETURNING id, name", std::string("apple"));
  pipeline.add("INSERT INTO returning_items (name) VALUES ($1), ($2) RETURNING id", std::string("pear"),
               std::string("plum"));
  pipeline.add("UPDATE returning_items SET name = upper(name) WHERE id > $1 RETURNING name", 1);
  pipeline.add("DELETE FROM returning_items WHERE name = $1", std::string("PLUM"));
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 4u);
  for (const auto& outcome : outcomes) ASSERT_TRUE(outcome.ok());

  const auto [id, name] = outcomes[0].result.one().as<int, std::string>();
  EXPECT_EQ(id, 1);
  EXPECT_EQ(name, "apple");
  ASSERT_EQ(outcomes[1].result.size(), 2u);
  EXPECT_EQ(outcomes[1].result[0][0].as<int>(), 2);
  EXPECT_EQ(outcomes[1].result[1][0].as<int>(), 3);
  EXPECT_EQ(outcomes[1].result.affected_rows(), 2);
  EXPECT_EQ(outcomes[2].result.as_vector<std::string>(), (std::vector<std::string>{"PEAR", "PLUM"}));
  EXPECT_EQ(outcomes[3].result.affected_rows(), 1);
  EXPECT_EQ(outcomes[3].result.command_tag(), "DELETE 1");
  EXPECT_EQ(conn.query<std::string>("SELECT name FROM returning_items ORDER BY id"),
            (std::vector<std::string>{"apple", "PEAR"}));
}

TEST_F(Pipelines, FailureMidGroupRollsBackTheEarlierAndSkipsTheLater) {
  auto conn = connect();
  conn.exec("CREATE TABLE mid_group (v int CONSTRAINT mid_group_v_key UNIQUE)");
  conn.exec("INSERT INTO mid_group VALUES (2)");
  pgkit::Pipeline pipeline(conn);
  pipeline.add("INSERT INTO mid_group VALUES ($1) RETURNING v", 1);
  pipeline.add("INSERT INTO mid_group VALUES ($1)", 5);
  pipeline.add("INSERT INTO mid_group VALUES ($1)", 2);  // duplicate
  pipeline.add("INSERT INTO mid_group VALUES ($1)", 3);
  pipeline.add("SELECT 1");
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 5u);

  expect_aborted(outcomes[0], PipelineStatus::rolled_back, 2);
  EXPECT_EQ(outcomes[0].result.one()[0].as<int>(), 1);  // what it returned before being undone
  expect_aborted(outcomes[1], PipelineStatus::rolled_back, 2);

  EXPECT_EQ(outcomes[2].status, PipelineStatus::failed);
  EXPECT_FALSE(outcomes[2].ok());
  ASSERT_TRUE(outcomes[2].error);
  const auto diagnostics = expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>(
      [&] { outcomes[2].check(); }, "23505");
  EXPECT_EQ(diagnostics.constraint_name, "mid_group_v_key");
  EXPECT_EQ(diagnostics.table_name, "mid_group");
  try {
    outcomes[2].check();
  } catch (const pgkit::DatabaseError& e) {
    EXPECT_NE(std::string(e.what()).find("pipeline statement 2"), std::string::npos) << e.what();
  }

  expect_aborted(outcomes[3], PipelineStatus::skipped, 2);
  expect_aborted(outcomes[4], PipelineStatus::skipped, 2);
  EXPECT_TRUE(outcomes[4].result.empty());

  EXPECT_EQ(values_of(conn, "mid_group"), std::vector<int>{2});  // nothing of the group stayed
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
}

TEST_F(Pipelines, FailureInTheLastStatementRollsBackTheWholeGroup) {
  auto conn = connect();
  conn.exec("CREATE TABLE last_fails (v int CHECK (v > 0))");
  pgkit::Pipeline pipeline(conn);
  for (int v = 1; v <= 3; ++v) pipeline.add("INSERT INTO last_fails VALUES ($1)", v);
  pipeline.add("INSERT INTO last_fails VALUES ($1)", -1);
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 4u);
  for (std::size_t i = 0; i < 3; ++i) expect_aborted(outcomes[i], PipelineStatus::rolled_back, 3);
  EXPECT_EQ(outcomes[3].status, PipelineStatus::failed);
  expect_database_error<pgkit::CheckViolation, pgkit::IntegrityError>([&] { outcomes[3].check(); }, "23514");
  EXPECT_TRUE(values_of(conn, "last_fails").empty());
}

TEST_F(Pipelines, FailureInTheFirstStatementSkipsTheRestOfItsGroup) {
  auto conn = connect();
  conn.exec("CREATE TABLE first_fails (v int NOT NULL)");
  pgkit::Pipeline pipeline(conn);
  pipeline.add("INSERT INTO first_fails VALUES (NULL)");
  pipeline.add("INSERT INTO first_fails VALUES ($1)", 1);
  pipeline.add("INSERT INTO first_fails VALUES ($1)", 2);
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 3u);
  expect_database_error<pgkit::NotNullViolation, pgkit::IntegrityError>([&] { outcomes[0].check(); }, "23502");
  expect_aborted(outcomes[1], PipelineStatus::skipped, 0);
  expect_aborted(outcomes[2], PipelineStatus::skipped, 0);
  EXPECT_TRUE(values_of(conn, "first_fails").empty());
}

TEST_F(Pipelines, FailureStaysInItsSyncGroup) {
  auto conn = connect();
  conn.exec("CREATE TABLE groups (v int PRIMARY KEY)");
  pgkit::Pipeline pipeline(conn);
  pipeline.add("INSERT INTO groups VALUES ($1)", 1);  // group A: 0, 1
  pipeline.add("INSERT INTO groups VALUES ($1)", 2);
  pipeline.sync();
  pipeline.add("INSERT INTO groups VALUES ($1)", 3);  // group B: 2, 3 (fails), 4
  pipeline.add("INSERT INTO groups VALUES ($1)", 1);
  pipeline.add("INSERT INTO groups VALUES ($1)", 4);
  pipeline.sync();
  pipeline.add("INSERT INTO groups VALUES ($1)", 5);  // group C: 5, 6 (fails), 7
  pipeline.add("INSERT INTO groups VALUES ($1)", 5);
  pipeline.add("INSERT INTO groups VALUES ($1)", 6);
  pipeline.sync();
  pipeline.add("INSERT INTO groups VALUES ($1)", 7);  // group D: 8, 9, closed by finish()
  pipeline.add("INSERT INTO groups VALUES ($1)", 8);
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 10u);
  EXPECT_EQ(pipeline.stats().statements, 10u);
  EXPECT_EQ(pipeline.stats().syncs, 4u);

  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_TRUE(outcomes[1].ok());
  expect_aborted(outcomes[2], PipelineStatus::rolled_back, 3);
  expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>([&] { outcomes[3].check(); }, "23505");
  expect_aborted(outcomes[4], PipelineStatus::skipped, 3);
  expect_aborted(outcomes[5], PipelineStatus::rolled_back, 6);
  expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>([&] { outcomes[6].check(); }, "23505");
  expect_aborted(outcomes[7], PipelineStatus::skipped, 6);
  EXPECT_TRUE(outcomes[8].ok());
  EXPECT_TRUE(outcomes[9].ok());

  EXPECT_EQ(values_of(conn, "groups"), (std::vector<int>{1, 2, 7, 8}));
}

TEST_F(Pipelines, InsideATransactionAFailureAbortsTheTransaction) {
  auto conn = connect();
  conn.exec("CREATE TABLE in_tx (v int PRIMARY KEY)");
  conn.exec("INSERT INTO in_tx VALUES (2)");
  {
    pgkit::Transaction tx(conn);
    conn.exec("INSERT INTO in_tx VALUES (100)");
    pgkit::Pipeline pipeline(conn);
    pipeline.add("INSERT INTO in_tx VALUES ($1) RETURNING v", 1);
    pipeline.add("INSERT INTO in_tx VALUES ($1)", 2);  // duplicate
    pipeline.add("INSERT INTO in_tx VALUES ($1)", 3);
    pipeline.sync();
    pipeline.add("INSERT INTO in_tx VALUES ($1)", 4);  // the transaction is aborted by now
    pipeline.add("INSERT INTO in_tx VALUES ($1)", 5);
    const auto outcomes = pipeline.finish();
    ASSERT_EQ(outcomes.size(), 5u);

    // Ran, and stands as far as the transaction does: the transaction's fate is the caller's to see.
    EXPECT_EQ(outcomes[0].status, PipelineStatus::succeeded);
    EXPECT_EQ(outcomes[0].result.one()[0].as<int>(), 1);
    expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>([&] { outcomes[1].check(); }, "23505");
    expect_aborted(outcomes[2], PipelineStatus::skipped, 1);
    // A sync does not end an explicit transaction: the next group meets it aborted.
    expect_database_error<pgkit::InFailedSqlTransaction, pgkit::InternalError>([&] { outcomes[3].check(); },
                                                                                "25P02");
    expect_aborted(outcomes[4], PipelineStatus::skipped, 3);

    EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_error);
    expect_database_error<pgkit::InFailedSqlTransaction, pgkit::InternalError>([&] { tx.commit(); }, "25P02");
  }
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(values_of(conn, "in_tx"), std::vector<int>{2});  // neither 100 nor 1 survived
}

TEST_F(Pipelines, InsideATransactionSyncsDoNotCommit) {
  auto conn = connect();
  conn.exec("CREATE TABLE tx_syncs (v int)");
  {
    pgkit::Transaction tx(conn);
    pgkit::Pipeline pipeline(conn);
    pipeline.add("INSERT INTO tx_syncs VALUES ($1)", 1);
    pipeline.sync();
    pipeline.add("INSERT INTO tx_syncs VALUES ($1)", 2);
    for (const auto& outcome : pipeline.finish()) EXPECT_EQ(outcome.status, PipelineStatus::succeeded);
    EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::in_transaction);
    auto other = connect();
    EXPECT_TRUE(values_of(other, "tx_syncs").empty());  // not committed by the syncs
    EXPECT_EQ(values_of(conn, "tx_syncs"), (std::vector<int>{1, 2}));
    tx.rollback();
  }
  EXPECT_TRUE(values_of(conn, "tx_syncs").empty());
}

TEST_F(Pipelines, ConnectionBelongsToThePipelineUntilItFinishes) {
  auto conn = connect();
  pgkit::Pipeline pipeline(conn);
  pipeline.add("SELECT 1");
  EXPECT_THROW(conn.exec("SELECT 2"), pgkit::InterfaceError);
  EXPECT_THROW(pgkit::Pipeline{conn}, pgkit::InterfaceError);
  pipeline.add("SELECT 3");
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[1].result.one()[0].as<int>(), 3);
  EXPECT_EQ(conn.query_value<int>("SELECT 4"), 4);

  pgkit::Pipeline second(conn);  // a connection serves pipeline after pipeline
  second.add("SELECT $1::int", 5);
  const auto more = second.finish();
  ASSERT_EQ(more.size(), 1u);
  EXPECT_EQ(more[0].result.one()[0].as<int>(), 5);
}

TEST_F(Pipelines, EmptyPipelineFinishesWithNoOutcomes) {
  auto conn = connect();
  pgkit::Pipeline pipeline(conn);
  EXPECT_TRUE(pipeline.finish().empty());
  EXPECT_EQ(pipeline.stats().statements, 0u);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(Pipelines, FinishedPipelineRefusesMoreWork) {
  auto conn = connect();
  pgkit::Pipeline pipeline(conn);
  pipeline.add("SELECT 1");
  ASSERT_EQ(pipeline.finish().size(), 1u);
  EXPECT_THROW(pipeline.add("SELECT 2"), pgkit::InterfaceError);
  EXPECT_THROW(pipeline.sync(), pgkit::InterfaceError);
  EXPECT_THROW(static_cast<void>(pipeline.finish()), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<int>("SELECT 3"), 3);
}

TEST_F(Pipelines, DestroyingWithoutFinishLeavesTheConnectionUsable) {
  auto conn = connect();
  conn.exec("CREATE TABLE unfinished (v int PRIMARY KEY)");
  {
    pgkit::Pipeline pipeline(conn);
    pipeline.add("INSERT INTO unfinished VALUES ($1)", 1);
    pipeline.add("INSERT INTO unfinished VALUES ($1)", 1);  // fails; nobody reads it
    pipeline.add("SELECT pg_sleep(0.2)");                   // still running when the scope ends
  }
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
  EXPECT_TRUE(values_of(conn, "unfinished").empty());  // the failed group was rolled back
  {
    pgkit::Pipeline pipeline(conn);
    pipeline.add("INSERT INTO unfinished VALUES ($1)", 7);
  }  // the destructor's sync ends the group's implicit transaction like finish() would
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(values_of(conn, "unfinished"), std::vector<int>{7});
}

TEST_F(Pipelines, ParameterCountMismatchIsRefusedBeforeSending) {
  auto conn = connect();
  conn.exec("CREATE TABLE param_count (a int, b int)");
  pgkit::Pipeline pipeline(conn);
  EXPECT_EQ(pipeline.add("INSERT INTO param_count VALUES ($1, $2)", 1, 10), 0u);
  EXPECT_THROW(pipeline.add("INSERT INTO param_count VALUES ($1, $2)", 2), pgkit::InterfaceError);
  EXPECT_THROW(pipeline.add("INSERT INTO param_count VALUES ($1, 0)", 3, 30), pgkit::InterfaceError);
  EXPECT_THROW(pipeline.add("INSERT INTO param_count VALUES (4, 40)", 4), pgkit::InterfaceError);
  EXPECT_THROW(pipeline.add("INSERT INTO param_count VALUES (5, 50); SELECT 1"), pgkit::InterfaceError);
  try {
    pipeline.add("INSERT INTO param_count VALUES ($1, $2)", 6);
  } catch (const pgkit::InterfaceError& e) {
    EXPECT_NE(std::string(e.what()).find("$1..$2"), std::string::npos) << e.what();
  }
  // Nothing of the refused statements was queued: indexes stay dense and the group is not aborted.
  EXPECT_EQ(pipeline.add("INSERT INTO param_count VALUES ($1, $2)", 7, 70), 1u);
  EXPECT_EQ(pipeline.stats().statements, 2u);
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 2u);
  for (const auto& outcome : outcomes) EXPECT_TRUE(outcome.ok());
  EXPECT_EQ(conn.query<int>("SELECT a FROM param_count ORDER BY a"), (std::vector<int>{1, 7}));
}

TEST_F(Pipelines, InvalidLimitsAreRefusedAndLeaveTheConnectionAlone) {
  auto conn = connect();
  pgkit::PipelineOptions no_statements;
  no_statements.limits.max_in_flight_statements = 0;
  EXPECT_THROW((pgkit::Pipeline{conn, no_statements}), pgkit::InterfaceError);
  pgkit::PipelineOptions no_bytes;
  no_bytes.limits.max_in_flight_bytes = 0;
  EXPECT_THROW((pgkit::Pipeline{conn, no_bytes}), pgkit::InterfaceError);
  pgkit::PipelineOptions negative;
  negative.timeout = -1ms;
  EXPECT_THROW((pgkit::Pipeline{conn, negative}), pgkit::InterfaceError);
  EXPECT_EQ(conn.query_value<int>("SELECT 1"), 1);
}

TEST_F(Pipelines, TimeoutCancelsTheRunningStatementAndSkipsItsGroup) {
  auto conn = connect();
  pgkit::PipelineOptions options;
  options.timeout = 300ms;
  const auto started = std::chrono::steady_clock::now();
  pgkit::Pipeline pipeline(conn, options);
  pipeline.add("SELECT $1::int", 1);
  pipeline.sync();
  pipeline.add("SELECT pg_sleep(60)");
  pipeline.add("SELECT $1::int", 3);
  const auto outcomes = pipeline.finish();
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  ASSERT_EQ(outcomes.size(), 3u);
  EXPECT_TRUE(outcomes[0].ok());
  EXPECT_EQ(outcomes[1].status, PipelineStatus::failed);
  expect_database_error<pgkit::QueryCanceled, pgkit::OperationalError>([&] { outcomes[1].check(); }, "57014");
  expect_aborted(outcomes[2], PipelineStatus::skipped, 1);
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn.query_value<int>("SELECT 9"), 9);
}

// The deadline is the whole pipeline's: a later group still running past it is cancelled as well, and
// the server answering those cancels keeps the connection.
TEST_F(Pipelines, TimeoutCancelsEveryGroupStillRunningAndKeepsTheConnection) {
  auto conn = connect();
  pgkit::PipelineOptions options;
  options.timeout = 500ms;
  const auto started = std::chrono::steady_clock::now();
  pgkit::Pipeline pipeline(conn, options);
  pipeline.add("SELECT pg_sleep(60)");
  pipeline.add("SELECT $1::int", 1);
  pipeline.sync();
  pipeline.add("SELECT pg_sleep(60)");
  pipeline.sync();
  pipeline.add("SELECT $1::int", 3);
  const auto outcomes = pipeline.finish();
  EXPECT_LT(std::chrono::steady_clock::now() - started, kHangLimit);
  ASSERT_EQ(outcomes.size(), 4u);
  expect_database_error<pgkit::QueryCanceled, pgkit::OperationalError>([&] { outcomes[0].check(); }, "57014");
  expect_aborted(outcomes[1], PipelineStatus::skipped, 0);
  expect_database_error<pgkit::QueryCanceled, pgkit::OperationalError>([&] { outcomes[2].check(); }, "57014");
  EXPECT_TRUE(outcomes[3].ok());
  EXPECT_TRUE(conn.is_open());
  EXPECT_EQ(conn.query_value<int>("SELECT 9"), 9);
}

// Thousands of statements in one sync group with small limits: results must be read while sending, and
// the server must be asked to flush them (it otherwise holds them until a sync).
TEST_F(Pipelines, OneLongGroupStaysWithinTheStatementLimit) {
  auto conn = connect();
  pgkit::PipelineOptions options;
  options.limits.max_in_flight_statements = 16;
  pgkit::Pipeline pipeline(conn, options);
  constexpr int count = 5000;
  for (int i = 0; i < count; ++i) pipeline.add("SELECT $1::int + 1", i);
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    ASSERT_TRUE(outcomes[i].ok()) << i;
    ASSERT_EQ(outcomes[i].result.one()[0].as<int>(), i + 1);
  }
  EXPECT_EQ(pipeline.stats().statements, static_cast<std::size_t>(count));
  EXPECT_GE(pipeline.stats().peak_in_flight_statements, 2u);  // it did pipeline
  EXPECT_LE(pipeline.stats().peak_in_flight_statements, 16u);
}

TEST_F(Pipelines, LargeParametersStayWithinTheByteLimit) {
  auto conn = connect();
  pgkit::PipelineOptions options;
  options.limits.max_in_flight_bytes = 64 * 1024;
  pgkit::Pipeline pipeline(conn, options);
  const std::string payload(10 * 1024, 'x');
  constexpr int count = 200;
  for (int i = 0; i < count; ++i) {
    pipeline.add("SELECT length($1) + $2", payload, i);
    if (i % 50 == 49) pipeline.sync();  // several groups, and long open ones
  }
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) ASSERT_EQ(outcomes[i].result.one()[0].as<int>(), 10 * 1024 + i);
  EXPECT_GE(pipeline.stats().peak_in_flight_bytes, 2u * payload.size());  // it did pipeline
  EXPECT_LE(pipeline.stats().peak_in_flight_bytes, options.limits.max_in_flight_bytes);
}

TEST_F(Pipelines, StatementLargerThanTheByteLimitGoesAlone) {
  auto conn = connect();
  pgkit::PipelineOptions options;
  options.limits.max_in_flight_bytes = 4 * 1024;
  pgkit::Pipeline pipeline(conn, options);
  const std::string payload(10 * 1024, 'z');
  for (int i = 0; i < 20; ++i) pipeline.add("SELECT length($1) + $2", payload, i);
  const auto outcomes = pipeline.finish();
  ASSERT_EQ(outcomes.size(), 20u);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(outcomes[i].result.one()[0].as<int>(), 10 * 1024 + i);
  EXPECT_EQ(pipeline.stats().peak_in_flight_statements, 1u);
  EXPECT_EQ(pipeline.stats().peak_in_flight_bytes, payload.size() + sizeof(int));
}

}  // namespace
