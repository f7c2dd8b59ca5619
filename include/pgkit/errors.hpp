// pgkit's exceptions. Every exception pgkit throws derives from pgkit::Error.
//
// The tree follows PEP 249 (as psycopg's `errors` does):
//   Error
//   ├─ InterfaceError            misuse of the library: bad arguments, wrong parameter count, ...
//   │  ├─ ConversionError        a value cannot be converted between C++ and PostgreSQL
//   │  │  └─ UnexpectedNull      a NULL read as a plain (non-optional) type
//   │  └─ UnexpectedRowCount     query_one() and friends got a different number of rows
//   └─ DatabaseError             reported by the server or the connection; carries Diagnostics
//      ├─ DataError (22)  ├─ IntegrityError (23)  ├─ ProgrammingError (42, 26, 34, 3D, 3F, ...)
//      ├─ OperationalError (08, 40, 53, 55, 57, 58, ...)  ├─ InternalError (XX, 24, 25, ...)
//      └─ NotSupportedError (0A)
// Every SQLSTATE class maps to one of these categories; the common conditions have their own class
// (UniqueViolation, SerializationFailure, QueryCanceled, ...). The raw SQLSTATE is always available.
//
// Each class carries the SQLSTATE it stands for, from the generated constants of <pgkit/sqlstate.hpp>:
// `UniqueViolation::code` is sqlstate::unique_violation ("23505"), `DataError::code` the class "22";
// empty for a category spanning several classes. An error made from a message alone reports its class's
// code (a SQLSTATE class as its xx000 condition), so `SerializationFailure("...").sqlstate()` is "40001".
//
// Three questions a retry loop asks, answered by every Error (docs/driver.md, "Errors and retries"):
//   is_transient()        the same work may succeed if tried again (on a new connection if need be)
//   safe_to_retry()       the failed attempt is known to have left nothing committed on the server
//   poisons_connection()  the connection it came from cannot be used again
#pragma once

#include <pgkit/sqlstate.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pgkit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;

  // False for Error and InterfaceError (misuse, conversions: trying again changes nothing, and a
  // conversion error may come after the statement committed); DatabaseError answers from its SQLSTATE.
  [[nodiscard]] virtual bool is_transient() const noexcept { return false; }
  [[nodiscard]] virtual bool safe_to_retry() const noexcept { return false; }
  [[nodiscard]] virtual bool poisons_connection() const noexcept { return false; }
};

class InterfaceError : public Error {
 public:
  using Error::Error;
};

class ConversionError : public InterfaceError {
 public:
  using InterfaceError::InterfaceError;
};

class UnexpectedNull : public ConversionError {
 public:
  using ConversionError::ConversionError;
};

class UnexpectedRowCount : public InterfaceError {
 public:
  using InterfaceError::InterfaceError;
};

// What the server said about an error (PostgreSQL's error message fields). Empty strings where the
// server sent nothing; `position` is 1-based in characters, 0 when absent.
struct Diagnostics {
  std::string sqlstate;
  std::string severity;
  std::string message_primary;
  std::string detail;
  std::string hint;
  std::string context;
  std::string schema_name;
  std::string table_name;
  std::string column_name;
  std::string datatype_name;
  std::string constraint_name;
  std::string internal_query;
  int position = 0;
  int internal_position = 0;
};

// The SQLSTATE class of a code: its first two characters ("08" for "08006").
constexpr std::string_view sqlstate_class_of(std::string_view code) noexcept { return code.substr(0, 2); }

namespace detail {
// Diagnostics holding only the SQLSTATE an error class stands for: a five-character code as it is, a
// two-character class as its xx000 condition, nothing for an empty code.
std::shared_ptr<const Diagnostics> diagnostics_for(std::string_view code);
}  // namespace detail

class DatabaseError : public Error {
 public:
  static constexpr std::string_view code{};

  DatabaseError(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics)
      : Error(what), diagnostics_(std::move(diagnostics)) {}
  explicit DatabaseError(const std::string& what) : DatabaseError(what, detail::diagnostics_for(code)) {}

  [[nodiscard]] const Diagnostics& diagnostics() const noexcept { return *diagnostics_; }
  // Five characters ("23505"), or empty for a problem detected on the client (a lost connection).
  [[nodiscard]] const std::string& sqlstate() const noexcept { return diagnostics_->sqlstate; }
  // PostgreSQL's name for the SQLSTATE ("unique_violation"), or empty when unknown.
  [[nodiscard]] std::string_view condition_name() const noexcept;

