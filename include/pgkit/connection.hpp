// pgkit::Connection: one session with a PostgreSQL server, over libpq.
//
//   pgkit::Connection conn("postgresql://app@db.example.com/shop?sslmode=verify-full");
//   auto id = conn.query_value<int>("INSERT INTO products (name, price) VALUES ($1, $2) RETURNING id",
//                                   "Laptop", pgkit::Decimal("999.99"));
//   for (auto [name, price] : conn.query<std::string, pgkit::Decimal>("SELECT name, price FROM products"))
//     ...
//
// Statements go through the extended protocol with typed parameters and binary results. Statements run
// more than once are prepared automatically and kept in a bounded per-connection LRU cache. A
// Connection is not thread-safe: use one per thread, or a pgkit::Pool; cancel_handle() is the one
// piece meant for another thread.
#pragma once

#include <pgkit/datetime.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/params.hpp>
#include <pgkit/result.hpp>
#include <pgkit/type_info.hpp>
#include <pgkit/uuid.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct pg_conn;  // libpq's PGconn

namespace pgkit {

struct StatementCacheOptions {
  bool enabled = true;     // off: every statement is parsed anew (e.g. behind PgBouncer's transaction mode)
  std::size_t capacity = 256;
  unsigned prepare_threshold = 2;  // executions of the same text before it is prepared (1: at once)
};

struct ConnectOptions {
  // A URI (postgresql://...) or keyword string (host=... dbname=...); may be empty. libpq's PG*
  // variables and ~/.pgpass fill in whatever neither this nor the fields below give.
  std::string conninfo;
  // Each field, when set, overrides what conninfo says.
  std::string host;  // a name, an address, a Unix-socket folder, or a comma-separated list (multi-host)
  std::optional<std::uint16_t> port;
  std::string dbname;
  std::string user;
  std::string password;  // never printed: error messages and describe() redact it
  std::string application_name;
  std::optional<std::chrono::seconds> connect_timeout;
  std::string sslmode;      // disable, allow, prefer, require, verify-ca, verify-full
  std::string sslrootcert;
  std::string target_session_attrs;  // any, read-write, read-only, primary, standby, prefer-standby
  // Any other libpq keyword, e.g. {"keepalives_idle", "10"}, {"tcp_user_timeout", "5000"}.
  std::vector<std::pair<std::string, std::string>> parameters;

  StatementCacheOptions statement_cache;
  // Default per-call timeout; a call running longer is cancelled and raises QueryCanceled.
  std::optional<std::chrono::milliseconds> query_timeout;
};

// The conninfo as libpq reads it, with any password replaced by "***": safe for logs and messages.
// Throws InterfaceError (without the password) for a conninfo that cannot be read with confidence.
std::string redact_conninfo(std::string_view conninfo);
// Where a conninfo points ("host=... port=... dbname=... user=..."), never its password. Never throws:
// "(unparsable conninfo)" when libpq cannot parse it or a URI holds an unencoded '@' or '/' in its
// user information (libpq would read pieces of the password as host, port or database).
std::string describe_conninfo(std::string_view conninfo);

enum class TransactionStatus { idle, active, in_transaction, in_error, unknown };

struct Notification {
  std::string channel;
  std::string payload;
  int backend_pid = 0;
};

// Cancels whatever its connection is running; safe to use from any thread, and after the Connection
// has gone (then it does nothing).
class CancelHandle {
 public:
  struct State;
  explicit CancelHandle(std::shared_ptr<State> state) : state_(std::move(state)) {}
  // Asks the server to cancel the running statement; false (with the reason) when the request could
  // not be delivered. Cancelling when nothing runs is harmless.
  bool cancel(std::string* error = nullptr) const;

 private:
  std::shared_ptr<State> state_;
};

class PreparedStatement {
 public:
  // Without column types (a statement prepared in SQL, say), results come in text.
  PreparedStatement(std::string name, std::vector<Oid> parameter_types, std::vector<Oid> column_types = {})
      : name_(std::move(name)), parameter_types_(std::move(parameter_types)), column_types_(std::move(column_types)) {}
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  [[nodiscard]] const std::vector<Oid>& parameter_types() const noexcept { return parameter_types_; }
  // The types of its result's columns, as described when it was prepared.
  [[nodiscard]] const std::vector<Oid>& column_types() const noexcept { return column_types_; }

 private:
  std::string name_;
  std::vector<Oid> parameter_types_;
  std::vector<Oid> column_types_;
};

class Connection;

// exec(), query(), query_one(), query_optional() and query_value() for anything that can run a
// statement (a Connection, a Connection with a timeout, a pooled connection).
template <class Derived>
class Executor {
 public:
  template <class... Args>
  Result exec(std::string_view sql, const Args&... args) {
    if constexpr (sizeof...(Args) == 1 && (std::is_same_v<Args, Params> && ...)) {
      return self().run(sql, args...);
    } else {
      Params& params = self().scratch_params();
      params.clear();
      (params.add_borrowed(args), ...);
      return self().run(sql, params);
    }
  }
  template <class... Args>
  Result exec(const PreparedStatement& statement, const Args&... args) {
    if constexpr (sizeof...(Args) == 1 && (std::is_same_v<Args, Params> && ...)) {
      return self().run_prepared(statement, args...);
    } else {
      Params& params = self().scratch_params();
      params.clear();
      (params.add_borrowed(args), ...);
      return self().run_prepared(statement, params);
    }
  }

