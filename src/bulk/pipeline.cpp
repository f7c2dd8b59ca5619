#include <pgkit/pipeline.hpp>

#include "pipeline_engine.hpp"

#include <fmt/format.h>

#include <charconv>
#include <limits>

namespace pgkit {

void PipelineOutcome::check() const {
  switch (status) {
    case PipelineStatus::succeeded: return;
    case PipelineStatus::failed: std::rethrow_exception(error);
    case PipelineStatus::skipped:
      throw PipelineAborted(
          fmt::format("not run: statement {} of the same pipeline sync group failed first", failed_index));
    case PipelineStatus::rolled_back:
      throw PipelineAborted(fmt::format(
          "rolled back: statement {} of the same pipeline sync group failed, undoing its implicit transaction",
          failed_index));
  }
}

namespace {

std::exception_ptr as_exception(std::string_view prefix, std::shared_ptr<Diagnostics> diagnostics) {
  try {
    const std::string text = fmt::format("{}{}", prefix, detail::error_text(*diagnostics));
    throw_database_error(text, std::move(diagnostics));
  } catch (...) {
    return std::current_exception();
  }
}

bool in_explicit_transaction(Connection& conn) {
  const auto status = conn.transaction_status();
  return status == TransactionStatus::in_transaction || status == TransactionStatus::in_error;
}

std::int64_t affected(const PGresult* result) {
  const char* text = PQcmdTuples(const_cast<PGresult*>(result));
  std::int64_t count = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), count);
  return count;
}

// Records each statement's outcome. Outside an explicit transaction a sync group is an implicit
// transaction, so a failure also undoes the group's earlier statements: they are marked rolled back.
class OutcomeSink final : public detail::PipelineSink {
 public:
  OutcomeSink(std::vector<PipelineOutcome>& outcomes, bool implicit_transactions)
      : outcomes_(outcomes), implicit_(implicit_transactions) {}

  // Results carry the session's text settings, which the engine reads.
  void attach(const detail::PipelineEngine& engine) { engine_ = &engine; }

  void on_result(std::size_t tag, PGresult* result) override {
    outcomes_[tag].status = PipelineStatus::succeeded;
    outcomes_[tag].result = engine_->result_of(result);
    group_.push_back(tag);
  }
  void on_failure(std::size_t tag, std::shared_ptr<Diagnostics> diagnostics) override {
    outcomes_[tag].status = PipelineStatus::failed;
    outcomes_[tag].error = as_exception(fmt::format("pipeline statement {}: ", tag), std::move(diagnostics));
    failed_ = tag;
    if (implicit_) {
      for (const std::size_t earlier : group_) {
        outcomes_[earlier].status = PipelineStatus::rolled_back;
        outcomes_[earlier].failed_index = tag;
      }
    }
    group_.clear();
  }
  void on_skipped(std::size_t tag) override {
    outcomes_[tag].status = PipelineStatus::skipped;
    outcomes_[tag].failed_index = failed_.value_or(tag);
  }
  void on_group_end() override {
    group_.clear();
    failed_.reset();
  }

 private:
  std::vector<PipelineOutcome>& outcomes_;
  bool implicit_;
  const detail::PipelineEngine* engine_ = nullptr;
  std::vector<std::size_t> group_;  // statements of the open group that succeeded so far
  std::optional<std::size_t> failed_;
};

}  // namespace

// Declared in this order so that the engine (which drains into the sink) goes first.
struct Pipeline::State {
  State(Connection& conn, const PipelineOptions& options)
      : sink(outcomes, !in_explicit_transaction(conn)),
        engine(conn, sink, options.limits, options.timeout, detail::Owner::pipeline) {
    sink.attach(engine);
  }
  std::vector<PipelineOutcome> outcomes;
  OutcomeSink sink;
  detail::PipelineEngine engine;
  bool finished = false;
};

Pipeline::Pipeline(Connection& connection, const PipelineOptions& options)
    : state_(std::make_unique<State>(connection, options)) {}

Pipeline::~Pipeline() = default;

