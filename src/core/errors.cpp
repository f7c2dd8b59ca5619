#include <pgkit/errors.hpp>

#include <fmt/format.h>

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

// An error class with the code it carries.
template <class E>
constexpr ErrorClass of() {
  return {E::code, raise<E>};
}

// Conditions with their own exception class, sorted by SQLSTATE.
constexpr ErrorClass conditions[] = {
    of<FeatureNotSupported>(),
    of<CardinalityViolation>(),
    of<StringDataRightTruncation>(),
    of<NumericValueOutOfRange>(),
    of<InvalidDatetimeFormat>(),
    of<DatetimeFieldOverflow>(),
    of<DivisionByZero>(),
    of<CharacterNotInRepertoire>(),
    of<InvalidTextRepresentation>(),
    of<UntranslatableCharacter>(),
    of<RestrictViolation>(),
    of<NotNullViolation>(),
    of<ForeignKeyViolation>(),
    of<UniqueViolation>(),
    of<CheckViolation>(),
    of<ExclusionViolation>(),
    of<ActiveSqlTransaction>(),
    of<ReadOnlySqlTransaction>(),
    of<NoActiveSqlTransaction>(),
    of<InFailedSqlTransaction>(),
    of<InvalidSqlStatementName>(),
    of<InvalidCatalogName>(),
    of<InvalidSchemaName>(),
    of<SerializationFailure>(),
    of<DeadlockDetected>(),
    of<InsufficientPrivilege>(),
    of<SyntaxError>(),
    of<UndefinedColumn>(),
    of<UndefinedObject>(),
    of<DuplicateObject>(),
    of<DatatypeMismatch>(),
    of<UndefinedFunction>(),
    of<UndefinedTable>(),
    of<DuplicateDatabase>(),
    of<DuplicateTable>(),
    of<TooManyConnections>(),
    of<ObjectInUse>(),
    of<LockNotAvailable>(),
    of<QueryCanceled>(),
    of<AdminShutdown>(),
    of<CrashShutdown>(),
    of<CannotConnectNow>(),
    of<RaiseException>(),
};

// Every SQLSTATE class of errcodes.txt that is an error, by PEP 249 category. Sorted by class.
namespace cls = sqlstate_class;
constexpr ErrorClass classes[] = {
    {cls::sql_statement_not_yet_complete, raise<OperationalError>},
    of<ConnectionFailure>(),
    {cls::triggered_action_exception, raise<ProgrammingError>},
    of<NotSupportedError>(),
    {cls::invalid_transaction_initiation, raise<InternalError>},
    {cls::locator_exception, raise<ProgrammingError>},
    {cls::invalid_grantor, raise<ProgrammingError>},
    {cls::invalid_role_specification, raise<ProgrammingError>},
    {cls::diagnostics_exception, raise<ProgrammingError>},
    {cls::case_not_found, raise<ProgrammingError>},
    {cls::cardinality_violation, raise<ProgrammingError>},
    of<DataError>(),
    of<IntegrityError>(),
    {cls::invalid_cursor_state, raise<InternalError>},
    {cls::invalid_transaction_state, raise<InternalError>},
    {cls::invalid_sql_statement_name, raise<ProgrammingError>},
    {cls::triggered_data_change_violation, raise<OperationalError>},
    of<InvalidAuthorization>(),
    {cls::dependent_privilege_descriptors_still_exist, raise<InternalError>},
    {cls::invalid_transaction_termination, raise<InternalError>},
    {cls::sql_routine_exception, raise<OperationalError>},
    {cls::invalid_cursor_name, raise<ProgrammingError>},
    {cls::external_routine_exception, raise<OperationalError>},
    {cls::external_routine_invocation_exception, raise<OperationalError>},
    {cls::savepoint_exception, raise<OperationalError>},
    {cls::invalid_catalog_name, raise<ProgrammingError>},
    {cls::invalid_schema_name, raise<ProgrammingError>},
    of<TransactionRollback>(),
    {cls::syntax_error_or_access_rule_violation, raise<ProgrammingError>},
    {cls::with_check_option_violation, raise<ProgrammingError>},
    of<InsufficientResources>(),
    {cls::program_limit_exceeded, raise<OperationalError>},
    {cls::object_not_in_prerequisite_state, raise<OperationalError>},
    {cls::operator_intervention, raise<OperationalError>},
    {cls::system_error, raise<OperationalError>},
    {cls::snapshot_too_old, raise<OperationalError>},
    {cls::config_file_error, raise<OperationalError>},
    {cls::fdw_error, raise<OperationalError>},
    {cls::plpgsql_error, raise<ProgrammingError>},
    {cls::internal_error, raise<InternalError>},
};

constexpr bool sorted_and_sized(const auto& table, std::size_t size) {
  const auto by_code = [](const auto& a, const auto& b) { return a.code < b.code; };
  const auto sized = [size](const auto& entry) { return entry.code.size() == size; };
  return std::is_sorted(std::begin(table), std::end(table), by_code) &&
         std::all_of(std::begin(table), std::end(table), sized);
}
static_assert(sorted_and_sized(conditions, 5));
static_assert(sorted_and_sized(classes, 2));

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

std::shared_ptr<const Diagnostics> detail::diagnostics_for(std::string_view code) {
  auto diagnostics = std::make_shared<Diagnostics>();
  if (code.size() == 5) diagnostics->sqlstate = code;
  if (code.size() == 2) diagnostics->sqlstate = fmt::format("{}000", code);
  return diagnostics;
}

// The rules below are documented in docs/driver.md ("Errors and retries"); keep the two together.
bool DatabaseError::is_transient() const noexcept {
  const std::string_view code = sqlstate();
  if (sqlstate_class_of(code) == sqlstate_class::connection_exception) return code != sqlstate::protocol_violation;
  return code == sqlstate::serialization_failure || code == sqlstate::deadlock_detected ||
         code == sqlstate::admin_shutdown || code == sqlstate::crash_shutdown || code == sqlstate::cannot_connect_now ||
         code == sqlstate::idle_session_timeout || code == sqlstate::too_many_connections;
}

bool DatabaseError::safe_to_retry() const noexcept {
  const std::string_view code = sqlstate();
  // A server error ends the statement and its transaction (implicit or explicit) without a commit.
  // Lost connections are ConnectionLost, which says otherwise.
  return !code.empty() && code != sqlstate::transaction_resolution_unknown &&
         code != sqlstate::statement_completion_unknown;
}

bool DatabaseError::poisons_connection() const noexcept {
  const std::string_view code = sqlstate();
  const std::string_view severity = diagnostics().severity;
  return severity == "FATAL" || severity == "PANIC" ||
         sqlstate_class_of(code) == sqlstate_class::connection_exception || code == sqlstate::admin_shutdown ||
         code == sqlstate::crash_shutdown || code == sqlstate::cannot_connect_now;
}

void throw_database_error(const std::string& what, std::shared_ptr<const Diagnostics> diagnostics) {
  const std::string_view code = diagnostics->sqlstate;
  if (code.size() == 5) {
    // raise() throws; copies, since the analyser cannot know that it never returns.
    if (const auto* condition = find(conditions, code)) condition->raise(what, diagnostics);
    if (const auto* category = find(classes, code.substr(0, 2))) category->raise(what, diagnostics);
  }
  throw DatabaseError(what, std::move(diagnostics));
}

}  // namespace pgkit