  // From the SQLSTATE and severity. Transient: serialization_failure and deadlock_detected (40001,
  // 40P01), connection exceptions (class 08 but protocol_violation), admin_shutdown, crash_shutdown,
  // cannot_connect_now, idle_session_timeout (57P01-57P03, 57P05), too_many_connections (53300).
  [[nodiscard]] bool is_transient() const noexcept override;
  // The server refused the statement, so it and its transaction committed nothing; false without a
  // SQLSTATE and for transaction_resolution_unknown and statement_completion_unknown (08007, 40003).
  [[nodiscard]] bool safe_to_retry() const noexcept override;
  // Severity FATAL or PANIC, a connection exception (class 08), or 57P01-57P03.
  [[nodiscard]] bool poisons_connection() const noexcept override;

 private:
  std::shared_ptr<const Diagnostics> diagnostics_;
};

// A class deriving from Base that stands for SQLSTATE (or class) Code; the tree below is only names.
// (A class name cannot be parenthesised.)
// NOLINTNEXTLINE(bugprone-macro-parentheses)
#define PGKIT_DEFINE_ERROR(Name, Base, Code)                                                    \
  class Name : public Base {                                                                    \
   public:                                                                                      \
    static constexpr std::string_view code = Code;                                              \
    Name(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics)               \
        : Base(what, std::move(diagnostics)) {}                                                 \
    explicit Name(const std::string& what) : Base(what, detail::diagnostics_for(code)) {}       \
  }

PGKIT_DEFINE_ERROR(DataError, DatabaseError, sqlstate_class::data_exception);
PGKIT_DEFINE_ERROR(OperationalError, DatabaseError, {});
PGKIT_DEFINE_ERROR(IntegrityError, DatabaseError, sqlstate_class::integrity_constraint_violation);
PGKIT_DEFINE_ERROR(InternalError, DatabaseError, {});
PGKIT_DEFINE_ERROR(ProgrammingError, DatabaseError, {});
PGKIT_DEFINE_ERROR(NotSupportedError, DatabaseError, sqlstate_class::feature_not_supported);

// 22: data exceptions
PGKIT_DEFINE_ERROR(StringDataRightTruncation, DataError, sqlstate::string_data_right_truncation);
PGKIT_DEFINE_ERROR(NumericValueOutOfRange, DataError, sqlstate::numeric_value_out_of_range);
PGKIT_DEFINE_ERROR(InvalidDatetimeFormat, DataError, sqlstate::invalid_datetime_format);
PGKIT_DEFINE_ERROR(DatetimeFieldOverflow, DataError, sqlstate::datetime_field_overflow);
PGKIT_DEFINE_ERROR(DivisionByZero, DataError, sqlstate::division_by_zero);
PGKIT_DEFINE_ERROR(CharacterNotInRepertoire, DataError, sqlstate::character_not_in_repertoire);  // invalid UTF-8
PGKIT_DEFINE_ERROR(InvalidTextRepresentation, DataError, sqlstate::invalid_text_representation);
PGKIT_DEFINE_ERROR(UntranslatableCharacter, DataError, sqlstate::untranslatable_character);

// 23: integrity constraint violations
PGKIT_DEFINE_ERROR(RestrictViolation, IntegrityError, sqlstate::restrict_violation);
PGKIT_DEFINE_ERROR(NotNullViolation, IntegrityError, sqlstate::not_null_violation);
PGKIT_DEFINE_ERROR(ForeignKeyViolation, IntegrityError, sqlstate::foreign_key_violation);
PGKIT_DEFINE_ERROR(UniqueViolation, IntegrityError, sqlstate::unique_violation);
PGKIT_DEFINE_ERROR(CheckViolation, IntegrityError, sqlstate::check_violation);
PGKIT_DEFINE_ERROR(ExclusionViolation, IntegrityError, sqlstate::exclusion_violation);

// Connections. ConnectionFailure: could not connect (pgkit reports libpq's refusals as 08001).
PGKIT_DEFINE_ERROR(ConnectionFailure, OperationalError, sqlstate_class::connection_exception);
PGKIT_DEFINE_ERROR(CannotConnectNow, ConnectionFailure, sqlstate::cannot_connect_now);  // starting up, shutting down
PGKIT_DEFINE_ERROR(InvalidAuthorization, ConnectionFailure, sqlstate_class::invalid_authorization_specification);

