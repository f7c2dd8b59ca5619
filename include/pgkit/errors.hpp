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
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pgkit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
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

class DatabaseError : public Error {
 public:
  DatabaseError(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics)
      : Error(what), diagnostics_(std::move(diagnostics)) {}
  explicit DatabaseError(const std::string& what) : DatabaseError(what, std::make_shared<Diagnostics>()) {}

  [[nodiscard]] const Diagnostics& diagnostics() const noexcept { return *diagnostics_; }
  // Five characters ("23505"), or empty for a problem detected on the client (a lost connection).
  [[nodiscard]] const std::string& sqlstate() const noexcept { return diagnostics_->sqlstate; }
  // PostgreSQL's name for the SQLSTATE ("unique_violation"), or empty when unknown.
  [[nodiscard]] std::string_view condition_name() const noexcept;

 private:
  std::shared_ptr<const Diagnostics> diagnostics_;
};

// A class deriving from Base with Base's constructors; the tree below is only names.
#define PGKIT_DEFINE_ERROR(Name, Base) \
  class Name : public Base {           \
   public:                             \
    using Base::Base;                  \
  }

PGKIT_DEFINE_ERROR(DataError, DatabaseError);
PGKIT_DEFINE_ERROR(OperationalError, DatabaseError);
PGKIT_DEFINE_ERROR(IntegrityError, DatabaseError);
PGKIT_DEFINE_ERROR(InternalError, DatabaseError);
PGKIT_DEFINE_ERROR(ProgrammingError, DatabaseError);
PGKIT_DEFINE_ERROR(NotSupportedError, DatabaseError);

// 22: data exceptions
PGKIT_DEFINE_ERROR(StringDataRightTruncation, DataError);  // 22001
PGKIT_DEFINE_ERROR(NumericValueOutOfRange, DataError);     // 22003
PGKIT_DEFINE_ERROR(InvalidDatetimeFormat, DataError);      // 22007
PGKIT_DEFINE_ERROR(DatetimeFieldOverflow, DataError);      // 22008
PGKIT_DEFINE_ERROR(DivisionByZero, DataError);             // 22012
PGKIT_DEFINE_ERROR(CharacterNotInRepertoire, DataError);   // 22021 (e.g. invalid UTF-8)
PGKIT_DEFINE_ERROR(InvalidTextRepresentation, DataError);  // 22P02
PGKIT_DEFINE_ERROR(UntranslatableCharacter, DataError);    // 22P05

// 23: integrity constraint violations
PGKIT_DEFINE_ERROR(RestrictViolation, IntegrityError);    // 23001
PGKIT_DEFINE_ERROR(NotNullViolation, IntegrityError);     // 23502
PGKIT_DEFINE_ERROR(ForeignKeyViolation, IntegrityError);  // 23503
PGKIT_DEFINE_ERROR(UniqueViolation, IntegrityError);      // 23505
PGKIT_DEFINE_ERROR(CheckViolation, IntegrityError);       // 23514
PGKIT_DEFINE_ERROR(ExclusionViolation, IntegrityError);   // 23P01

// Connections. ConnectionFailure: could not connect. ConnectionLost: a working connection went away
// (also raised, without a round trip, by every later call on it).
PGKIT_DEFINE_ERROR(ConnectionFailure, OperationalError);   // 08xxx while connecting
PGKIT_DEFINE_ERROR(CannotConnectNow, ConnectionFailure);   // 57P03 (starting up, shutting down)
PGKIT_DEFINE_ERROR(InvalidAuthorization, ConnectionFailure);  // 28xxx
PGKIT_DEFINE_ERROR(ConnectionLost, OperationalError);
PGKIT_DEFINE_ERROR(AdminShutdown, ConnectionLost);         // 57P01 (terminated by an administrator)
PGKIT_DEFINE_ERROR(CrashShutdown, ConnectionLost);         // 57P02

// Operational conditions
PGKIT_DEFINE_ERROR(QueryCanceled, OperationalError);        // 57014 (cancel, statement_timeout, pgkit timeouts)
PGKIT_DEFINE_ERROR(TransactionRollback, OperationalError);  // 40
PGKIT_DEFINE_ERROR(SerializationFailure, TransactionRollback);  // 40001
PGKIT_DEFINE_ERROR(DeadlockDetected, TransactionRollback);      // 40P01
PGKIT_DEFINE_ERROR(InsufficientResources, OperationalError);    // 53
PGKIT_DEFINE_ERROR(TooManyConnections, InsufficientResources);  // 53300
PGKIT_DEFINE_ERROR(LockNotAvailable, OperationalError);         // 55P03
PGKIT_DEFINE_ERROR(ObjectInUse, OperationalError);              // 55006

// 25: invalid transaction state
PGKIT_DEFINE_ERROR(ActiveSqlTransaction, InternalError);    // 25001
PGKIT_DEFINE_ERROR(ReadOnlySqlTransaction, InternalError);  // 25006 (writing on a standby or read-only tx)
PGKIT_DEFINE_ERROR(NoActiveSqlTransaction, InternalError);  // 25P01
PGKIT_DEFINE_ERROR(InFailedSqlTransaction, InternalError);  // 25P02

// Programming errors: syntax, names, privileges
PGKIT_DEFINE_ERROR(SyntaxError, ProgrammingError);              // 42601
PGKIT_DEFINE_ERROR(InsufficientPrivilege, ProgrammingError);    // 42501
PGKIT_DEFINE_ERROR(UndefinedTable, ProgrammingError);           // 42P01
PGKIT_DEFINE_ERROR(UndefinedColumn, ProgrammingError);          // 42703
PGKIT_DEFINE_ERROR(UndefinedFunction, ProgrammingError);        // 42883
PGKIT_DEFINE_ERROR(UndefinedObject, ProgrammingError);          // 42704
PGKIT_DEFINE_ERROR(DuplicateTable, ProgrammingError);           // 42P07
PGKIT_DEFINE_ERROR(DuplicateObject, ProgrammingError);          // 42710
PGKIT_DEFINE_ERROR(DuplicateDatabase, ProgrammingError);        // 42P04
PGKIT_DEFINE_ERROR(DatatypeMismatch, ProgrammingError);         // 42804
PGKIT_DEFINE_ERROR(InvalidCatalogName, ProgrammingError);       // 3D000 (no such database)
PGKIT_DEFINE_ERROR(InvalidSchemaName, ProgrammingError);        // 3F000
PGKIT_DEFINE_ERROR(InvalidSqlStatementName, ProgrammingError);  // 26000 (no such prepared statement)
PGKIT_DEFINE_ERROR(CardinalityViolation, ProgrammingError);     // 21000
PGKIT_DEFINE_ERROR(RaiseException, ProgrammingError);           // P0001 (RAISE in PL/pgSQL)

PGKIT_DEFINE_ERROR(FeatureNotSupported, NotSupportedError);  // 0A000

#undef PGKIT_DEFINE_ERROR

// PostgreSQL's name for a SQLSTATE ("unique_violation"), or empty when unknown.
std::string_view sqlstate_condition_name(std::string_view sqlstate) noexcept;

// Throws the DatabaseError subclass for `diagnostics.sqlstate`, with `what` as the message.
[[noreturn]] void throw_database_error(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics);

}  // namespace pgkit
