#include <pgkit/copy.hpp>
#include <pgkit/detail/type_table.hpp>

#include "core/bulk_access.hpp"
#include "core/diagnostics.hpp"
#include "core/owner.hpp"
#include "core/wait.hpp"
#include "core/identifier.hpp"
#include "core/sql_scan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <istream>
#include <ostream>

namespace pgkit {
namespace detail {
namespace {

constexpr std::string_view binary_signature{"PGCOPY\n\377\r\n\0", 11};

std::string quoted_table(const TableName& table) {
  std::string out;
  if (!table.schema.empty()) {
    append_quoted_identifier(out, table.schema);
    out += '.';
  }
  append_quoted_identifier(out, table.name);
  return out;
}

std::string display_table(const TableName& table) {
  return table.schema.empty() ? table.name : table.schema + "." + table.name;
}

// A std::string fills a column in a binary COPY when the column's binary form is its text.
bool is_text_like(Oid type) {
  if (const auto* row = builtin_type(type)) return row->binary_is_text();
  // Enums, citext and other user types whose binary form is their text: the server rejects anything
  // else with an error naming the row.
  return type >= oid::first_normal_object_id;
}

// "COPY t, line 5, column price" from the error's CONTEXT: where a server-side failure happened.
std::string with_copy_context(const DatabaseError& e) {
  const std::string& context = e.diagnostics().context;
  if (context.empty()) return e.what();
  return fmt::format("{}\nCONTEXT: {}", e.what(), context);
}

// After a COPY statement was sent and its first result read: when that is not `expected`, reads
// everything within the Waiter's deadline, leaving the connection idle, and throws (the server's error,
// or InterfaceError `what`). `timeout_note` ("COPY ... timed out after N ms"), when given, leads the
// message of a cancelled start.
void refuse_copy_start(PGconn* conn, Waiter& waiter, PGresult* result, std::string_view what,
                       std::string_view timeout_note = {}) {
  const auto status = result != nullptr ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  auto diagnostics = diagnostics_of(result, conn);
  PQclear(result);
  // A COPY going the other way must be ended first: until then libpq reports it again and again.
  for (;;) {
    while (PQisBusy(conn) != 0 && waiter.wait()) {
    }
    PGresult* rest = PQgetResult(conn);
    if (rest == nullptr) break;
    const auto rest_status = PQresultStatus(rest);
    PQclear(rest);
    if (rest_status == PGRES_COPY_IN) {
      PQputCopyEnd(conn, "pgkit: this COPY goes the other way");
    } else if (rest_status == PGRES_COPY_OUT) {
      stop_copy_out(conn, waiter);
    }
  }
  waiter.settle();
  if (status == PGRES_FATAL_ERROR) {
    std::string text = error_text(*diagnostics);
    if (!timeout_note.empty() && diagnostics->sqlstate == sqlstate::query_canceled) {
      text = fmt::format("{}: {}", timeout_note, text);
    }
    throw_database_error(text, std::move(diagnostics));
  }
  throw InterfaceError(std::string(what));
}

}  // namespace

Oid copy_text_array_element(Oid array_type) noexcept {
  const auto* row = builtin_type(array_type);
  if (row == nullptr || !row->is_array() || !builtin_type(row->element)->binary_is_text()) return 0;
  return row->element;
}

CopyEncoding choose_copy_encoding(Oid column_type, std::string_view column, Oid value_type, Format value_format,
                                  bool is_integer, bool is_floating, bool is_array) {
  const auto refuse = [&]() -> CopyEncoding {
    throw InterfaceError(fmt::format("column \"{}\" is {}; a C++ value sent as {} cannot fill it in a binary COPY",
                                     column, type_name(column_type),
                                     value_type == oid::unspecified ? std::string("text") : type_name(value_type)));
  };
  if (is_integer) {
    switch (column_type) {
      case oid::int2: return CopyEncoding::to_int2;
      case oid::int4: return CopyEncoding::to_int4;
      case oid::int8: return CopyEncoding::to_int8;
      default: return refuse();
    }
  }
  if (is_floating) {
    switch (column_type) {
      case oid::float4: return CopyEncoding::to_float4;
      case oid::float8: return CopyEncoding::to_float8;
      default: return refuse();
    }
  }
  if (value_format == Format::text) {
    if (is_array) {
      if (copy_text_array_element(column_type) != 0) return CopyEncoding::text_array;
      return refuse();
    }
    // jsonb and jsonpath: a version byte, then the text.
    if (const auto* row = builtin_type(column_type); row != nullptr && row->renderer == Renderer::versioned_text) {
      return CopyEncoding::text_jsonb;
    }
    if (is_text_like(column_type)) return CopyEncoding::text;
    return refuse();
  }
  if (value_type == column_type) return CopyEncoding::same;
  // bit and bit varying share their binary form; the server checks a bit(n) column's length itself.
  if (value_type == oid::varbit && column_type == oid::bit) return CopyEncoding::same;
  return refuse();
}

void throw_copy_range(std::string_view /*column*/, std::string_view what) {
  throw ConversionError(std::string(what));  // CopyWriter::write adds the row and column
}

// The COPY ... FROM STDIN side: sending data with a deadline, ending or aborting.
class CopyWriterImpl {
 public:
  CopyWriterImpl(Connection& connection, const std::string& copy_sql, std::string table_display,
                 const CopyOptions& options)
      : conn(connection),
        table(std::move(table_display)),
        what(fmt::format("COPY into {}", table)),
        options(options),
        token(BulkAccess::claim(conn, Owner::copy_in)),  // nothing else may run on the connection meanwhile
        waiter(BulkAccess::waiter(conn, options.timeout ? std::optional(checked_timeout(*options.timeout)) : std::nullopt,
                                  what)) {
    if (options.buffer_bytes == 0) throw InterfaceError("CopyOptions::buffer_bytes must be at least 1");
    require_no_nul(copy_sql);
    if (PQsendQuery(pg(), copy_sql.c_str()) == 0) BulkAccess::throw_send_failure(conn, "cannot start COPY");
    BulkAccess::count_sent(conn);
    // The server may take its time before the COPY starts (a lock on the table): within the deadline.
    while (PQisBusy(pg()) != 0 && waiter.wait()) {
    }
    PGresult* result = PQgetResult(pg());
    if (result != nullptr && PQresultStatus(result) == PGRES_COPY_IN) {
      PQclear(result);
    } else {
      refuse_copy_start(pg(), waiter, result, "not a COPY ... FROM STDIN statement", timeout_note());
    }
    PQsetnonblocking(pg(), 1);  // so that a deadline can interrupt a full socket
  }

