#include "pipeline_engine.hpp"

#include "core/result_format.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace pgkit::detail {

std::size_t parameter_bytes(const Params& params) noexcept {
  std::size_t total = 0;
  for (const int length : params.lengths()) total += static_cast<std::size_t>(std::max(length, 0));
  return total;
}

namespace {

const PipelineLimits& checked(const PipelineLimits& limits) {
  if (limits.max_in_flight_statements == 0 || limits.max_in_flight_bytes == 0) {
    throw InterfaceError("pipeline limits must be at least 1 statement and 1 byte");
  }
  return limits;
}

std::optional<std::chrono::milliseconds> checked(std::optional<std::chrono::milliseconds> timeout) {
  if (timeout) checked_timeout(*timeout);
  return timeout;
}

}  // namespace

PipelineEngine::PipelineEngine(Connection& conn, PipelineSink& sink, const PipelineLimits& limits,
                               std::optional<std::chrono::milliseconds> timeout, Owner owner)
    : conn_(conn), sink_(sink), limits_(checked(limits)), token_(BulkAccess::claim(conn, owner)),
      waiter_(BulkAccess::waiter(conn, checked(timeout), "the pipeline")) {
  if (PQenterPipelineMode(pg()) == 0) BulkAccess::throw_send_failure(conn_, "cannot enter pipeline mode");
  // Non-blocking, so that sending never waits on a server that is itself waiting for us to read.
  if (PQsetnonblocking(pg(), 1) != 0) {
    PQexitPipelineMode(pg());
    BulkAccess::throw_send_failure(conn_, "cannot switch to non-blocking mode");
  }
  active_ = true;
}

PipelineEngine::~PipelineEngine() {
  if (!active_) return;
  try {
    if (group_open_) sync();
    while (!pending_.empty()) pump(true);
  } catch (...) {  // the connection is marked broken by then when it matters
  }
  leave();
}

void PipelineEngine::leave() {
  if (!active_) return;
  active_ = false;
  token_.release();
  if (pg() == nullptr) return;
  PQsetnonblocking(pg(), 0);
  if (PQexitPipelineMode(pg()) == 0 && PQstatus(pg()) == CONNECTION_OK) {
    BulkAccess::mark_broken(conn_, "could not leave pipeline mode");
  }
}

void PipelineEngine::fail_connection(std::string_view what) {
  pending_.clear();
  active_ = false;
  token_.release();
  BulkAccess::throw_send_failure(conn_, what);
}

void PipelineEngine::queued(std::size_t tag, std::size_t bytes) {
  pending_.push_back({Kind::statement, tag, bytes});
  ++stats_.statements;
  ++in_flight_statements_;
  in_flight_bytes_ += bytes;
  stats_.peak_in_flight_statements = std::max(stats_.peak_in_flight_statements, in_flight_statements_);
  stats_.peak_in_flight_bytes = std::max(stats_.peak_in_flight_bytes, in_flight_bytes_);
  group_open_ = true;
  flush_requested_ = false;
  pump(false);
}

void PipelineEngine::make_room(std::size_t bytes) {
  // Bounded memory: read results until the next statement fits within the limits (checked before
  // sending, so that they hold for what is in flight; a statement larger than the byte limit goes alone).
  while (in_flight_statements_ > 0 && (in_flight_statements_ >= limits_.max_in_flight_statements ||
                                       in_flight_bytes_ + bytes > limits_.max_in_flight_bytes)) {
    pump(true);
  }
}

void PipelineEngine::send_params(std::size_t tag, const std::string& sql, const Params& params) {
  make_room(parameter_bytes(params));
  BulkAccess::note_statement(conn_, sql);
  if (PQsendQueryParams(pg(), sql.c_str(), static_cast<int>(params.size()), params.types().data(),
                        params.values().data(), params.lengths().data(), params.formats().data(),
                        undescribed_result_format) == 0) {
    fail_connection("cannot queue a pipelined statement");
  }
  BulkAccess::count_sent(conn_);
  queued(tag, parameter_bytes(params));
}

void PipelineEngine::send_prepared(std::size_t tag, const std::string& name, const Params& params) {
  make_room(parameter_bytes(params));
  BulkAccess::note_prepared_statement(conn_);
  if (PQsendQueryPrepared(pg(), name.c_str(), static_cast<int>(params.size()), params.values().data(),
                          params.lengths().data(), params.formats().data(), undescribed_result_format) == 0) {
    fail_connection("cannot queue a pipelined statement");
  }
  BulkAccess::count_sent(conn_);
  queued(tag, parameter_bytes(params));
}

