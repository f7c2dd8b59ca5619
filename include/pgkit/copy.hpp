// COPY: the fastest way in and out of a table.
//
//   // Typed, binary COPY: rows are tuples, described structs, or single values.
//   pgkit::copy_in(conn, "products", {"name", "price", "stock"}, rows);
//   pgkit::copy_in(conn, "products", products);        // described structs: columns = member names
//   for (const auto& [id, name] : pgkit::CopyRows<int, std::string>(conn, "SELECT id, name FROM products"))
//   pgkit::copy_out<Product>(conn, "SELECT * FROM products", [](const Product& p) { ... });
//
//   // Raw text or CSV, from and to streams or files:
//   pgkit::copy_in_raw(conn, "COPY products FROM STDIN (FORMAT csv, HEADER)", file_stream);
//   pgkit::copy_out_raw(conn, "COPY products TO STDOUT (FORMAT csv)", std::cout);
//
// Memory stays bounded whatever the size: rows are encoded into a buffer of CopyOptions::buffer_bytes
// and sent, and rows out are decoded one at a time. A COPY is one statement: when a row fails (on the
// client, e.g. a value that does not fit its column, or on the server, e.g. a unique violation) the
// whole COPY is rolled back, the table is left as it was, and the error names the row and column.
// COPY cannot take parameters (PostgreSQL's rule): a query given to copy_out has none.
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/row_values.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <cstring>
#include <limits>
#include <vector>

namespace pgkit {

// A table, possibly schema-qualified. Both names are identifiers: validated and quoted, never pasted.
struct TableName {
  TableName(const char* table) : name(table) {}         // NOLINT(google-explicit-constructor)
  TableName(std::string_view table) : name(table) {}    // NOLINT(google-explicit-constructor)
  TableName(const std::string& table) : name(table) {}  // NOLINT(google-explicit-constructor)
  TableName(std::string_view schema_name, std::string_view table) : schema(schema_name), name(table) {}
  std::string schema;  // empty: found through search_path
  std::string name;
};

struct CopyOptions {
  std::optional<std::chrono::milliseconds> timeout;  // for the whole COPY; cancels it when passed
  std::size_t buffer_bytes = std::size_t{1} << 20;  // encoded rows are sent once this much is buffered
};

struct CopyStats {
  std::int64_t rows = 0;
  std::size_t bytes = 0;                // sent or received
  std::size_t peak_buffered_bytes = 0;  // the most pgkit held at once
};

namespace detail {

// How a C++ value goes into a binary COPY field of its column, chosen once per column.
enum class CopyEncoding : unsigned char {
  same,        // Type<T>'s binary form is the column's
  to_int2,     // integers converted (and range-checked) to the column's width
  to_int4,
  to_int8,
  to_float4,   // floating point to the column's width
  to_float8,
  text,        // text-form values into text-like columns (text, varchar, json, enums, ...)
  text_jsonb,  // text-form values into jsonb or jsonpath (version byte first)
  text_array,  // arrays of text-form values (std::vector<std::string>, ...) into text[], varchar[], ...
};

// Picks the encoding, or throws InterfaceError saying why this C++ type cannot fill that column.
CopyEncoding choose_copy_encoding(Oid column_type, std::string_view column, Oid value_type, Format value_format,
                                  bool is_integer, bool is_floating, bool is_array = false);
// The element type of a built-in array of text-like values (text[], varchar[], ...), or 0.
Oid copy_text_array_element(Oid array_type) noexcept;
[[noreturn]] void throw_copy_range(std::string_view column, std::string_view what);

class CopyWriterImpl;
class CopyReaderImpl;

}  // namespace detail

// A typed, binary COPY into a table. Rows are sent as the buffer fills; finish() completes the COPY.
class CopyWriter {
 public:
  CopyWriter(Connection& connection, const TableName& table, const std::vector<std::string>& columns,
             const CopyOptions& options = {});
  CopyWriter(const CopyWriter&) = delete;
  CopyWriter& operator=(const CopyWriter&) = delete;
  // Without finish(), the COPY is aborted and the table left as it was. Never throws.
  ~CopyWriter();