  CopyWriterImpl(const CopyWriterImpl&) = delete;
  CopyWriterImpl& operator=(const CopyWriterImpl&) = delete;
  ~CopyWriterImpl() { abort("the COPY was abandoned before it finished"); }

  // Whether rows can still be sent: not finished, aborted, or given up.
  [[nodiscard]] bool active() const noexcept { return token.held() && pg() != nullptr; }

  // Queues `data`; returns false when the COPY cannot go on: the server ended it (an error it sent
  // meanwhile), or the deadline passed (then the COPY is being cancelled, and end() fails it).
  bool send(std::string_view data) {
    if (waiter.expired()) return false;
    PQconsumeInput(pg());  // notices a server-side error early
    for (;;) {
      const int queued = PQputCopyData(pg(), data.data(), static_cast<int>(data.size()));
      if (queued == 1) break;
      if (queued < 0) return false;
      waiter.wait(true);
      if (waiter.timed_out()) return false;
    }
    stats.bytes += data.size();
    return flush(true);
  }

  std::int64_t end() {
    for (;;) {
      // Past the deadline the COPY must fail even if the cancel request comes too late to stop it: a
      // binary COPY ended at a row boundary would otherwise commit the rows sent so far.
      const int ended = PQputCopyEnd(pg(), waiter.timed_out() ? "pgkit: the COPY timed out" : nullptr);
      if (ended == 1) break;
      if (ended < 0) break;  // the COPY ended already: the result says why
      waiter.wait(true);
    }
    flush(false);
    return finish_result();
  }

  // Ends the COPY with an error (the server rolls it back); swallows the server's answer.
  void abort(std::string_view reason) noexcept {
    if (!active()) return;
    try {
      const std::string message(reason);
      PQputCopyEnd(pg(), message.c_str());
      flush(false);
      finish_result();
    } catch (...) {  // the expected "COPY from stdin failed", or a connection already gone
    }
  }

  // libpq's connection; null once the Waiter gave it up.
  [[nodiscard]] PGconn* pg() const { return BulkAccess::native(conn); }

