// The SQLSTATE each error class carries, the generated constants, and the retry predicates
// (is_transient, safe_to_retry, poisons_connection) of errors the server really produces.
#include "connection_helpers.hpp"

#include <pgkit/connection.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/sqlstate.hpp>
#include <pgkit/transaction.hpp>

#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <typeinfo>

namespace {

using namespace std::chrono_literals;
using pgkit::testing::DatabaseTest;
namespace sqlstate = pgkit::sqlstate;

struct Answers {
  bool transient;
  bool safe;
  bool poisons;
};

// Runs `action`, which must throw a pgkit::Error, and checks its three answers.
template <class Expected = pgkit::Error>
void expect_answers(const std::function<void()>& action, Answers answers) {
  try {
    action();
    ADD_FAILURE() << "nothing was thrown";
  } catch (const pgkit::Error& e) {
    EXPECT_NE(dynamic_cast<const Expected*>(&e), nullptr) << typeid(e).name() << ": " << e.what();
    EXPECT_EQ(e.is_transient(), answers.transient) << e.what();
    EXPECT_EQ(e.safe_to_retry(), answers.safe) << e.what();
    EXPECT_EQ(e.poisons_connection(), answers.poisons) << e.what();
  }
}

class ErrorPredicates : public DatabaseTest {
 protected:
  void SetUp() override {
    conn_.emplace(connect());
    // Raises the condition named (or the SQLSTATE given) as an ERROR, as PL/pgSQL resolves it.
    conn().exec(
        "CREATE OR REPLACE FUNCTION raise_condition(condition text) RETURNS void LANGUAGE plpgsql AS "
        "$$BEGIN RAISE EXCEPTION 'raised %', condition USING ERRCODE = condition; END$$");
  }
  pgkit::Connection& conn() { return *conn_; }
  void raise_named(std::string_view condition) { conn().exec("SELECT raise_condition($1)", std::string(condition)); }