  // One row: a std::tuple, a described struct, or a single value (for one column).
  template <class Row>
  void write(const Row& row) {
    start_row(detail::row_width<Row>());
    std::size_t column = 0;
    try {
      detail::for_each_row_value(row, [&](const auto& value) {
        write_field(column, value);
        ++column;
      });
    } catch (const InterfaceError& e) {
      fail_row(column, e);
    }
    end_row();
  }
  // Completes the COPY; returns the rows copied. Throws the server's error (the table unchanged).
  std::int64_t finish();
  [[nodiscard]] const CopyStats& stats() const;

 private:
  struct ColumnEncoding {
    detail::CopyEncoding how = detail::CopyEncoding::same;
    Oid value_type = 0;
    Format value_format = Format::text;
    bool is_array = false;
    bool chosen = false;
  };

  void start_row(std::size_t width);  // checks the width against the columns, writes the field count
  void end_row();                     // sends the buffer once it is full
  [[noreturn]] void fail_row(std::size_t column, const InterfaceError& error);
  void choose(std::size_t column, Oid value_type, Format value_format, bool is_integer, bool is_floating,
              bool is_array);
  [[nodiscard]] std::string_view column_name(std::size_t column) const;

  // Chosen once per column (again only if a later row sends another C++ type there).
  detail::CopyEncoding encoding(std::size_t column, Oid value_type, Format value_format, bool is_integer,
                                bool is_floating, bool is_array) {
    const ColumnEncoding& cached = encodings_[column];
    if (!cached.chosen || cached.value_type != value_type || cached.value_format != value_format ||
        cached.is_array != is_array) {
      choose(column, value_type, value_format, is_integer, is_floating, is_array);
    }
    return encodings_[column].how;
  }

  template <class T>
  void write_field(std::size_t column, const T& value);
  // An integer into a smallint, integer or bigint column (`how`), range-checked.
  template <class T>
  void write_integer(std::size_t column, detail::CopyEncoding how, T value);

  std::string buffer_;
  std::vector<ColumnEncoding> encodings_;
  std::vector<std::string> column_names_;
  std::vector<Oid> column_types_;
  std::unique_ptr<detail::CopyWriterImpl> impl_;
};

// Copies `rows` into `table` (`columns`; for described structs, empty means the member names).
// Returns the rows copied.
template <class Range>
std::int64_t copy_in(Connection& connection, const TableName& table, const std::vector<std::string>& columns,
                     const Range& rows, const CopyOptions& options = {}) {
  using Row = std::remove_cvref_t<decltype(*std::begin(rows))>;
  std::vector<std::string> names = columns;
  if (names.empty()) {
    for (auto name : detail::row_member_names<Row>()) names.emplace_back(name);
  }
  CopyWriter writer(connection, table, names, options);
  for (const auto& row : rows) writer.write(row);
  return writer.finish();
}

template <class Range>
std::int64_t copy_in(Connection& connection, const TableName& table, const Range& rows,
                     const CopyOptions& options = {}) {
  return copy_in(connection, table, std::vector<std::string>{}, rows, options);
}

// Rows of a query (no parameters) read through binary COPY, decoded one at a time into T (one column,
// a std::tuple, a described struct) or std::tuple<T...>. An input range; leaving it early cancels the
// COPY (inside a transaction, that aborts the transaction).
template <class... T>
class CopyRows {
 public:
  using Value = detail::row_type<T...>;
  CopyRows(Connection& connection, std::string_view query, const CopyOptions& options = {});
  CopyRows(const CopyRows&) = delete;
  CopyRows& operator=(const CopyRows&) = delete;
  ~CopyRows();

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Value;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(CopyRows* rows) : rows_(rows) {}
    const Value& operator*() const { return *rows_->current_; }
    const Value* operator->() const { return &*rows_->current_; }
    iterator& operator++() {
      rows_->advance();
      return *this;
    }
    void operator++(int) { rows_->advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.at_end(); }