  Connection& conn;
  std::string table;
  std::string what;  // "COPY into t", for the Waiter's messages
  CopyOptions options;
  CopyStats stats;
  OwnerToken token;
  Waiter waiter;

 private:
  // Sends what libpq holds. With `stop_on_timeout`, gives up (false) once the deadline has passed: the
  // rest of the data is pointless then.
  bool flush(bool stop_on_timeout) {
    for (;;) {
      const int pending = PQflush(pg());
      if (pending == 0) return true;
      if (pending < 0) return false;
      waiter.wait(true);
      if (stop_on_timeout && waiter.timed_out()) return false;
    }
  }

  [[nodiscard]] std::string timeout_note() const {
    return waiter.timed_out() ? fmt::format("{} timed out after {} ms", what, options.timeout->count()) : "";
  }

  std::int64_t finish_result() {
    token.release();
    PQsetnonblocking(pg(), 0);
    try {
      return BulkAccess::collect(conn, waiter).affected_rows();  // within what is left of the deadline
    } catch (const DatabaseError& e) {
      auto diagnostics = std::make_shared<Diagnostics>(e.diagnostics());
      if (diagnostics->sqlstate.empty()) throw;
      const std::string prefix = waiter.timed_out() && diagnostics->sqlstate == sqlstate::query_canceled ? timeout_note() : what;
      throw_database_error(fmt::format("{}: {}", prefix, with_copy_context(e)), std::move(diagnostics));
    }
  }
};

// The COPY ... TO STDOUT side: reading CopyData messages with a deadline; binary rows parsed on top.
struct CopyReaderImpl::State {
  State(Connection& connection, const std::string& copy_sql, const CopyOptions& opts)
      : conn(connection),
        options(opts),
        token(BulkAccess::claim(conn, Owner::copy_out)),  // nothing else may run on the connection meanwhile
        waiter(BulkAccess::waiter(conn, options.timeout ? std::optional(checked_timeout(*options.timeout)) : std::nullopt,
                                  "COPY")) {
    require_no_nul(copy_sql);
    if (PQsendQuery(pg(), copy_sql.c_str()) == 0) BulkAccess::throw_send_failure(conn, "cannot start COPY");
    BulkAccess::count_sent(conn);
    // The server may take its time before the COPY starts (a lock on the table): within the deadline.
    while (PQisBusy(pg()) != 0) wait();
    PGresult* result = PQgetResult(pg());
    if (result != nullptr && PQresultStatus(result) == PGRES_COPY_OUT) {
      PQclear(result);
    } else {
      refuse_copy_start(pg(), waiter, result, "not a COPY ... TO STDOUT statement", timeout_note());
    }
    active = true;
  }

  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Left before the end: the server is asked to stop sending, and what is on its way is read, within
  // the cancel's grace period (else the connection is closed).
  ~State() {
    release_message();  // the last message read (a range left early)
    if (!active || pg() == nullptr) return;
    try {
      waiter.cancel();
      while (next_raw()) {
      }
      while (PQisBusy(pg()) != 0 && waiter.wait()) {
      }
      while (PGresult* rest = PQgetResult(pg())) PQclear(rest);
      waiter.settle();
    } catch (...) {  // given up: the connection is closed
    }
    token.release();
    if (pg() != nullptr && PQstatus(pg()) == CONNECTION_BAD) BulkAccess::mark_broken(conn, "lost while abandoning a COPY");
  }

  // The next CopyData message, or nullopt at the end (then the COPY's result has been read).
  std::optional<std::string_view> next_message() {
    if (!active) {
      release_message();
      return std::nullopt;
    }
    const auto got = next_raw();
    if (!got) finish();
    return got;
  }

  void finish() {
    active = false;
    token.release();
    try {
      stats.rows = BulkAccess::collect(conn, waiter).affected_rows();  // "COPY n"
    } catch (const QueryCanceled& e) {
      if (!waiter.timed_out() || e.sqlstate().empty()) throw;
      throw QueryCanceled(fmt::format("{}: {}", timeout_note(), e.what()), std::make_shared<Diagnostics>(e.diagnostics()));
    }
  }

  [[nodiscard]] std::string timeout_note() const {
    return waiter.timed_out() ? fmt::format("COPY timed out after {} ms", options.timeout->count()) : "";
  }

