// Every error class provoked for real on the server, caught by its exact class and its PEP 249 category,
// with the diagnostics the server sent.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>

#include <exception>
#include <string>
#include <thread>

namespace {

using pgkit::testing::DatabaseTest;
using pgkit::testing::expect_database_error;

class Errors : public DatabaseTest {
 protected:
  void SetUp() override { conn_.emplace(connect()); }
  pgkit::Connection& conn() { return *conn_; }
  // Runs `sql` on the test's connection; for the error expectations below.
  auto runs(std::string sql) {
    return [this, sql = std::move(sql)] { conn().exec(sql); };
  }

 private:
  std::optional<pgkit::Connection> conn_;
};

TEST_F(Errors, UniqueViolationNamesTableAndConstraint) {
  conn().exec("CREATE TABLE unique_items (id int CONSTRAINT unique_items_pkey PRIMARY KEY)");
  conn().exec("INSERT INTO unique_items VALUES (1)");
  const auto d = expect_database_error<pgkit::UniqueViolation, pgkit::IntegrityError>(
      runs("INSERT INTO unique_items VALUES (1)"), "23505");
  EXPECT_EQ(d.schema_name, "public");
  EXPECT_EQ(d.table_name, "unique_items");
  EXPECT_EQ(d.constraint_name, "unique_items_pkey");
  EXPECT_EQ(d.detail, "Key (id)=(1) already exists.");
  EXPECT_EQ(d.severity, "ERROR");
  EXPECT_NE(d.message_primary.find("duplicate key"), std::string::npos) << d.message_primary;
}

TEST_F(Errors, ConditionNameAndMessageOfTheException) {
  conn().exec("CREATE TABLE named_items (id int PRIMARY KEY)");
  conn().exec("INSERT INTO named_items VALUES (1)");
  try {
    conn().exec("INSERT INTO named_items VALUES (1)");
    FAIL() << "no error";
  } catch (const pgkit::DatabaseError& e) {
    EXPECT_EQ(e.condition_name(), "unique_violation");
    const std::string what = e.what();
    EXPECT_NE(what.find("duplicate key"), std::string::npos) << what;
    EXPECT_NE(what.find("23505"), std::string::npos) << what;
    EXPECT_NE(what.find("Key (id)=(1) already exists."), std::string::npos) << what;
  }
}

TEST_F(Errors, ForeignKeyViolation) {
  conn().exec("CREATE TABLE fk_parents (id int PRIMARY KEY)");
  conn().exec("CREATE TABLE fk_children (parent int CONSTRAINT fk_children_parent REFERENCES fk_parents)");
  const auto d = expect_database_error<pgkit::ForeignKeyViolation, pgkit::IntegrityError>(
      runs("INSERT INTO fk_children VALUES (7)"), "23503");
  EXPECT_EQ(d.table_name, "fk_children");
  EXPECT_EQ(d.constraint_name, "fk_children_parent");
  EXPECT_NE(d.detail.find("(parent)=(7)"), std::string::npos) << d.detail;
}

TEST_F(Errors, NotNullViolationNamesTheColumn) {
  conn().exec("CREATE TABLE nn_items (id int, name text NOT NULL)");
  const auto d = expect_database_error<pgkit::NotNullViolation, pgkit::IntegrityError>(
      runs("INSERT INTO nn_items (id) VALUES (1)"), "23502");
  EXPECT_EQ(d.schema_name, "public");
  EXPECT_EQ(d.table_name, "nn_items");
  EXPECT_EQ(d.column_name, "name");
}

TEST_F(Errors, CheckViolation) {
  conn().exec("CREATE TABLE check_items (price int CONSTRAINT price_positive CHECK (price > 0))");
  const auto d = expect_database_error<pgkit::CheckViolation, pgkit::IntegrityError>(
      runs("INSERT INTO check_items VALUES (-1)"), "23514");
  EXPECT_EQ(d.table_name, "check_items");
  EXPECT_EQ(d.constraint_name, "price_positive");
}

TEST_F(Errors, ExclusionViolation) {
  conn().exec("CREATE TABLE bookings (during tsrange, CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&))");
  conn().exec("INSERT INTO bookings VALUES ('[2024-01-01 10:00, 2024-01-01 12:00)')");
  const auto d = expect_database_error<pgkit::ExclusionViolation, pgkit::IntegrityError>(
      runs("INSERT INTO bookings VALUES ('[2024-01-01 11:00, 2024-01-01 13:00)')"), "23P01");
  EXPECT_EQ(d.constraint_name, "no_overlap");
  EXPECT_EQ(d.table_name, "bookings");
}

TEST_F(Errors, RestrictViolation) {
  // PostgreSQL itself reports ON DELETE RESTRICT as a foreign key violation; 23001 comes from code that
  // raises it, as PL/pgSQL does here.
  expect_database_error<pgkit::RestrictViolation, pgkit::IntegrityError>(
      runs("DO $$BEGIN RAISE EXCEPTION 'still referenced' USING ERRCODE = 'restrict_violation'; END$$"), "23001");
  conn().exec("CREATE TABLE restrict_parents (id int PRIMARY KEY)");
  conn().exec("CREATE TABLE restrict_children (parent int REFERENCES restrict_parents ON DELETE RESTRICT)");
  conn().exec("INSERT INTO restrict_parents VALUES (1)");
  conn().exec("INSERT INTO restrict_children VALUES (1)");
  expect_database_error<pgkit::ForeignKeyViolation, pgkit::IntegrityError>(
      runs("DELETE FROM restrict_parents WHERE id = 1"), "23503");
}

TEST_F(Errors, SerializationFailureBetweenTwoSerializableTransactions) {
  conn().exec("CREATE TABLE accounts (id int PRIMARY KEY, balance int)");
  conn().exec("INSERT INTO accounts VALUES (1, 100)");
  auto other = connect();
  const pgkit::TransactionOptions serializable{.isolation = pgkit::IsolationLevel::serializable};
  pgkit::Transaction first(conn(), serializable);
  EXPECT_EQ(conn().query_value<int>("SELECT balance FROM accounts WHERE id = 1"), 100);  // takes the snapshot
  {
    pgkit::Transaction second(other, serializable);
    other.exec("UPDATE accounts SET balance = balance - 10 WHERE id = 1");
    second.commit();
  }
  const auto d = expect_database_error<pgkit::SerializationFailure, pgkit::OperationalError>(
      runs("UPDATE accounts SET balance = balance + 10 WHERE id = 1"), "40001");
  EXPECT_NE(d.message_primary.find("could not serialize"), std::string::npos) << d.message_primary;
  // Also a TransactionRollback, the class retry logic looks for.
  EXPECT_THROW(throw pgkit::SerializationFailure("x"), pgkit::TransactionRollback);
}

TEST_F(Errors, DeadlockDetected) {
  conn().exec("CREATE TABLE locked_rows (id int PRIMARY KEY)");
  conn().exec("INSERT INTO locked_rows VALUES (1), (2)");
  auto first = connect();
  auto second = connect();
  // The second session checks for deadlocks long before the first, so it is the one chosen as the victim.
  first.exec("SET deadlock_timeout = '60s'");
  second.exec("SET deadlock_timeout = '10ms'");
  pgkit::Transaction first_tx(first);
  pgkit::Transaction second_tx(second);
  first.exec("SELECT FROM locked_rows WHERE id = 1 FOR UPDATE");
  second.exec("SELECT FROM locked_rows WHERE id = 2 FOR UPDATE");
  std::exception_ptr first_error;
  const int first_pid = first.backend_pid();
  std::thread blocked([&] {
    try {
      first.exec("SELECT FROM locked_rows WHERE id = 2 FOR UPDATE");  // waits for the second session
    } catch (...) {
      first_error = std::current_exception();
    }
  });
  ASSERT_TRUE(pgkit::testing::eventually([&] { return pgkit::testing::backend_waits_for_lock(conn(), first_pid); }));
  const auto d = expect_database_error<pgkit::DeadlockDetected, pgkit::OperationalError>(
      [&] { second.exec("SELECT FROM locked_rows WHERE id = 1 FOR UPDATE"); }, "40P01");
  second_tx.rollback();  // releases row 2, so the first session goes on
  blocked.join();
  EXPECT_EQ(first_error, nullptr);
  first_tx.commit();
  EXPECT_NE(d.detail.find("Process"), std::string::npos) << d.detail;
}

TEST_F(Errors, SyntaxErrorCarriesThePosition) {
  const auto d =
      expect_database_error<pgkit::SyntaxError, pgkit::ProgrammingError>(runs("SELECT * FROM WHERE x = 1"), "42601");
  // 1-based character position of "WHERE".
  EXPECT_EQ(d.position, 15);
  EXPECT_NE(d.message_primary.find("syntax error"), std::string::npos);
}

TEST_F(Errors, UndefinedTableColumnAndFunction) {
  expect_database_error<pgkit::UndefinedTable, pgkit::ProgrammingError>(runs("SELECT * FROM no_such_table"), "42P01");
  conn().exec("CREATE TABLE some_columns (a int)");
  const auto column = expect_database_error<pgkit::UndefinedColumn, pgkit::ProgrammingError>(
      runs("SELECT no_such_column FROM some_columns"), "42703");
  EXPECT_EQ(column.position, 8);
  const auto function = expect_database_error<pgkit::UndefinedFunction, pgkit::ProgrammingError>(
      runs("SELECT no_such_function(1)"), "42883");
  EXPECT_FALSE(function.hint.empty());
}

TEST_F(Errors, DuplicateTable) {
  conn().exec("CREATE TABLE twice (a int)");
  expect_database_error<pgkit::DuplicateTable, pgkit::ProgrammingError>(runs("CREATE TABLE twice (a int)"), "42P07");
}

TEST_F(Errors, InsufficientPrivilege) {
  conn().exec("CREATE TABLE guarded (secret text)");
  const pgkit::testing::ScopedRole role("pgkit_errors_reader");
  conn().exec(pgkit::sql::SQL("SET ROLE {}").format(pgkit::sql::Identifier(role.name())));
  const auto d = expect_database_error<pgkit::InsufficientPrivilege, pgkit::ProgrammingError>(
      runs("SELECT * FROM guarded"), "42501");
  EXPECT_NE(d.message_primary.find("guarded"), std::string::npos) << d.message_primary;
  conn().exec("RESET ROLE");
}

TEST_F(Errors, QueryCanceledByStatementTimeout) {
  conn().exec("SET statement_timeout = '50ms'");
  expect_database_error<pgkit::QueryCanceled, pgkit::OperationalError>(runs("SELECT pg_sleep(30)"), "57014");
  conn().exec("RESET statement_timeout");
  EXPECT_EQ(conn().query_value<int>("SELECT 1"), 1);
}

TEST_F(Errors, DataErrors) {
  expect_database_error<pgkit::DivisionByZero, pgkit::DataError>(runs("SELECT 1 / 0"), "22012");
  expect_database_error<pgkit::InvalidTextRepresentation, pgkit::DataError>(runs("SELECT 'abc'::int"), "22P02");
  expect_database_error<pgkit::NumericValueOutOfRange, pgkit::DataError>(runs("SELECT 2147483647::int4 + 1"), "22003");
  expect_database_error<pgkit::InvalidDatetimeFormat, pgkit::DataError>(runs("SELECT 'not a date'::date"), "22007");
  // An explicit cast to varchar(3) truncates silently; storing into the column does not.
  conn().exec("CREATE TABLE short_codes (code varchar(3))");
  expect_database_error<pgkit::StringDataRightTruncation, pgkit::DataError>(
      runs("INSERT INTO short_codes VALUES ('abcdef')"), "22001");
}

TEST_F(Errors, CodeWithoutItsOwnClassMapsToItsCategory) {
  // 22023 invalid_parameter_value has no class of its own: it is a plain DataError.
  const auto d =
      expect_database_error<pgkit::DataError, pgkit::DatabaseError>(runs("SELECT generate_series(1, 10, 0)"), "22023");
  EXPECT_EQ(pgkit::sqlstate_condition_name(d.sqlstate), "invalid_parameter_value");
  // 55000 object_not_in_prerequisite_state: a plain OperationalError.
  conn().exec("CREATE SEQUENCE unused_sequence");
  expect_database_error<pgkit::OperationalError, pgkit::DatabaseError>(runs("SELECT currval('unused_sequence')"),
                                                                       "55000");
  // 42P05 duplicate_prepared_statement: a plain ProgrammingError.
  conn().exec("PREPARE twice_prepared AS SELECT 1");
  expect_database_error<pgkit::ProgrammingError, pgkit::DatabaseError>(runs("PREPARE twice_prepared AS SELECT 1"),
                                                                       "42P05");
}

TEST_F(Errors, InvalidCatalogName) {
  // Connecting to a database that does not exist is a connection failure (see connection_auth_test.cpp);
  // a statement naming one raises 3D000 itself.
  expect_database_error<pgkit::InvalidCatalogName, pgkit::ProgrammingError>(
      runs("SELECT pg_database_size('pgkit_no_such_database')"), "3D000");
  pgkit::ConnectOptions options;
  options.conninfo = database_url();
  options.dbname = "pgkit_no_such_database";
  EXPECT_THROW(pgkit::Connection{options}, pgkit::ConnectionFailure);
}

TEST_F(Errors, RaiseExceptionCarriesDetailAndHint) {
  const auto d = expect_database_error<pgkit::RaiseException, pgkit::ProgrammingError>(
      runs("DO $$BEGIN RAISE EXCEPTION 'order % is closed', 42 "
           "USING DETAIL = 'closed yesterday', HINT = 'open a new order'; END$$"),
      "P0001");
  EXPECT_EQ(d.message_primary, "order 42 is closed");
  EXPECT_EQ(d.detail, "closed yesterday");
  EXPECT_EQ(d.hint, "open a new order");
  EXPECT_NE(d.context.find("PL/pgSQL"), std::string::npos) << d.context;
}

TEST_F(Errors, RaiseWithCustomSqlstate) {
  conn().exec(
      "CREATE FUNCTION reject_order(id int) RETURNS void LANGUAGE plpgsql AS $$BEGIN "
      "RAISE EXCEPTION 'order % rejected', id USING ERRCODE = 'PK001', DETAIL = 'credit limit', "
      "HINT = 'ask finance', COLUMN = 'amount', TABLE = 'orders', CONSTRAINT = 'credit_check'; END$$");
  try {
    conn().exec("SELECT reject_order($1)", 7);
    FAIL() << "no error";
  } catch (const pgkit::DatabaseError& e) {
    // PK is no SQLSTATE class PostgreSQL defines: the error stays a plain DatabaseError with its code.
    EXPECT_TRUE(typeid(e) == typeid(pgkit::DatabaseError)) << typeid(e).name();
    EXPECT_EQ(e.sqlstate(), "PK001");
    EXPECT_EQ(e.condition_name(), "");
    EXPECT_EQ(e.diagnostics().message_primary, "order 7 rejected");
    EXPECT_EQ(e.diagnostics().detail, "credit limit");
    EXPECT_EQ(e.diagnostics().hint, "ask finance");
    EXPECT_EQ(e.diagnostics().column_name, "amount");
    EXPECT_EQ(e.diagnostics().table_name, "orders");
    EXPECT_EQ(e.diagnostics().constraint_name, "credit_check");
  }
  // A custom code in a known class takes that class's category.
  expect_database_error<pgkit::DataError, pgkit::DatabaseError>(
      runs("DO $$BEGIN RAISE EXCEPTION 'custom data problem' USING ERRCODE = '22PK1'; END$$"), "22PK1");
}

TEST_F(Errors, ReadOnlySqlTransaction) {
  conn().exec("CREATE TABLE read_only_target (a int)");
  conn().exec("SET default_transaction_read_only = on");
  expect_database_error<pgkit::ReadOnlySqlTransaction, pgkit::InternalError>(
      runs("INSERT INTO read_only_target VALUES (1)"), "25006");
  conn().exec("RESET default_transaction_read_only");
  conn().exec("INSERT INTO read_only_target VALUES (1)");
}

TEST_F(Errors, InFailedSqlTransaction) {
  conn().execute_script("BEGIN");
  EXPECT_THROW(conn().exec("SELECT 1 / 0"), pgkit::DivisionByZero);
  const auto d = expect_database_error<pgkit::InFailedSqlTransaction, pgkit::InternalError>(runs("SELECT 1"), "25P02");
  EXPECT_NE(d.message_primary.find("aborted"), std::string::npos) << d.message_primary;
  conn().execute_script("ROLLBACK");
  EXPECT_EQ(conn().query_value<int>("SELECT 1"), 1);
}

TEST_F(Errors, FeatureNotSupported) {
  expect_database_error<pgkit::FeatureNotSupported, pgkit::NotSupportedError>(
      runs("SELECT * FROM other_database.public.some_table"), "0A000");
}

TEST_F(Errors, DuplicateObjectAndUndefinedObject) {
  expect_database_error<pgkit::UndefinedObject, pgkit::ProgrammingError>(runs("SELECT 'x'::no_such_type"), "42704");
  conn().exec("CREATE TYPE mood AS ENUM ('happy')");
  expect_database_error<pgkit::DuplicateObject, pgkit::ProgrammingError>(runs("CREATE TYPE mood AS ENUM ('sad')"),
                                                                         "42710");
}

TEST_F(Errors, CardinalityViolation) {
  expect_database_error<pgkit::CardinalityViolation, pgkit::ProgrammingError>(
      runs("SELECT (SELECT g FROM generate_series(1, 2) AS g)"), "21000");
}

TEST_F(Errors, InvalidSchemaName) {
  expect_database_error<pgkit::InvalidSchemaName, pgkit::ProgrammingError>(
      runs("CREATE TABLE no_such_schema.t (a int)"), "3F000");
}

TEST_F(Errors, ConnectionSurvivesEveryStatementError) {
  EXPECT_THROW(conn().exec("SELECT 1 / 0"), pgkit::DataError);
  EXPECT_THROW(conn().exec("SELEC"), pgkit::ProgrammingError);
  EXPECT_TRUE(conn().is_open());
  EXPECT_EQ(conn().transaction_status(), pgkit::TransactionStatus::idle);
  EXPECT_EQ(conn().query_value<int>("SELECT 1"), 1);
}

TEST(SqlstateNames, KnownAndUnknownCodes) {
  EXPECT_EQ(pgkit::sqlstate_condition_name("23505"), "unique_violation");
  EXPECT_EQ(pgkit::sqlstate_condition_name("40001"), "serialization_failure");
  EXPECT_EQ(pgkit::sqlstate_condition_name("40P01"), "deadlock_detected");
  EXPECT_EQ(pgkit::sqlstate_condition_name("57014"), "query_canceled");
  EXPECT_EQ(pgkit::sqlstate_condition_name("00000"), "successful_completion");
  EXPECT_EQ(pgkit::sqlstate_condition_name("P0001"), "raise_exception");
  EXPECT_EQ(pgkit::sqlstate_condition_name("XX000"), "internal_error");
  EXPECT_EQ(pgkit::sqlstate_condition_name("ZZZZZ"), "");
  EXPECT_EQ(pgkit::sqlstate_condition_name(""), "");
  EXPECT_EQ(pgkit::sqlstate_condition_name("2350"), "");
}

TEST(ThrowDatabaseError, MapsCodesToClasses) {
  const auto throws = [](std::string code) {
    auto d = std::make_shared<pgkit::Diagnostics>();
    d->sqlstate = std::move(code);
    pgkit::throw_database_error("test", d);
  };
  EXPECT_THROW(throws("23505"), pgkit::UniqueViolation);
  EXPECT_THROW(throws("53300"), pgkit::TooManyConnections);
  EXPECT_THROW(throws("53100"), pgkit::InsufficientResources);
  EXPECT_THROW(throws("28P01"), pgkit::InvalidAuthorization);
  EXPECT_THROW(throws("57P01"), pgkit::AdminShutdown);
  EXPECT_THROW(throws("XX001"), pgkit::InternalError);
  try {
    throws("");
  } catch (const pgkit::Error& e) {
    EXPECT_TRUE(typeid(e) == typeid(pgkit::DatabaseError)) << typeid(e).name();
  }
  try {
    throws("4");
  } catch (const pgkit::Error& e) {
    EXPECT_TRUE(typeid(e) == typeid(pgkit::DatabaseError)) << typeid(e).name();
  }
}

}  // namespace
