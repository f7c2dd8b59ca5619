// Sending statements: parameter checks, the statement cache policy (automatic preparation, stale
// plans, deallocation), and statements prepared by the application.
#include "connection_impl.hpp"

#include "identifier.hpp"
#include "result_format.hpp"
#include "sql_scan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pgkit {
namespace detail {
namespace {

bool is_stale_statement(const Diagnostics& d) {
  return d.sqlstate == sqlstate::invalid_sql_statement_name ||
         (d.sqlstate == sqlstate::feature_not_supported &&
          d.message_primary.find("cached plan must not change result type") != std::string::npos);
}

}  // namespace
}  // namespace detail

void Connection::Impl::deallocate_pending() {
  auto& pending = cache.pending_deallocations();
  if (pending.empty()) return;
  // DEALLOCATE is refused inside a failed transaction: wait for a better moment.
  const auto status = PQtransactionStatus(conn);
  if (status != PQTRANS_IDLE && status != PQTRANS_INTRANS) return;
  // A statement may be gone already (the application ran DEALLOCATE ALL or DISCARD ALL): deallocating it
  // again would fail an unrelated call, and abort the transaction it runs in. So only what still exists
  // goes, in one round trip. The names are pgkit's own (pgkit_<n>), safe inside the quotes.
  std::string script = "DO $pgkit$BEGIN";
  for (const auto& name : pending) {
    script += fmt::format(" IF EXISTS (SELECT FROM pg_catalog.pg_prepared_statements WHERE name = '{}') THEN "
                          "EXECUTE 'DEALLOCATE {}'; END IF;",
                          name, detail::quote_identifier(name));
  }
  script += " END$pgkit$";
  pending.clear();
  // pgkit's own housekeeping: not a change of session state a pool should reset for.
  const detail::Unnoted unnoted(*this);
  command(script);
}

Result Connection::Impl::parse_and_describe(const std::string& name, const std::string& sql, std::span<const Oid> types) {
  // Parse and Describe in one round trip (pipeline mode).
  if (PQenterPipelineMode(conn) == 0) throw_send_failure("cannot enter pipeline mode");
  // Reads what the pipeline still owes (each command's results, then the sync) and leaves pipeline
  // mode. A connection that cannot get there is broken: marked so rather than waited on forever.
  const auto leave_pipeline = [&] {
    for (int command_ends = 0; command_ends < 8;) {
      if (PQexitPipelineMode(conn) != 0) return;
      if (PQstatus(conn) == CONNECTION_BAD) break;
      PGresult* rest = PQgetResult(conn);
      if (rest == nullptr) {
        ++command_ends;
        continue;
      }
      PQclear(rest);
    }
    mark_broken("could not leave pipeline mode after preparing a statement");
  };
  if (PQsendPrepare(conn, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()) == 0 ||
      PQsendDescribePrepared(conn, name.c_str()) == 0 || PQpipelineSync(conn) == 0) {
    leave_pipeline();
    throw_send_failure("cannot prepare the statement");
  }
  try {
    collect(query_timeout);
    Result description = collect(query_timeout);
    leave_pipeline();
    return description;
  } catch (...) {
    if (conn != nullptr) leave_pipeline();
    throw;
  }
}

void Connection::Impl::prepare_entry(detail::StatementCache::Entry& entry) {
  std::string name = fmt::format("{}{}", detail::automatic_statement_prefix, next_statement++);
  try {
    const Result description = parse_and_describe(name, entry.sql, entry.types);
    entry.column_types = detail::column_types_of(description.data()->result);
  } catch (...) {
    cache.remove(entry);
    throw;
  }
  entry.name = std::move(name);
}

namespace detail {

void check_parameter_count(int expected, std::size_t given) {
  if (static_cast<std::size_t>(expected) == given) return;
  if (expected == 0) {
    throw InterfaceError(fmt::format("the statement has no parameters but {} value{} given", given,
                                     given == 1 ? " was" : "s were"));
  }
  throw InterfaceError(fmt::format("the statement uses parameters $1..${} but {} value{} given", expected, given,
                                   given == 1 ? " was" : "s were"));
}

int checked_placeholders(std::string_view sql, std::size_t given) {
  require_no_nul(sql);
  const auto scan = detail::scan_sql(sql);
  if (scan.several_statements) {
    throw InterfaceError(
        "exec() runs one statement, and this text holds several; run them one by one, or use execute_script()");
  }
  if (!scan.unterminated) check_parameter_count(scan.highest_placeholder, given);
  return scan.highest_placeholder;
}

}  // namespace detail

detail::StatementCache::Entry* Connection::Impl::send(std::string_view sql, const Params& params) {
  const auto send_unnamed = [&] {
    const std::string text(sql);
    if (PQsendQueryParams(conn, text.c_str(), static_cast<int>(params.size()), params.types().data(),
                          params.values().data(), params.lengths().data(), params.formats().data(),
                          detail::undescribed_result_format) == 0) {
      throw_send_failure("cannot send the statement");
    }
    ++statements_sent;
  };
  if (!cache_options.enabled) {
    detail::checked_placeholders(sql, params.size());
    note_statement(sql);
    send_unnamed();
    return nullptr;
  }
  auto* entry = cache.find(sql, params.types());
  if (entry == nullptr) {
    const int placeholders = detail::checked_placeholders(sql, params.size());
    entry = &cache.insert(sql, params.types(), placeholders);
  } else {
    detail::check_parameter_count(entry->placeholders, params.size());
  }
  if (use != nullptr) use->note_statement(entry->changes_session);
  ++entry->executions;
  if (!entry->prepared()) {
    if (entry->executions < std::max(1u, cache_options.prepare_threshold)) {
      send_unnamed();
      return nullptr;
    }
    prepare_entry(*entry);
  }
  if (PQsendQueryPrepared(conn, entry->name.c_str(), static_cast<int>(params.size()), params.values().data(),
                          params.lengths().data(), params.formats().data(),
                          static_cast<int>(detail::result_format_for(entry->column_types, conn))) == 0) {
    throw_send_failure("cannot send the statement");
  }
  ++statements_sent;
  return entry;
}