  void wait() {
    if (waiter.wait()) return;
    auto diagnostics = diagnostics_of(nullptr, pg());
    BulkAccess::mark_broken(conn, diagnostics->message_primary);
    active = false;
    token.release();
    const std::string message = "connection lost during COPY: " + diagnostics->message_primary;  // before the move
    throw ConnectionLost(message, std::move(diagnostics));
  }

  // libpq's connection; null once the Waiter gave it up.
  [[nodiscard]] PGconn* pg() const { return BulkAccess::native(conn); }

  Connection& conn;
  CopyOptions options;
  CopyStats stats;
  OwnerToken token;
  Waiter waiter;
  char* message = nullptr;
  bool active = false;

  // ---- binary rows, parsed from the CopyData messages ----
  enum class Parsed : unsigned char { header, row, trailer, need_more };

  // Parses what the window starts with: the header, one row (into `fields`), or the trailer; need_more
  // when the window holds only part of it.
  Parsed parse_window() {
    if (!header_read) return parse_header();
    if (window.size() < 2) return Parsed::need_more;
    const auto count = static_cast<std::int16_t>(load_be16(window.data()));
    if (count == -1) {
      trailer_read = true;
      window.remove_prefix(2);
      return Parsed::trailer;
    }
    if (static_cast<std::size_t>(count) != columns.size()) throw malformed();
    std::size_t at = 2;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (window.size() - at < 4) return Parsed::need_more;
      const auto length = static_cast<std::int32_t>(load_be32(window.data() + at));
      at += 4;
      if (length < 0) {
        fields[i] = Field::null(columns[i].type, Format::binary, columns[i].name, settings.get());
        continue;
      }
      if (window.size() - at < static_cast<std::size_t>(length)) return Parsed::need_more;
      fields[i] = Field(window.data() + at, static_cast<std::size_t>(length), columns[i].type, Format::binary,
                        columns[i].name, settings.get());
      at += static_cast<std::size_t>(length);
    }
    window.remove_prefix(at);
    ++stats.rows;
    return Parsed::row;
  }

  // Keeps the incomplete rest of the window (the next message frees the current one) and appends the
  // next message; false at the end of the data (malformed when a row or the trailer is missing).
  bool read_more() {
    std::string rest(window);
    pending.swap(rest);
    const auto got = next_message();
    if (!got) {
      if (!pending.empty() || !trailer_read) throw malformed();
      return false;
    }
    if (pending.empty()) {
      window = *got;
    } else {
      pending.append(*got);
      window = pending;
    }
    stats.peak_buffered_bytes = std::max(stats.peak_buffered_bytes, window.size());
    return true;
  }

  // Binary rows
  std::vector<std::string> names;
  std::vector<ResultColumn> columns;
  std::vector<Field> fields;
  // The session's text settings, for rows read as strings (binary values rendered as the server would).
  std::shared_ptr<const TextSettings> settings = BulkAccess::text_settings(conn);
  // Unparsed bytes: a view into the current message (the server sends one message per row, so rows
  // are parsed in place), or into `pending` when a row was split across messages.
  std::string_view window;
  std::string pending;
  bool header_read = false;
  bool trailer_read = false;

 private:
  static InterfaceError malformed() { return InterfaceError("malformed binary COPY data from the server"); }

  // The signature, flags and header extension.
  Parsed parse_header() {
    constexpr std::size_t fixed = 19;  // signature (11), flags (4), extension length (4)
    if (window.size() < fixed) return Parsed::need_more;
    if (window.substr(0, binary_signature.size()) != binary_signature) throw malformed();
    const std::uint32_t extension = load_be32(window.data() + 15);
    if (window.size() - fixed < extension) return Parsed::need_more;
    window.remove_prefix(fixed + extension);
    header_read = true;
    return Parsed::header;
  }

  void release_message() noexcept {
    if (message != nullptr) PQfreemem(std::exchange(message, nullptr));
  }