std::size_t Pipeline::add_params(std::string_view sql, const Params& params) {
  if (state_->finished) throw InterfaceError("the pipeline is finished; start a new one");
  detail::checked_placeholders(sql, params.size());
  const std::size_t index = state_->outcomes.size();
  state_->outcomes.emplace_back();
  state_->engine.send_params(index, std::string(sql), params);
  return index;
}

void Pipeline::sync() {
  if (state_->finished) throw InterfaceError("the pipeline is finished; start a new one");
  state_->engine.sync();
}

std::vector<PipelineOutcome> Pipeline::finish() {
  if (state_->finished) throw InterfaceError("the pipeline is finished already");
  state_->finished = true;
  state_->engine.finish();
  return std::move(state_->outcomes);
}

const PipelineStats& Pipeline::stats() const { return state_->engine.stats(); }

// ---------------------------------------------------------------------------------------------------
// execute_many

namespace detail {
namespace {

constexpr std::size_t internal_tag = std::numeric_limits<std::size_t>::max();  // prepare, COMMIT, RELEASE
constexpr std::size_t wrap_tag = internal_tag - 1;  // BEGIN or SAVEPOINT: once it ran, there is a wrap to undo
constexpr const char* savepoint = "SAVEPOINT pgkit_execute_many";
constexpr const char* release = "RELEASE SAVEPOINT pgkit_execute_many";

// How the rows are kept all-or-nothing.
enum class Wrap {
  none,         // atomic = false: each row its own sync group
  transaction,  // BEGIN ... COMMIT around the rows
  savepoint,    // inside the caller's transaction: a savepoint, so a failure does not doom it
};

}  // namespace

struct ManyRowsWriter::State final : PipelineSink {
  State(Connection& connection, std::string_view statement, const ExecuteManyOptions& opts)
      : conn(connection), sql(statement), options(opts) {
    BulkAccess::check_usable(conn);
    const bool explicit_tx = in_explicit_transaction(conn);
    if (!options.atomic && explicit_tx) {
      throw InterfaceError(
          "execute_many with atomic = false needs autocommit: inside a transaction the first failed row aborts it");
    }
    wrap = !options.atomic ? Wrap::none : explicit_tx ? Wrap::savepoint : Wrap::transaction;
  }

  void on_result(std::size_t tag, PGresult* result) override {
    if (tag < wrap_tag) total += affected(result);
    if (tag == wrap_tag) wrap_started = true;
    PQclear(result);
  }
  void on_failure(std::size_t tag, std::shared_ptr<Diagnostics> diagnostics) override {
    const bool row = tag < wrap_tag;
    // Once the statement itself failed (its prepare), every later row fails for that reason alone
    // (atomic = false: "unnamed prepared statement does not exist"); the statement's error is the one.
    if (row && statement_failure) return;
    const std::string prefix = row ? fmt::format("execute_many row {}: ", tag) : std::string("execute_many: ");
    if (!row) {
      statement_failure = as_exception(prefix, diagnostics);
      if (!first_failure) first_failure = statement_failure;
      return;
    }
    ++failed_rows;
    if (!first_failure) first_failure = as_exception(prefix, diagnostics);
    if (options.on_row_error && !callback_failure) {
      try {
        const std::string text = prefix + detail::error_text(*diagnostics);
        try {
          throw_database_error(text, diagnostics);
        } catch (const DatabaseError& e) {
          options.on_row_error(tag, e);
        }
      } catch (...) {
        callback_failure = std::current_exception();  // rethrown once the pipeline is drained
      }
    }
  }
  void on_skipped(std::size_t) override {}
  void on_group_end() override {}

  void start() {
    engine.emplace(conn, *this, options.limits, options.timeout, Owner::execute_many);
    if (wrap == Wrap::transaction) engine->send_params(wrap_tag, "BEGIN", Params());
    if (wrap == Wrap::savepoint) engine->send_params(wrap_tag, savepoint, Params());
  }

