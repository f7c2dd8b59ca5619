// RowStream: rows one at a time in libpq's single-row mode, within the connection's query_timeout.
#include "connection_impl.hpp"
#include "result_format.hpp"
#include "wait.hpp"

namespace pgkit {
namespace detail {

// What a RowStream holds while it reads: the connection (an OwnerToken) and the statement's Waiter.
class StreamState {
 public:
  explicit StreamState(Connection::Impl& impl)
      : impl_(impl), token_(impl, Owner::row_stream), waiter_(impl, impl.query_timeout, "row stream") {}

  // The next result, waiting within the deadline. Throws QueryCanceled when the connection was given
  // up (then the stream is over).
  PGresult* next() {
    if (waiter_.bounded()) {
      while (PQisBusy(impl_.conn) != 0 && waiter_.wait()) {
      }
    }
    return PQgetResult(impl_.conn);
  }

  // After the first result that is not a row (`last`: the end, or an error; null when none came):
  // reads the rest, gives the connection back and throws the statement's error, if any.
  void end(PGresultPtr last) {
    const auto status = last ? PQresultStatus(last.get()) : PGRES_COMMAND_OK;
    PGresultPtr error = status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE ? std::move(last) : own(nullptr);
    last.reset();
    drain();
    waiter_.settle();
    token_.release();
    if (connection_lost(impl_.conn, error.get())) impl_.throw_lost(error.get());
    if (error) impl_.throw_error(error.get(), waiter_);
  }

  // The stream was left before its end: the server is asked to stop sending, and what is on its way is
  // read, within the cancel's grace period (else the connection is closed).
  void abandon() noexcept {
    try {
      if (impl_.conn != nullptr) {
        waiter_.cancel();
        drain();
        waiter_.settle();
      }
    } catch (...) {  // given up: the connection is closed, and later calls say so
    }
    token_.release();
    if (impl_.conn != nullptr && PQstatus(impl_.conn) == CONNECTION_BAD) {
      impl_.mark_broken("lost while abandoning a row stream");
    }
  }

  // One row's result, carrying the session's text settings.
  Result row(PGresult* result) { return make_result(result, impl_.text_settings.capture(impl_.conn)); }

  // Gives the connection back after the Waiter gave it up.
  void release() noexcept { token_.release(); }

 private:
  void drain() {
    while (PGresult* rest = next()) PQclear(rest);
  }

  Connection::Impl& impl_;
  OwnerToken token_;
  Waiter waiter_;
};

}  // namespace detail

RowStream Connection::start_stream(std::string_view sql, const Params& params) {
  live().check_usable();
  detail::checked_placeholders(sql, params.size());
  const std::string text(sql);
  if (PQsendQueryParams(live().conn, text.c_str(), static_cast<int>(params.size()), params.types().data(),
                        params.values().data(), params.lengths().data(), params.formats().data(),
                        detail::undescribed_result_format) == 0) {
    live().throw_send_failure("cannot send the statement");
  }
  ++live().statements_sent;
  if (PQsetSingleRowMode(live().conn) == 0) {
    live().collect(std::nullopt);
    throw InterfaceError("cannot switch to single-row mode");
  }
  return RowStream(std::make_unique<detail::StreamState>(live()));
}

RowStream::RowStream(std::unique_ptr<detail::StreamState> state) : state_(std::move(state)) {}

RowStream::RowStream(RowStream&& other) noexcept
    : state_(std::move(other.state_)),
      current_(std::move(other.current_)),
      rows_read_(other.rows_read_),
      started_(other.started_),
      finished_(other.finished_) {
  other.finished_ = true;  // the moved-from stream no longer owns the connection
}

RowStream::~RowStream() { finish(); }

RowStream::iterator RowStream::begin() {
  if (!started_) {
    started_ = true;
    advance();
  }
  return iterator(this);
}

Row RowStream::current_row() const { return current_[0]; }

void RowStream::advance() {
  if (finished_) return;
  PGresult* result = nullptr;
  try {
    result = state_->next();
  } catch (...) {  // the connection was given up
    finished_ = true;
    current_ = Result();
    state_->release();
    throw;
  }
  if (result != nullptr && PQresultStatus(result) == PGRES_SINGLE_TUPLE) {
    current_ = state_->row(result);
    ++rows_read_;
    return;
  }
  finished_ = true;
  current_ = Result();
  state_->end(detail::own(result));
}

void RowStream::finish() noexcept {
  if (finished_ || !state_) return;
  finished_ = true;
  current_ = Result();
  state_->abandon();
}

}  // namespace pgkit