 private:
  std::optional<pgkit::Connection> conn_;
};

TEST_F(ErrorPredicates, SerializationFailureBetweenTwoConnectionsIsRetryable) {
  conn().exec("CREATE TABLE balances (id int PRIMARY KEY, amount int)");
  conn().exec("INSERT INTO balances VALUES (1, 100)");
  auto other = connect();
  const pgkit::TransactionOptions serializable{.isolation = pgkit::IsolationLevel::serializable};
  pgkit::Transaction mine(conn(), serializable);
  (void)conn().query_value<int>("SELECT amount FROM balances WHERE id = 1");  // takes the snapshot
  {
    pgkit::Transaction theirs(other, serializable);
    other.exec("UPDATE balances SET amount = amount - 10 WHERE id = 1");
    theirs.commit();
  }
  expect_answers<pgkit::SerializationFailure>(
      [&] { conn().exec("UPDATE balances SET amount = amount + 10 WHERE id = 1"); },
      {.transient = true, .safe = true, .poisons = false});
  mine.rollback();
  EXPECT_EQ(conn().query_value<int>("SELECT amount FROM balances WHERE id = 1"), 90) << "the connection serves on";
}

TEST_F(ErrorPredicates, DeadlockIsRetryable) {
  conn().exec("CREATE TABLE locks (id int PRIMARY KEY)");
  conn().exec("INSERT INTO locks VALUES (1), (2)");
  auto first = connect();
  auto second = connect();
  first.exec("SET deadlock_timeout = '60s'");  // the second session is the victim
  second.exec("SET deadlock_timeout = '10ms'");
  pgkit::Transaction first_tx(first);
  pgkit::Transaction second_tx(second);
  first.exec("SELECT FROM locks WHERE id = 1 FOR UPDATE");
  second.exec("SELECT FROM locks WHERE id = 2 FOR UPDATE");
  const int first_pid = first.backend_pid();
  std::exception_ptr first_error;
  std::thread blocked([&] {
    try {
      first.exec("SELECT FROM locks WHERE id = 2 FOR UPDATE");
    } catch (...) {
      first_error = std::current_exception();
    }
  });
  ASSERT_TRUE(pgkit::testing::eventually([&] { return pgkit::testing::backend_waits_for_lock(conn(), first_pid); }));
  expect_answers<pgkit::DeadlockDetected>([&] { second.exec("SELECT FROM locks WHERE id = 1 FOR UPDATE"); },
                                          {.transient = true, .safe = true, .poisons = false});
  second_tx.rollback();
  blocked.join();
  EXPECT_EQ(first_error, nullptr);
  first_tx.commit();
}

TEST_F(ErrorPredicates, TerminatedBackendPoisonsTheConnectionAndIsNotSafeToRetry) {
  auto victim = connect();
  // pg_terminate_backend with a timeout returns once the backend is gone.
  ASSERT_TRUE(conn().query_value<bool>("SELECT pg_terminate_backend($1, 10000)", victim.backend_pid()));
  expect_answers<pgkit::ConnectionLost>([&] { victim.exec("SELECT 1"); },
                                        {.transient = true, .safe = false, .poisons = true});
  // Later calls fail without a round trip, with the same answers.
  expect_answers<pgkit::ConnectionLost>([&] { victim.exec("SELECT 1"); },
                                        {.transient = true, .safe = false, .poisons = true});
}

TEST_F(ErrorPredicates, QueryCanceledIsNeitherTransientNorPoisonous) {
  conn().exec("SET statement_timeout = '50ms'");
  expect_answers<pgkit::QueryCanceled>([&] { conn().exec("SELECT pg_sleep(5)"); },
                                       {.transient = false, .safe = true, .poisons = false});
  conn().exec("RESET statement_timeout");
  EXPECT_EQ(conn().query_value<int>("SELECT 1"), 1);
}

TEST_F(ErrorPredicates, OrdinaryServerErrorsAreSafeButNotTransient) {
  conn().exec("CREATE TABLE uniques (id int PRIMARY KEY)");
  conn().exec("INSERT INTO uniques VALUES (1)");
  expect_answers<pgkit::UniqueViolation>([&] { conn().exec("INSERT INTO uniques VALUES (1)"); },
                                         {.transient = false, .safe = true, .poisons = false});
  expect_answers<pgkit::SyntaxError>([&] { conn().exec("SELEC 1"); },
                                     {.transient = false, .safe = true, .poisons = false});
  conn().exec("SET default_transaction_read_only = on");
  expect_answers<pgkit::ReadOnlySqlTransaction>([&] { conn().exec("INSERT INTO uniques VALUES (2)"); },
                                                {.transient = false, .safe = true, .poisons = false});
}

TEST_F(ErrorPredicates, AFailedConnectionAttemptIsTransientAndSafe) {
  expect_answers<pgkit::ConnectionFailure>([] { pgkit::Connection("host=/nonexistent/pgkit-no-socket port=5432"); },
                                           {.transient = true, .safe = true, .poisons = true});
}

TEST_F(ErrorPredicates, OutcomeUnknownCodesAreNotSafe) {
  // Raised on purpose: the server never sends these on its own in a test.
  for (const auto code : {sqlstate::transaction_resolution_unknown, sqlstate::statement_completion_unknown}) {
    expect_answers<pgkit::DatabaseError>([&] { raise_named(code); },
                                         {.transient = code == sqlstate::transaction_resolution_unknown,
                                          .safe = false,
                                          .poisons = code == sqlstate::transaction_resolution_unknown});
  }
}

TEST(ErrorPredicatesOfClientErrors, InterfaceErrorsAnswerNo) {
  const pgkit::InterfaceError misuse("bad argument");
  EXPECT_FALSE(misuse.is_transient());
  EXPECT_FALSE(misuse.safe_to_retry());
  EXPECT_FALSE(misuse.poisons_connection());
  const pgkit::ConversionError conversion("not an int");
  EXPECT_FALSE(conversion.safe_to_retry()) << "the statement may have committed before its result was read";
  const pgkit::DatabaseError unknown("no SQLSTATE");
  EXPECT_FALSE(unknown.safe_to_retry());
  EXPECT_FALSE(unknown.is_transient());
}

// ---- the code each class carries ---------------------------------------------------------------

template <class E>
void expect_carries(std::string_view code) {
  SCOPED_TRACE(typeid(E).name());
  EXPECT_EQ(E::code, code);
  const E made("made by hand");
  EXPECT_EQ(made.sqlstate(), code.size() == 2 ? std::string(code) + "000" : std::string(code));
  EXPECT_FALSE(made.condition_name().empty()) << made.sqlstate();
  // throw_database_error maps the code back to the class (or, for a class code, to a class under it).
  auto diagnostics = std::make_shared<pgkit::Diagnostics>();
  diagnostics->sqlstate = made.sqlstate();
  try {
    pgkit::throw_database_error("mapped", diagnostics);
  } catch (const pgkit::DatabaseError& e) {
    if (code.size() == 5) {
      EXPECT_TRUE(typeid(e) == typeid(E)) << typeid(e).name();
    } else {
      EXPECT_NE(dynamic_cast<const E*>(&e), nullptr) << typeid(e).name();
    }
  }
}

TEST(ErrorCodes, EachClassCarriesItsSqlstate) {
  expect_carries<pgkit::UniqueViolation>("23505");
  expect_carries<pgkit::SerializationFailure>("40001");
  expect_carries<pgkit::DeadlockDetected>("40P01");
  expect_carries<pgkit::QueryCanceled>("57014");
  expect_carries<pgkit::AdminShutdown>("57P01");
  expect_carries<pgkit::ReadOnlySqlTransaction>("25006");
  expect_carries<pgkit::InvalidSqlStatementName>("26000");
  expect_carries<pgkit::FeatureNotSupported>("0A000");
  expect_carries<pgkit::RaiseException>("P0001");
  expect_carries<pgkit::DataError>("22");
  expect_carries<pgkit::IntegrityError>("23");
  expect_carries<pgkit::ConnectionFailure>("08");
  expect_carries<pgkit::InvalidAuthorization>("28");
  expect_carries<pgkit::TransactionRollback>("40");
  EXPECT_TRUE(pgkit::OperationalError::code.empty()) << "a category spanning several classes has no code";
  EXPECT_EQ(pgkit::OperationalError("x").sqlstate(), "");
}

TEST(ErrorCodes, ConstantsAreTheCodesOfTheirNames) {
  EXPECT_EQ(sqlstate::query_canceled, "57014");
  EXPECT_EQ(sqlstate::read_only_sql_transaction, "25006");
  EXPECT_EQ(sqlstate::serialization_failure, "40001");
  EXPECT_EQ(sqlstate::admin_shutdown, "57P01");
  // Names PostgreSQL uses twice keep the plain name for the error and the macro's name for the other.
  EXPECT_EQ(sqlstate::string_data_right_truncation, "22001");
  EXPECT_EQ(sqlstate::warning_string_data_right_truncation, "01004");
  EXPECT_EQ(sqlstate::null_value_not_allowed, "22004");
  EXPECT_EQ(sqlstate::e_r_i_e_null_value_not_allowed, "39004");
  EXPECT_EQ(pgkit::sqlstate_class::connection_exception, "08");
  EXPECT_EQ(pgkit::sqlstate_class_of(sqlstate::connection_failure), pgkit::sqlstate_class::connection_exception);
  EXPECT_EQ(pgkit::sqlstate_condition_name(sqlstate::deadlock_detected), "deadlock_detected");
}

TEST_F(ErrorPredicates, TheServerAgreesWithTheConstants) {
  // PL/pgSQL knows the conditions by name: what it raises for a name is the code the constant holds.
  // (admin_shutdown and friends are left out: raised, they would read as a lost connection.)
  const std::pair<std::string_view, std::string_view> named[] = {
      {"query_canceled", sqlstate::query_canceled},
      {"serialization_failure", sqlstate::serialization_failure},
      {"deadlock_detected", sqlstate::deadlock_detected},
      {"read_only_sql_transaction", sqlstate::read_only_sql_transaction},
      {"unique_violation", sqlstate::unique_violation},
      {"lock_not_available", sqlstate::lock_not_available},
      {"idle_session_timeout", sqlstate::idle_session_timeout},
      {"too_many_connections", sqlstate::too_many_connections},
  };
  for (const auto& [name, code] : named) {
    try {
      raise_named(name);
      ADD_FAILURE() << name << " raised nothing";
    } catch (const pgkit::DatabaseError& e) {
      EXPECT_EQ(e.sqlstate(), code) << name;
    }
  }
}

}  // namespace