  // The next CopyData message, waiting within the deadline; nullopt when the COPY's data ended.
  std::optional<std::string_view> next_raw() {
    release_message();
    for (;;) {
      const int size = PQgetCopyData(pg(), &message, 1);
      if (size > 0) {
        stats.bytes += static_cast<std::size_t>(size);
        return std::string_view(message, static_cast<std::size_t>(size));
      }
      if (size == -1) return std::nullopt;
      if (size == -2) {
        auto diagnostics = diagnostics_of(nullptr, pg());
        BulkAccess::mark_broken(conn, diagnostics->message_primary);
        active = false;
        token.release();
        const std::string message = "connection lost during COPY: " + diagnostics->message_primary;  // before the move
        throw ConnectionLost(message, std::move(diagnostics));
      }
      wait();
    }
  }
};

namespace {

// Strips a trailing semicolon (and blanks) so that the query fits in COPY (...); the query may end in a
// -- comment, so the closing parenthesis goes on a line of its own.
std::string_view bare_query(std::string_view query) {
  while (!query.empty() && (std::isspace(static_cast<unsigned char>(query.back())) != 0 || query.back() == ';')) {
    query.remove_suffix(1);
  }
  return query;
}

}  // namespace

CopyReaderImpl::CopyReaderImpl(Connection& connection, std::string_view query, const CopyOptions& options) {
  if (options.timeout) checked_timeout(*options.timeout);
  const std::string_view body = bare_query(query);
  require_no_nul(body);
  const auto scan = scan_sql(body);
  if (scan.several_statements) throw InterfaceError("copy_out takes one query");
  if (scan.highest_placeholder > 0) {
    throw InterfaceError("COPY cannot take parameters ($n); build the query with pgkit::sql literals instead");
  }
  // The columns' types and names, which binary COPY does not send.
  // The COPY's timeout covers this too (parsing takes locks on the tables, and may wait for them).
  const Result description = BulkAccess::describe(connection, body, options.timeout);
  auto names = std::vector<std::string>();
  auto columns = std::vector<ResultColumn>();
  for (std::size_t i = 0; i < description.columns(); ++i) names.emplace_back(description.column_name(i));
  for (std::size_t i = 0; i < description.columns(); ++i) {
    columns.push_back({names[i], description.column_type(i), Format::binary});
  }
  state_ = std::make_unique<State>(connection, fmt::format("COPY ({}\n) TO STDOUT (FORMAT binary)", body), options);
  state_->names = std::move(names);
  state_->columns = std::move(columns);
  state_->fields.resize(state_->columns.size());
}

CopyReaderImpl::~CopyReaderImpl() = default;

Columns CopyReaderImpl::columns() const noexcept { return state_->columns; }
const CopyStats& CopyReaderImpl::stats() const noexcept { return state_->stats; }

const Field* CopyReaderImpl::next() {
  State& s = *state_;
  for (;;) {
    if (s.trailer_read) {
      while (s.next_message()) {
      }
      return nullptr;
    }
    const auto parsed = s.parse_window();
    if (parsed == State::Parsed::row) return s.fields.data();
    if (parsed == State::Parsed::need_more && !s.read_more()) return nullptr;
  }
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------------

CopyWriter::CopyWriter(Connection& connection, const TableName& table, const std::vector<std::string>& columns,
                       const CopyOptions& options) {
  if (columns.empty()) throw InterfaceError("a COPY needs at least one column");
  if (options.buffer_bytes == 0) throw InterfaceError("CopyOptions::buffer_bytes must be at least 1");
  if (options.timeout) detail::checked_timeout(*options.timeout);
  std::string column_list;
  for (const auto& column : columns) {
    if (!column_list.empty()) column_list += ", ";
    detail::append_quoted_identifier(column_list, column);
  }
  const std::string target = detail::quoted_table(table);
  // The columns' types decide how each C++ value is encoded; binary COPY does not convert.
  // Within the COPY's timeout: it waits for a lock on the table, as the COPY would.
  const Result shape =
      detail::BulkAccess::command(connection, fmt::format("SELECT {} FROM {} LIMIT 0", column_list, target), options.timeout);
  impl_ = std::make_unique<detail::CopyWriterImpl>(
      connection, fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", target, column_list),
      detail::display_table(table), options);
  encodings_.resize(columns.size());
  column_types_.reserve(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) column_types_.push_back(shape.column_type(i));
  column_names_ = columns;
  buffer_.append(detail::binary_signature);
  detail::append_be32(buffer_, 0);  // flags
  detail::append_be32(buffer_, 0);  // header extension length
}

CopyWriter::~CopyWriter() = default;

void CopyWriter::start_row(std::size_t width) {
  if (!impl_ || !impl_->active()) throw InterfaceError("the COPY is finished or was aborted");
  if (width != column_names_.size()) {
    const InterfaceError error(fmt::format("a row has {} values but the COPY has {} columns", width,
                                           column_names_.size()));
    fail_row(0, error);
  }
  detail::append_be16(buffer_, static_cast<std::uint16_t>(width));
}

void CopyWriter::end_row() {
  ++impl_->stats.rows;
  if (buffer_.size() < impl_->options.buffer_bytes) return;
  impl_->stats.peak_buffered_bytes = std::max(impl_->stats.peak_buffered_bytes, buffer_.size());
  if (!impl_->send(buffer_)) {
    buffer_.clear();
    impl_->end();  // the server stopped the COPY: its error comes out of end()
    throw InterfaceError("the server ended the COPY");
  }
  buffer_.clear();
}

void CopyWriter::fail_row(std::size_t column, const InterfaceError& error) {
  const std::string where = fmt::format("COPY into {}, row {}, column \"{}\": {}", impl_->table,
                                        impl_->stats.rows + 1, column_name(column), error.what());
  impl_->abort(where);
  if (dynamic_cast<const ConversionError*>(&error) != nullptr) throw ConversionError(where);
  throw InterfaceError(where);
}

void CopyWriter::choose(std::size_t column, Oid value_type, Format value_format, bool is_integer, bool is_floating,
                        bool is_array) {
  if (column >= encodings_.size()) throw InterfaceError("more values than columns in a COPY row");
  auto& slot = encodings_[column];
  slot.how = detail::choose_copy_encoding(column_types_[column], column_names_[column], value_type, value_format,
                                          is_integer, is_floating, is_array);
  slot.value_type = value_type;
  slot.value_format = value_format;
  slot.is_array = is_array;
  slot.chosen = true;
}

std::string_view CopyWriter::column_name(std::size_t column) const {
  return column < column_names_.size() ? std::string_view(column_names_[column]) : std::string_view("?");
}

std::int64_t CopyWriter::finish() {
  if (!impl_ || !impl_->active()) throw InterfaceError("the COPY is finished or was aborted");
  detail::append_be16(buffer_, 0xFFFF);  // the trailer
  impl_->stats.peak_buffered_bytes = std::max(impl_->stats.peak_buffered_bytes, buffer_.size());
  impl_->send(buffer_);
  buffer_.clear();
  const std::int64_t rows = impl_->end();
  impl_->stats.rows = rows;
  return rows;
}

const CopyStats& CopyWriter::stats() const { return impl_->stats; }

// ---------------------------------------------------------------------------------------------------
// Raw COPY

std::int64_t copy_in_raw(Connection& connection, std::string_view copy_sql, std::istream& in,
                         const CopyOptions& options) {
  detail::CopyWriterImpl copy(connection, std::string(copy_sql), "the table", options);
  std::string chunk(std::min<std::size_t>(options.buffer_bytes, std::size_t{1} << 20), '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    if (got == 0) break;
    copy.stats.peak_buffered_bytes = std::max(copy.stats.peak_buffered_bytes, got);
    if (!copy.send(std::string_view(chunk.data(), got))) break;
  }
  if (in.bad()) {
    copy.abort("reading the input failed");
    throw InterfaceError("copy_in_raw: reading the input stream failed; nothing was copied");
  }
  return copy.end();
}

std::int64_t copy_in_file(Connection& connection, std::string_view copy_sql, const std::filesystem::path& path,
                          const CopyOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InterfaceError(fmt::format("cannot open {} for reading", path.string()));
  return copy_in_raw(connection, copy_sql, in, options);
}

std::int64_t copy_out_raw(Connection& connection, std::string_view copy_sql, std::ostream& out,
                          const CopyOptions& options) {
  detail::CopyReaderImpl::State copy(connection, std::string(copy_sql), options);
  while (const auto message = copy.next_message()) {
    out.write(message->data(), static_cast<std::streamsize>(message->size()));
    if (!out) throw InterfaceError("copy_out_raw: writing the output stream failed");
  }
  return copy.stats.rows;
}

std::int64_t copy_out_file(Connection& connection, std::string_view copy_sql, const std::filesystem::path& path,
                           const CopyOptions& options) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InterfaceError(fmt::format("cannot open {} for writing", path.string()));
  const std::int64_t rows = copy_out_raw(connection, copy_sql, out, options);
  out.flush();
  if (!out) throw InterfaceError(fmt::format("writing {} failed", path.string()));
  return rows;
}

}  // namespace pgkit