   private:
    [[nodiscard]] bool at_end() const { return !rows_->current_; }
    CopyRows* rows_ = nullptr;
  };
  iterator begin() {
    if (!started_) {
      started_ = true;
      advance();
    }
    return iterator(this);
  }
  std::default_sentinel_t end() { return {}; }
  [[nodiscard]] const CopyStats& stats() const;

 private:
  void advance();
  std::unique_ptr<detail::CopyReaderImpl> impl_;
  std::optional<detail::RowReader<Value>> reader_;
  std::optional<Value> current_;
  bool started_ = false;
};

// Calls on_row for every row of `query`, read through binary COPY; returns the rows read.
template <class... T, class F>
std::int64_t copy_out(Connection& connection, std::string_view query, F&& on_row, const CopyOptions& options = {}) {
  CopyRows<T...> rows(connection, query, options);
  for (const auto& row : rows) on_row(row);
  return rows.stats().rows;
}

// Raw COPY: `copy_sql` is a complete COPY ... FROM STDIN / TO STDOUT statement in any format (text,
// csv, binary); the bytes are passed through untouched. Return the rows copied.
std::int64_t copy_in_raw(Connection& connection, std::string_view copy_sql, std::istream& in,
                         const CopyOptions& options = {});
std::int64_t copy_in_file(Connection& connection, std::string_view copy_sql, const std::filesystem::path& path,
                          const CopyOptions& options = {});
std::int64_t copy_out_raw(Connection& connection, std::string_view copy_sql, std::ostream& out,
                          const CopyOptions& options = {});
std::int64_t copy_out_file(Connection& connection, std::string_view copy_sql, const std::filesystem::path& path,
                           const CopyOptions& options = {});

// ---------------------------------------------------------------------------------------------------

template <class T>
void CopyWriter::write_field(std::size_t column, const T& value) {
  using U = std::remove_cvref_t<T>;
  std::string& out = buffer_;
  if constexpr (std::is_same_v<U, std::nullopt_t>) {
    detail::append_be32(out, 0xFFFFFFFFu);
  } else if constexpr (detail::is_optional_v<U>) {
    if (!value) {
      detail::append_be32(out, 0xFFFFFFFFu);
    } else {
      write_field(column, *value);
    }
  } else if constexpr (std::is_array_v<U> || std::is_same_v<std::decay_t<U>, const char*>) {
    write_field(column, std::string_view(value));
  } else {
    constexpr bool is_integer = detail::pg_integer<U>;
    constexpr bool is_floating = std::is_floating_point_v<U>;
    // pgkit::Array (array.hpp) writes its own binary form, bounds included, given the element type.
    constexpr bool is_bounded_array = requires(std::string& s) { Type<U>::encode_binary(value, s, Oid{}); };
    constexpr bool is_array = detail::ArrayShape<U>::depth > 0 || is_bounded_array;
    const auto how = encoding(column, Type<U>::oid, Type<U>::format, is_integer, is_floating, is_array);
    const std::size_t at = out.size();
    detail::append_be32(out, 0);  // the length, patched below
    switch (how) {
      case detail::CopyEncoding::same:
      case detail::CopyEncoding::text:
        Type<U>::encode(value, out);
        break;
      case detail::CopyEncoding::text_jsonb:
        out.push_back('\1');
        Type<U>::encode(value, out);
        break;
      case detail::CopyEncoding::text_array:
        // Binary COPY takes arrays only in binary form: the elements' text is their binary form.
        if constexpr (is_bounded_array) {
          Type<U>::encode_binary(value, out, detail::copy_text_array_element(column_types_[column]));
        } else if constexpr (is_array) {
          std::vector<int> dims;
          bool has_null = false;
          detail::measure_array(value, dims, 0, has_null);
          const bool empty = std::find(dims.begin(), dims.end(), 0) != dims.end();
          detail::begin_binary_array(out, empty ? std::span<const int>{} : std::span<const int>(dims), has_null,
                                     detail::copy_text_array_element(column_types_[column]));
          if (!empty) detail::encode_array_elements(value, out, Format::binary);
        }
        break;
      case detail::CopyEncoding::to_int2:
      case detail::CopyEncoding::to_int4:
      case detail::CopyEncoding::to_int8:
        if constexpr (is_integer) write_integer(column, how, value);
        break;
      case detail::CopyEncoding::to_float4:
      case detail::CopyEncoding::to_float8:
        if constexpr (is_floating) {
          if (how == detail::CopyEncoding::to_float4) {
            detail::append_be32(out, std::bit_cast<std::uint32_t>(static_cast<float>(value)));
          } else {
            detail::append_be64(out, std::bit_cast<std::uint64_t>(static_cast<double>(value)));
          }
        }
        break;
    }
    const std::size_t length = out.size() - at - 4;
    if (length > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max())) {
      detail::throw_copy_range(column_name(column), "the value is larger than 2 GiB");
    }
    const auto be = __builtin_bswap32(static_cast<std::uint32_t>(length));
    std::memcpy(out.data() + at, &be, 4);
  }
}