// A working connection went away (also raised, without a round trip, by every later call on it).
// Transient (a new connection may do), never safe to retry (what was in flight may have committed),
// and the connection is done for, whatever the SQLSTATE says.
class ConnectionLost : public OperationalError {
 public:
  using OperationalError::OperationalError;
  [[nodiscard]] bool is_transient() const noexcept override { return true; }
  [[nodiscard]] bool safe_to_retry() const noexcept override { return false; }
  [[nodiscard]] bool poisons_connection() const noexcept override { return true; }
};
PGKIT_DEFINE_ERROR(AdminShutdown, ConnectionLost, sqlstate::admin_shutdown);  // terminated by an administrator
PGKIT_DEFINE_ERROR(CrashShutdown, ConnectionLost, sqlstate::crash_shutdown);

// Operational conditions
// A cancel, statement_timeout, or a pgkit timeout.
PGKIT_DEFINE_ERROR(QueryCanceled, OperationalError, sqlstate::query_canceled);
PGKIT_DEFINE_ERROR(TransactionRollback, OperationalError, sqlstate_class::transaction_rollback);
PGKIT_DEFINE_ERROR(SerializationFailure, TransactionRollback, sqlstate::serialization_failure);
PGKIT_DEFINE_ERROR(DeadlockDetected, TransactionRollback, sqlstate::deadlock_detected);
PGKIT_DEFINE_ERROR(InsufficientResources, OperationalError, sqlstate_class::insufficient_resources);
PGKIT_DEFINE_ERROR(TooManyConnections, InsufficientResources, sqlstate::too_many_connections);
PGKIT_DEFINE_ERROR(LockNotAvailable, OperationalError, sqlstate::lock_not_available);
PGKIT_DEFINE_ERROR(ObjectInUse, OperationalError, sqlstate::object_in_use);

// 25: invalid transaction state
PGKIT_DEFINE_ERROR(ActiveSqlTransaction, InternalError, sqlstate::active_sql_transaction);
// Writing on a standby or in a read-only transaction.
PGKIT_DEFINE_ERROR(ReadOnlySqlTransaction, InternalError, sqlstate::read_only_sql_transaction);
PGKIT_DEFINE_ERROR(NoActiveSqlTransaction, InternalError, sqlstate::no_active_sql_transaction);
PGKIT_DEFINE_ERROR(InFailedSqlTransaction, InternalError, sqlstate::in_failed_sql_transaction);

// Programming errors: syntax, names, privileges
PGKIT_DEFINE_ERROR(SyntaxError, ProgrammingError, sqlstate::syntax_error);
PGKIT_DEFINE_ERROR(InsufficientPrivilege, ProgrammingError, sqlstate::insufficient_privilege);
PGKIT_DEFINE_ERROR(UndefinedTable, ProgrammingError, sqlstate::undefined_table);
PGKIT_DEFINE_ERROR(UndefinedColumn, ProgrammingError, sqlstate::undefined_column);
PGKIT_DEFINE_ERROR(UndefinedFunction, ProgrammingError, sqlstate::undefined_function);
PGKIT_DEFINE_ERROR(UndefinedObject, ProgrammingError, sqlstate::undefined_object);
PGKIT_DEFINE_ERROR(DuplicateTable, ProgrammingError, sqlstate::duplicate_table);
PGKIT_DEFINE_ERROR(DuplicateObject, ProgrammingError, sqlstate::duplicate_object);
PGKIT_DEFINE_ERROR(DuplicateDatabase, ProgrammingError, sqlstate::duplicate_database);
PGKIT_DEFINE_ERROR(DatatypeMismatch, ProgrammingError, sqlstate::datatype_mismatch);
PGKIT_DEFINE_ERROR(InvalidCatalogName, ProgrammingError, sqlstate::invalid_catalog_name);  // no such database
PGKIT_DEFINE_ERROR(InvalidSchemaName, ProgrammingError, sqlstate::invalid_schema_name);
// No such prepared statement.
PGKIT_DEFINE_ERROR(InvalidSqlStatementName, ProgrammingError, sqlstate::invalid_sql_statement_name);
PGKIT_DEFINE_ERROR(CardinalityViolation, ProgrammingError, sqlstate::cardinality_violation);
PGKIT_DEFINE_ERROR(RaiseException, ProgrammingError, sqlstate::raise_exception);  // RAISE in PL/pgSQL

PGKIT_DEFINE_ERROR(FeatureNotSupported, NotSupportedError, sqlstate::feature_not_supported);

#undef PGKIT_DEFINE_ERROR

// PostgreSQL's name for a SQLSTATE ("unique_violation"), or empty when unknown.
std::string_view sqlstate_condition_name(std::string_view sqlstate) noexcept;

// Throws the DatabaseError subclass for `diagnostics.sqlstate`, with `what` as the message.
[[noreturn]] void throw_database_error(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics);

}  // namespace pgkit