  // Every row as T (one column, a std::tuple, or a described struct), or as std::tuple<T...>. Rows are
  // decoded as they arrive (the undecoded result is never held whole), which is also the fastest way.
  template <class... T, class Query, class... Args>
  auto query(const Query& sql, const Args&... args) {
    if constexpr (std::is_same_v<Query, PreparedStatement>) {
      return exec(sql, args...).template as_vector<T...>();
    } else {
      detail::VectorCollector<detail::row_type<T...>> collector;
      if constexpr (sizeof...(Args) == 1 && (std::is_same_v<Args, Params> && ...)) {
        self().run_rows(sql, args..., collector);
      } else {
        Params& params = self().scratch_params();
        params.clear();
        (params.add_borrowed(args), ...);
        self().run_rows(sql, params, collector);
      }
      return collector.take();
    }
  }
  // The single row; UnexpectedRowCount when there are none or several.
  template <class... T, class Query, class... Args>
  auto query_one(const Query& sql, const Args&... args) {
    const Result result = exec(sql, args...);
    return result.one().template as<T...>();
  }
  // The row if there is one; UnexpectedRowCount when there are several.
  template <class... T, class Query, class... Args>
  auto query_optional(const Query& sql, const Args&... args) {
    const Result result = exec(sql, args...);
    using Value = detail::row_type<T...>;
    if (result.empty()) return std::optional<Value>();
    return std::optional<Value>(result.one().template as<T...>());
  }
  // The single value of a one-row, one-column result.
  template <class T, class Query, class... Args>
  T query_value(const Query& sql, const Args&... args) {
    const Result result = exec(sql, args...);
    return result.one().template as<T>();
  }

 private:
  Derived& self() { return static_cast<Derived&>(*this); }
};

// A connection whose calls all have a timeout: conn.with_timeout(250ms).exec(...).
class TimedConnection : public Executor<TimedConnection> {
 public:
  TimedConnection(Connection& connection, std::chrono::milliseconds timeout) : conn_(connection), timeout_(timeout) {}

 private:
  friend class Executor<TimedConnection>;
  Result run(std::string_view sql, const Params& params);
  void run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor);
  Result run_prepared(const PreparedStatement& statement, const Params& params);
  Params& scratch_params();

  Connection& conn_;
  std::chrono::milliseconds timeout_;
};

class RowStream;
class Transaction;
namespace detail {
class StreamState;
class BulkAccess;
class PoolAccess;
}  // namespace detail