Result Connection::Impl::run(std::string_view sql, const Params& params,
                             std::optional<std::chrono::milliseconds> timeout, detail::RowVisitor* visitor) {
  check_usable();
  deallocate_pending();
  const bool autocommit = PQtransactionStatus(conn) == PQTRANS_IDLE;
  for (int attempt = 0;; ++attempt) {
    auto* entry = send(sql, params);
    if (visitor != nullptr && PQsetSingleRowMode(conn) == 0) {
      collect(std::nullopt);
      throw InterfaceError("cannot switch to single-row mode");
    }
    try {
      return collect(timeout ? timeout : query_timeout, visitor);
    } catch (const DatabaseError& e) {
      // The table changed under the cached plan, or someone deallocated the statement: forget it and
      // run the text again (it is prepared anew). Only outside a transaction block: inside one the
      // error has aborted the transaction already. Either error comes before any row.
      if (entry == nullptr || !detail::is_stale_statement(e.diagnostics())) throw;
      if (e.sqlstate() == sqlstate::invalid_sql_statement_name) entry->name.clear();  // nothing left to deallocate
      cache.remove(*entry);
      if (!autocommit || attempt > 0) throw;
    }
  }
}

Result Connection::Impl::run_prepared(const PreparedStatement& statement, const Params& params,
                                      std::optional<std::chrono::milliseconds> timeout) {
  check_usable();
  if (use != nullptr) use->note_statement(false);
  const auto& expected = statement.parameter_types();
  detail::check_parameter_count(static_cast<int>(expected.size()), params.size());
  // Parameters typed differently from the statement's go as text, which the server converts (and
  // range-checks) with the declared type's input function.
  std::optional<Params> converted;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const Oid given = params.types()[i];
    if (given == expected[i] || given == oid::unspecified || params.values()[i] == nullptr) continue;
    if (!converted) converted = params;
    if (!converted->convert_to_text(i, expected[i])) {
      throw ConversionError(fmt::format("parameter ${} is of type {} but the statement expects {}", i + 1,
                                        type_name(given), type_name(expected[i])));
    }
  }
  const Params& sent = converted ? *converted : params;
  if (PQsendQueryPrepared(conn, statement.name().c_str(), static_cast<int>(sent.size()), sent.values().data(),
                          sent.lengths().data(), sent.formats().data(),
                          static_cast<int>(detail::result_format_for(statement.column_types(), conn))) == 0) {
    throw_send_failure("cannot send the statement");
  }
  ++statements_sent;
  return collect(timeout ? timeout : query_timeout);
}

PreparedStatement Connection::prepare(std::string_view name, std::string_view sql) {
  live().check_usable();
  if (name.empty() || name.size() > 63 || name.find('\0') != std::string_view::npos) {
    throw InterfaceError("a prepared statement needs a name of 1 to 63 bytes without NUL");
  }
  if (name.starts_with(detail::automatic_statement_prefix)) {
    throw InterfaceError(fmt::format("prepared statement names starting with \"{}\" are reserved for pgkit's cache",
                                     detail::automatic_statement_prefix));
  }
  detail::require_no_nul(sql);
  const auto scan = detail::scan_sql(sql);
  if (scan.several_statements) throw InterfaceError("a prepared statement holds one statement");
  // A named statement is session state a pool may have to deallocate (reset_prepared_statements).
  if (live().use != nullptr) live().use->note_statement(true);
  const std::string name_text(name);
  const std::string sql_text(sql);
  if (PQsendPrepare(live().conn, name_text.c_str(), sql_text.c_str(), 0, nullptr) == 0) {
    live().throw_send_failure("cannot prepare the statement");
  }
  live().collect(live().query_timeout);
  if (PQsendDescribePrepared(live().conn, name_text.c_str()) == 0) {
    live().throw_send_failure("cannot describe the statement");
  }
  const Result description = live().collect(live().query_timeout);
  const PGresult* described = description.data()->result;
  std::vector<Oid> types;
  for (int i = 0, n = PQnparams(described); i < n; ++i) types.push_back(PQparamtype(described, i));
  return PreparedStatement(name_text, std::move(types), detail::column_types_of(described));
}

void Connection::deallocate(const PreparedStatement& statement) {
  live().command("DEALLOCATE " + detail::quote_identifier(statement.name()));
}

void Connection::clear_statement_cache() {
  live().check_usable();
  // Not DEALLOCATE ALL: statements made with prepare() are the application's, not the cache's.
  live().cache.evict_all();
  live().deallocate_pending();  // now, or at the next chance when the transaction has failed
}

}  // namespace pgkit