  void send(const Params& params) {
    if (!engine) {
      placeholders = checked_placeholders(sql, params.size());
      start();
      types = params.types();
      // The unnamed statement: prepared once for every row, replaced by the next unnamed Parse.
      engine->send_prepare(internal_tag, "", sql, types);
    } else {
      check_parameter_count(placeholders, params.size());
      for (std::size_t i = 0; i < types.size(); ++i) {
        const Oid given = params.types()[i];
        if (given != types[i] && given != oid::unspecified && params.values()[i] != nullptr) {
          throw InterfaceError(fmt::format("execute_many row {}: parameter ${} is {} but the first row's was {}",
                                           rows, i + 1, type_name(given), type_name(types[i])));
        }
      }
    }
    engine->send_prepared(rows++, "", params);
    if (wrap == Wrap::none) engine->sync();
  }

  // After a failure the wrapping transaction (or savepoint) is left aborted: end it.
  // Nothing to undo when the wrap never began (a caller's transaction that was aborted already).
  void undo_wrap() {
    if (!wrap_started) return;
    if (wrap == Wrap::transaction) BulkAccess::command(conn, "ROLLBACK", std::nullopt);
    if (wrap == Wrap::savepoint) {
      BulkAccess::command(conn, fmt::format("ROLLBACK TO SAVEPOINT pgkit_execute_many; {}", release), std::nullopt);
    }
  }

  std::int64_t finish() {
    finished = true;
    if (!engine) return 0;
    if (wrap == Wrap::transaction) engine->send_params(internal_tag, "COMMIT", Params());
    if (wrap == Wrap::savepoint) engine->send_params(internal_tag, release, Params());
    engine->finish();
    if (callback_failure) std::rethrow_exception(callback_failure);
    if (!first_failure) return total;
    if (wrap != Wrap::none) {
      undo_wrap();
      std::rethrow_exception(first_failure);
    }
    if (statement_failure) std::rethrow_exception(statement_failure);
    if (options.on_row_error) return total;
    try {
      std::rethrow_exception(first_failure);
    } catch (const DatabaseError& e) {
      auto copy = std::make_shared<Diagnostics>(e.diagnostics());
      throw_database_error(fmt::format("{} of {} rows failed; the first: {}", failed_rows, rows, e.what()),
                           std::move(copy));
    }
  }

  // The caller stopped mid-way (an exception while producing rows): nothing of an atomic batch stays.
  void abandon() noexcept {
    if (finished || !engine) return;
    try {
      if (wrap == Wrap::transaction) engine->send_params(internal_tag, "ROLLBACK", Params());
      if (wrap == Wrap::savepoint) {
        engine->send_params(internal_tag, "ROLLBACK TO SAVEPOINT pgkit_execute_many", Params());
        engine->send_params(internal_tag, release, Params());
      }
      engine->finish();
      if (first_failure && wrap != Wrap::none) undo_wrap();
    } catch (...) {  // a lost connection rolls back on its own
    }
  }

  Connection& conn;
  std::string sql;
  ExecuteManyOptions options;
  Wrap wrap = Wrap::none;
  std::vector<Oid> types;
  int placeholders = 0;
  std::size_t rows = 0;
  std::size_t failed_rows = 0;
  std::int64_t total = 0;
  bool wrap_started = false;
  std::exception_ptr first_failure;
  std::exception_ptr statement_failure;  // of the statement (its prepare) or the wrap, not of a row
  std::exception_ptr callback_failure;
  bool finished = false;
  std::optional<PipelineEngine> engine;
};

ManyRowsWriter::ManyRowsWriter(Connection& connection, std::string_view sql, const ExecuteManyOptions& options)
    : state_(std::make_unique<State>(connection, sql, options)) {}

ManyRowsWriter::~ManyRowsWriter() {
  state_->abandon();
  if (state_->options.stats != nullptr && state_->engine) *state_->options.stats = state_->engine->stats();
}

void ManyRowsWriter::send_row() { state_->send(params_); }

std::int64_t ManyRowsWriter::finish() {
  const auto publish_stats = [&] {
    if (state_->options.stats != nullptr && state_->engine) *state_->options.stats = state_->engine->stats();
  };
  try {
    const std::int64_t total = state_->finish();
    publish_stats();
    return total;
  } catch (...) {
    publish_stats();
    throw;
  }
}

}  // namespace detail
}  // namespace pgkit