class Connection : public Executor<Connection> {
 public:
  explicit Connection(std::string_view conninfo);
  explicit Connection(const ConnectOptions& options);
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs a script of one or more statements separated by semicolons, without parameters (the simple
  // query protocol; results come as text). Returns the last statement's result.
  Result execute_script(std::string_view sql);

  // Prepares `sql` under `name` (the server infers parameter types); run it with exec(statement, ...).
  PreparedStatement prepare(std::string_view name, std::string_view sql);
  void deallocate(const PreparedStatement& statement);
  // Forgets every automatically prepared statement, on the server too (statements made with prepare()
  // stay). In a failed transaction the server side follows once the transaction has ended.
  void clear_statement_cache();

  // The type named `name` ("mood", "inventory.item", "hstore", "int4[]": anything to_regtype reads),
  // looked up in the catalog at the first call and cached on this connection; the name is sent as a
  // parameter, never pasted into SQL. Throws InterfaceError when no such type exists. The cache is
  // keyed by the name as given and lives as long as this connection (a reconnect is a new
  // Connection); clear it after ALTER TYPE, or after a change of search_path that makes a name mean
  // another type.
  TypeInfo type_info(std::string_view name);
  void clear_type_cache() noexcept;
  [[nodiscard]] std::size_t cached_type_count() const noexcept;

  // Rows one at a time, without holding the whole result in memory (libpq's single-row mode). The
  // connection runs nothing else until the stream is finished or destroyed.
  template <class... Args>
  RowStream stream(std::string_view sql, const Args&... args);

  // Calls through the returned object time out after `timeout`: the statement is cancelled and
  // QueryCanceled raised; the connection stays usable.
  TimedConnection with_timeout(std::chrono::milliseconds timeout) { return {*this, timeout}; }

  [[nodiscard]] CancelHandle cancel_handle();

  // LISTEN/NOTIFY. Channel names are identifiers (quoted as such); payloads are parameters.
  void listen(std::string_view channel);
  void unlisten(std::string_view channel);
  void notify(std::string_view channel, std::string_view payload = {});
  // The next notification, waiting up to `timeout`; nullopt when none came.
  std::optional<Notification> wait_for_notification(std::chrono::milliseconds timeout);
  // Notifications received so far (while other statements ran), without waiting.
  std::vector<Notification> take_notifications();

  // Server notices (RAISE NOTICE, warnings). By default they are dropped.
  void set_notice_handler(std::function<void(const Diagnostics&)> handler);

  // About the session.
  [[nodiscard]] int server_version() const;  // e.g. 150004
  [[nodiscard]] std::optional<std::string> parameter_status(std::string_view name) const;
  [[nodiscard]] std::string database() const;
  [[nodiscard]] std::string user() const;
  [[nodiscard]] std::string host() const;
  [[nodiscard]] int backend_pid() const;
  [[nodiscard]] TransactionStatus transaction_status() const;
  // Open and not known to be broken. A lost connection stays closed: make a new one.
  [[nodiscard]] bool is_open() const noexcept;
  // Where this connection goes, password redacted.
  [[nodiscard]] std::string describe() const;
  // How many statements this connection has executed on the server since it was opened: one per
  // statement run, like pg_stat_statements' calls; preparing a statement (automatically, on its
  // prepare_threshold-th run, or by prepare()) does not count. exec/query/query_* and stream count 1
  // per call, whether or not the call prepared its statement first; execute_script 1 (one simple
  // Query, however many statements it holds); prepare() 0; exec of a PreparedStatement 1; a Pipeline 1
  // per queued statement (its prepare items 0); execute_many 1 per row plus 2 (the BEGIN/COMMIT or
  // SAVEPOINT/RELEASE around an atomic batch); a COPY 1 (its data rows are not statements);
  // transaction control (BEGIN, COMMIT, SAVEPOINT, ...) 1 each. pgkit's housekeeping counts too
  // (DEALLOCATE of evicted statements, type_info lookups, a pool's reset). Meant for tests that
  // assert how many statements an operation costs (no N+1), the same on every run.
  [[nodiscard]] std::uint64_t statements_sent() const;
  // Number of nested pgkit::Transaction scopes open on this connection.
  [[nodiscard]] int transaction_depth() const noexcept;
  void close() noexcept;

  // libpq's connection, for what pgkit does not cover. Do not close it.
  [[nodiscard]] pg_conn* native_handle() const noexcept;

  // pgkit's own state behind the connection. Other modules reach it only through the core's seams
  // (detail::BulkAccess, detail::PoolAccess).
  struct Impl;

 private:
  friend class Executor<Connection>;
  friend class TimedConnection;
  friend class PooledConnection;
  friend class Transaction;
  friend class detail::BulkAccess;
  friend class detail::PoolAccess;
  Result run(std::string_view sql, const Params& params);
  void run_rows(std::string_view sql, const Params& params, detail::RowVisitor& visitor);
  Result run_prepared(const PreparedStatement& statement, const Params& params);
  RowStream start_stream(std::string_view sql, const Params& params);
  Params& scratch_params();
  Impl& live() const;

  std::unique_ptr<Impl> impl_;
};

// A range of rows read one at a time. Each Row is valid until the iterator moves on. Breaking out of
// the loop early cancels the rest of the query; inside a transaction that cancel aborts the
// transaction (PostgreSQL cannot stop a statement otherwise), so roll back or let it end there.
// The connection's query_timeout bounds the statement: a wait for the next row past it cancels the
// statement (QueryCanceled), and a server that does not answer the cancel within its grace period
// (0.1 to 1 s; 1 s when abandoning a stream without a timeout) gets its connection closed.
class RowStream {
 public:
  RowStream(RowStream&& other) noexcept;
  RowStream& operator=(RowStream&&) = delete;
  RowStream(const RowStream&) = delete;
  RowStream& operator=(const RowStream&) = delete;
  ~RowStream();

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(RowStream* stream) : stream_(stream) {}
    Row operator*() const { return stream_->current_row(); }
    iterator& operator++() {
      stream_->advance();
      return *this;
    }
    void operator++(int) { stream_->advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.stream_->finished(); }

   private:
    RowStream* stream_ = nullptr;
  };
  iterator begin();
  std::default_sentinel_t end() { return {}; }

  // Rows read so far.
  [[nodiscard]] std::size_t rows_read() const noexcept { return rows_read_; }
  // True once every row was read (or the stream was abandoned).
  [[nodiscard]] bool finished() const noexcept { return finished_; }

 private:
  friend class Connection;
  explicit RowStream(std::unique_ptr<detail::StreamState> state);
  Row current_row() const;
  void advance();
  void finish() noexcept;

  std::unique_ptr<detail::StreamState> state_;  // the connection held, and the statement's deadline
  Result current_;
  std::size_t rows_read_ = 0;
  bool started_ = false;
  bool finished_ = false;
};

template <class... Args>
RowStream Connection::stream(std::string_view sql, const Args&... args) {
  Params& params = scratch_params();
  params.clear();
  (params.add_borrowed(args), ...);
  return start_stream(sql, params);
}

}  // namespace pgkit