void PipelineEngine::send_prepare(std::size_t tag, const std::string& name, const std::string& sql,
                                  std::span<const Oid> types) {
  make_room(sql.size());
  BulkAccess::note_statement(conn_, sql);
  if (PQsendPrepare(pg(), name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()) == 0) {
    fail_connection("cannot queue a pipelined prepare");
  }
  queued(tag, sql.size());
}

Result PipelineEngine::result_of(PGresult* result) const { return BulkAccess::make_result(conn_, result); }

void PipelineEngine::sync() {
  if (PQpipelineSync(pg()) == 0) fail_connection("cannot send a pipeline sync");
  pending_.push_back({Kind::sync, 0, 0});
  ++stats_.syncs;
  group_open_ = false;
  flush_requested_ = false;
  pump(false);
}

void PipelineEngine::finish() {
  if (!active_) return;
  if (group_open_) sync();
  while (!pending_.empty()) pump(true);
  leave();
}

bool PipelineEngine::read_ready() {
  bool progress = false;
  while (!pending_.empty() && PQisBusy(pg()) == 0) {
    PGresult* result = PQgetResult(pg());
    Pending& front = pending_.front();
    if (front.kind == Kind::sync) {
      if (result == nullptr) break;  // the sync's reply is not here yet
      const auto status = PQresultStatus(result);
      PQclear(result);
      if (status != PGRES_PIPELINE_SYNC) {
        BulkAccess::mark_broken(conn_, "the pipeline lost its place in the server's replies");
        fail_connection("unexpected reply in a pipeline");
      }
      pending_.pop_front();
      sink_.on_group_end();
      progress = true;
      continue;
    }
    if (result == nullptr) {  // the statement's results are complete
      if (!front.answered) sink_.on_skipped(front.tag);
      --in_flight_statements_;
      in_flight_bytes_ -= front.bytes;
      pending_.pop_front();
      progress = true;
      continue;
    }
    switch (PQresultStatus(result)) {
      case PGRES_PIPELINE_ABORTED:
        PQclear(result);
        front.answered = true;
        sink_.on_skipped(front.tag);
        break;
      case PGRES_FATAL_ERROR:
      case PGRES_BAD_RESPONSE: {
        auto diagnostics = diagnostics_of(result, pg());
        PQclear(result);
        if (PQstatus(pg()) == CONNECTION_BAD) {
          BulkAccess::mark_broken(conn_, diagnostics->message_primary);
          fail_connection("the connection was lost in a pipeline");
        }
        BulkAccess::note_failure(conn_, diagnostics->sqlstate);
        front.answered = true;
        sink_.on_failure(front.tag, std::move(diagnostics));
        break;
      }
      case PGRES_COPY_IN:
      case PGRES_COPY_OUT:
      case PGRES_COPY_BOTH:
        PQclear(result);
        BulkAccess::mark_broken(conn_, "COPY inside a pipeline");
        fail_connection("COPY cannot run in a pipeline; use copy_in() / copy_out()");
      default:
        front.answered = true;
        sink_.on_result(front.tag, result);
    }
  }
  return progress;
}

// Past the deadline the Waiter cancels what runs (its group is then skipped), and gives the server its
// grace period to answer before giving up on the connection.
void PipelineEngine::wait_for_socket(bool want_write) {
  try {
    waiter_.wait(want_write);  // a failed read shows in pump()'s next PQconsumeInput
  } catch (...) {
    pending_.clear();
    active_ = false;
    token_.release();
    throw;
  }
}

void PipelineEngine::pump(bool wait) {
  for (;;) {
    const int flushed = PQflush(pg());
    if (flushed < 0) fail_connection("cannot send pipelined statements");
    if (PQconsumeInput(pg()) == 0) {
      BulkAccess::mark_broken(conn_, PQerrorMessage(pg()));
      fail_connection("the connection was lost in a pipeline");
    }
    const bool progress = read_ready();
    if (progress) waiter_.answered();  // the server answers: no reason to give up on the connection
    if (!wait || progress || pending_.empty()) return;
    // The server holds the results of an open group until a sync or a flush request: ask for them
    // before waiting, or both sides would wait forever.
    if (group_open_ && !flush_requested_) {
      if (PQsendFlushRequest(pg()) == 0) fail_connection("cannot send a pipeline flush request");
      flush_requested_ = true;
      continue;
    }
    wait_for_socket(flushed == 1);
  }
}

}  // namespace pgkit::detail