template <class T>
void CopyWriter::write_integer(std::size_t column, detail::CopyEncoding how, T value) {
  std::string& out = buffer_;
  const auto wide = static_cast<std::int64_t>(value);
  if constexpr (std::is_unsigned_v<T> && sizeof(T) == 8) {
    if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max())) {
      detail::throw_copy_range(column_name(column), "the value does not fit in bigint");
    }
  }
  if (how == detail::CopyEncoding::to_int2) {
    if (wide < std::numeric_limits<std::int16_t>::min() || wide > std::numeric_limits<std::int16_t>::max()) {
      detail::throw_copy_range(column_name(column), "the value does not fit in smallint");
    }
    detail::append_be16(out, static_cast<std::uint16_t>(wide));
  } else if (how == detail::CopyEncoding::to_int4) {
    if (wide < std::numeric_limits<std::int32_t>::min() || wide > std::numeric_limits<std::int32_t>::max()) {
      detail::throw_copy_range(column_name(column), "the value does not fit in integer");
    }
    detail::append_be32(out, static_cast<std::uint32_t>(wide));
  } else {
    detail::append_be64(out, static_cast<std::uint64_t>(wide));
  }
}

namespace detail {

// The part of CopyRows that is not a template.
class CopyReaderImpl {
 public:
  CopyReaderImpl(Connection& connection, std::string_view query, const CopyOptions& options);
  CopyReaderImpl(const CopyReaderImpl&) = delete;
  CopyReaderImpl& operator=(const CopyReaderImpl&) = delete;
  ~CopyReaderImpl();
  [[nodiscard]] Columns columns() const noexcept;
  // The next row's fields (one per column), or nullptr at the end. Valid until the next call.
  const Field* next();
  [[nodiscard]] const CopyStats& stats() const noexcept;

  struct State;  // also the raw COPY TO's reader

 private:
  std::unique_ptr<State> state_;
};

}  // namespace detail

template <class... T>
CopyRows<T...>::CopyRows(Connection& connection, std::string_view query, const CopyOptions& options)
    : impl_(std::make_unique<detail::CopyReaderImpl>(connection, query, options)) {
  reader_.emplace(impl_->columns());
}

template <class... T>
CopyRows<T...>::~CopyRows() = default;

template <class... T>
void CopyRows<T...>::advance() {
  current_.reset();
  if (const Field* fields = impl_->next()) current_.emplace(reader_->decode(fields));
}

template <class... T>
const CopyStats& CopyRows<T...>::stats() const {
  return impl_->stats();
}

}  // namespace pgkit
