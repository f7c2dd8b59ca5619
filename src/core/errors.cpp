#include <pgkit/errors.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace pgkit {
namespace {

struct SqlstateName {
  std::string_view code;
  std::string_view name;
};

constexpr SqlstateName sqlstate_names[] = {
#include "sqlstate_table.inc"
};

static_assert(std::is_sorted(std::begin(sqlstate_names), std::end(sqlstate_names),
                             [](const auto& a, const auto& b) { return a.code < b.code; }));

template <class E>
[[noreturn]] void raise(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics) {
  throw E(what, std::move(diagnostics));
}

using Raiser = void (*)(const std::string&, std::shared_ptr<const Diagnostics>);

struct ErrorClass {
  std::string_view code;  // a full SQLSTATE, or a two-character class
  Raiser raise;
};

// Conditions with their own exception class, sorted by SQLSTATE.
constexpr ErrorClass conditions[] = {
    {"0A000", raise<FeatureNotSupported>},
    {"21000", raise<CardinalityViolation>},
    {"22001", raise<StringDataRightTruncation>},
    {"22003", raise<NumericValueOutOfRange>},
    {"22007", raise<InvalidDatetimeFormat>},
    {"22008", raise<DatetimeFieldOverflow>},
    {"22012", raise<DivisionByZero>},
    {"22021", raise<CharacterNotInRepertoire>},
    {"22P02", raise<InvalidTextRepresentation>},
    {"22P05", raise<UntranslatableCharacter>},
    {"23001", raise<RestrictViolation>},
    {"23502", raise<NotNullViolation>},
    {"23503", raise<ForeignKeyViolation>},
    {"23505", raise<UniqueViolation>},
    {"23514", raise<CheckViolation>},
    {"23P01", raise<ExclusionViolation>},
    {"25001", raise<ActiveSqlTransaction>},
    {"25006", raise<ReadOnlySqlTransaction>},
    {"25P01", raise<NoActiveSqlTransaction>},
    {"25P02", raise<InFailedSqlTransaction>},
    {"26000", raise<InvalidSqlStatementName>},
    {"3D000", raise<InvalidCatalogName>},
    {"3F000", raise<InvalidSchemaName>},
    {"40001", raise<SerializationFailure>},
    {"40P01", raise<DeadlockDetected>},
    {"42501", raise<InsufficientPrivilege>},
    {"42601", raise<SyntaxError>},
    {"42703", raise<UndefinedColumn>},
    {"42704", raise<UndefinedObject>},
    {"42710", raise<DuplicateObject>},
    {"42804", raise<DatatypeMismatch>},
    {"42883", raise<UndefinedFunction>},
    {"42P01", raise<UndefinedTable>},
    {"42P04", raise<DuplicateDatabase>},
    {"42P07", raise<DuplicateTable>},
    {"53300", raise<TooManyConnections>},
    {"55006", raise<ObjectInUse>},
    {"55P03", raise<LockNotAvailable>},
    {"57014", raise<QueryCanceled>},
    {"57P01", raise<AdminShutdown>},
    {"57P02", raise<CrashShutdown>},
    {"57P03", raise<CannotConnectNow>},
    {"P0001", raise<RaiseException>},
};

// Every SQLSTATE class of PostgreSQL 15's errcodes.txt, by PEP 249 category. Sorted by class.
constexpr ErrorClass classes[] = {
    {"03", raise<OperationalError>},        // SQL statement not yet complete
    {"08", raise<ConnectionFailure>},       // connection exception
    {"09", raise<ProgrammingError>},        // triggered action exception
    {"0A", raise<NotSupportedError>},       // feature not supported
    {"0B", raise<InternalError>},           // invalid transaction initiation
    {"0F", raise<ProgrammingError>},        // locator exception
    {"0L", raise<ProgrammingError>},        // invalid grantor
    {"0P", raise<ProgrammingError>},        // invalid role specification
    {"0Z", raise<ProgrammingError>},        // diagnostics exception
    {"20", raise<ProgrammingError>},        // case not found
    {"21", raise<ProgrammingError>},        // cardinality violation
    {"22", raise<DataError>},               // data exception
    {"23", raise<IntegrityError>},          // integrity constraint violation
    {"24", raise<InternalError>},           // invalid cursor state
    {"25", raise<InternalError>},           // invalid transaction state
    {"26", raise<ProgrammingError>},        // invalid SQL statement name
    {"27", raise<OperationalError>},        // triggered data change violation
    {"28", raise<InvalidAuthorization>},    // invalid authorization specification
    {"2B", raise<InternalError>},           // dependent privilege descriptors still exist
    {"2D", raise<InternalError>},           // invalid transaction termination
    {"2F", raise<OperationalError>},        // SQL routine exception
    {"34", raise<ProgrammingError>},        // invalid cursor name
    {"38", raise<OperationalError>},        // external routine exception
    {"39", raise<OperationalError>},        // external routine invocation exception
    {"3B", raise<OperationalError>},        // savepoint exception
    {"3D", raise<ProgrammingError>},        // invalid catalog name
    {"3F", raise<ProgrammingError>},        // invalid schema name
    {"40", raise<TransactionRollback>},     // transaction rollback
    {"42", raise<ProgrammingError>},        // syntax error or access rule violation
    {"44", raise<ProgrammingError>},        // WITH CHECK OPTION violation
    {"53", raise<InsufficientResources>},   // insufficient resources
    {"54", raise<OperationalError>},        // program limit exceeded
    {"55", raise<OperationalError>},        // object not in prerequisite state
    {"57", raise<OperationalError>},        // operator intervention
    {"58", raise<OperationalError>},        // system error (external to PostgreSQL)
    {"72", raise<OperationalError>},        // snapshot failure
    {"F0", raise<OperationalError>},        // configuration file error
    {"HV", raise<OperationalError>},        // foreign data wrapper error
    {"P0", raise<ProgrammingError>},        // PL/pgSQL error
    {"XX", raise<InternalError>},           // internal error
};

template <std::size_t N>
const ErrorClass* find(const ErrorClass (&table)[N], std::string_view code) {
  const auto* it = std::lower_bound(std::begin(table), std::end(table), code,
                                    [](const ErrorClass& entry, std::string_view key) { return entry.code < key; });
  return (it != std::end(table) && it->code == code) ? it : nullptr;
}

}  // namespace

std::string_view sqlstate_condition_name(std::string_view sqlstate) noexcept {
  const auto* it = std::lower_bound(std::begin(sqlstate_names), std::end(sqlstate_names), sqlstate,
                                    [](const SqlstateName& entry, std::string_view key) { return entry.code < key; });
  return (it != std::end(sqlstate_names) && it->code == sqlstate) ? it->name : std::string_view{};
}

std::string_view DatabaseError::condition_name() const noexcept { return sqlstate_condition_name(sqlstate()); }

void throw_database_error(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics) {
  const std::string_view code = diagnostics->sqlstate;
  if (code.size() == 5) {
    if (const auto* condition = find(conditions, code)) condition->raise(what, std::move(diagnostics));
    if (const auto* category = find(classes, code.substr(0, 2))) category->raise(what, std::move(diagnostics));
  }
  throw DatabaseError(what, std::move(diagnostics));
}

}  // namespace pgkit
