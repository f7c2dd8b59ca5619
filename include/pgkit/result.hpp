// Results: Result -> Row -> Field. Rows and fields are views into their Result and valid while it lives.
//
//   auto result = conn.exec("SELECT id, name FROM products WHERE price > $1", 50);
//   for (const auto& row : result) fmt::print("{} {}\n", row["id"].as<int>(), row[1].as<std::string>());
//   auto [id, name] = result.one().as<int, std::string>();
//   std::vector<Product> products = result.as_vector<Product>();  // described: #include <pgkit/describe.hpp>
#pragma once

#include <pgkit/types.hpp>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <vector>

namespace pgkit {

class Result;

namespace detail {
struct ResultData;  // owns libpq's PGresult; defined in src/core

template <class T>
struct is_tuple : std::false_type {};
template <class... Ts>
struct is_tuple<std::tuple<Ts...>> : std::true_type {};

// A result column as the readers see it: the same for libpq results and binary COPY rows.
struct ResultColumn {
  std::string_view name;
  Oid type = 0;
  Format format = Format::text;
};
using Columns = std::span<const ResultColumn>;

Columns columns_of(const ResultData& data) noexcept;
Field field_at(const ResultData& data, std::size_t row, std::size_t column);
// The fields of `row` at `columns`, in one call: what row readers use on their hot path.
void fields_at(const ResultData& data, std::size_t row, std::span<const std::size_t> columns, Field* out);
// Throws InterfaceError naming the columns there are when there is no column `name`.
std::size_t column_index(Columns columns, std::string_view name);
[[noreturn]] void throw_column_count(Columns columns, std::size_t expected);
}  // namespace detail

class Row {
 public:
  Row(const detail::ResultData* data, std::size_t index) noexcept : data_(data), index_(index) {}

  [[nodiscard]] std::size_t index() const noexcept { return index_; }
  [[nodiscard]] const detail::ResultData* result_data() const noexcept { return data_; }
  [[nodiscard]] std::size_t size() const noexcept;
  // By position (throws InterfaceError when out of range) or by exact column name.
  template <std::integral I>
  [[nodiscard]] Field operator[](I column) const {
    return field(static_cast<std::size_t>(column));
  }
  [[nodiscard]] Field operator[](std::string_view column) const;
  [[nodiscard]] Field field(std::size_t column) const;

  template <class T, class Key>
  [[nodiscard]] T get(const Key& column) const {
    return (*this)[column].template as<T>();
  }

  // as<T>(): the only column as T, a std::tuple of every column, or a described struct by column names.
  // as<A, B, ...>(): a std::tuple<A, B, ...> of every column.
  template <class... T>
  [[nodiscard]] auto as() const;

 private:
  friend class Result;
  template <class... T>
  std::tuple<T...> as_tuple() const;

  const detail::ResultData* data_;
  std::size_t index_;
};

class Result {
 public:
  Result() = default;
  explicit Result(std::shared_ptr<const detail::ResultData> data) noexcept : data_(std::move(data)) {}

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] std::size_t columns() const noexcept;
  [[nodiscard]] std::string_view column_name(std::size_t column) const;
  [[nodiscard]] Oid column_type(std::size_t column) const;
  [[nodiscard]] std::optional<std::size_t> find_column(std::string_view name) const noexcept;
  // Throws InterfaceError naming the result's columns when there is no column `name`.
  [[nodiscard]] std::size_t column_index(std::string_view name) const;
  // Rows inserted, updated, deleted, selected, ... (the count in the command tag; 0 when it has none).
  [[nodiscard]] std::int64_t affected_rows() const noexcept;
  // The command tag, e.g. "INSERT 0 1" or "SELECT 3".
  [[nodiscard]] std::string_view command_tag() const noexcept;

  [[nodiscard]] Row operator[](std::size_t row) const noexcept { return Row(data_.get(), row); }
  // Throws InterfaceError when out of range.
  [[nodiscard]] Row at(std::size_t row) const;
  // The single row; throws UnexpectedRowCount when there are none or several.
  [[nodiscard]] Row one() const;

  class iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = Row;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Row;
    iterator() = default;
    iterator(const detail::ResultData* data, std::size_t index) : data_(data), index_(index) {}
    Row operator*() const noexcept { return Row(data_, index_); }
    iterator& operator++() noexcept {
      ++index_;
      return *this;
    }
    iterator operator++(int) noexcept {
      auto copy = *this;
      ++index_;
      return copy;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept { return a.index_ == b.index_; }
    friend difference_type operator-(const iterator& a, const iterator& b) noexcept {
      return static_cast<difference_type>(a.index_) - static_cast<difference_type>(b.index_);
    }

   private:
    const detail::ResultData* data_ = nullptr;
    std::size_t index_ = 0;
  };
  [[nodiscard]] iterator begin() const noexcept { return {data_.get(), 0}; }
  [[nodiscard]] iterator end() const noexcept { return {data_.get(), size()}; }

  // Every row as T (see Row::as), or as std::tuple<T...> when several types are given.
  template <class... T>
  [[nodiscard]] auto as_vector() const;

  [[nodiscard]] const detail::ResultData* data() const noexcept { return data_.get(); }

 private:
  std::shared_ptr<const detail::ResultData> data_;
};

// ---------------------------------------------------------------------------------------------------

namespace detail {

template <class T>
struct RowReader;

// Reading one C++ value per row: a single column, a std::tuple of all columns, or a described struct
// matched by column names. A reader is built once per result from its columns; read() takes a row of a
// libpq result, decode() the fields of any row laid out like those columns (binary COPY).
template <class T, std::size_t Width>
class ReaderBase {
 public:
  T read(const Row& row) const {
    std::array<Field, Width> fields;
    fields_at(*row.result_data(), row.index(), columns_, fields.data());
    return static_cast<const RowReaderOf<T>&>(*this).make(fields);
  }
  T decode(const Field* row_fields) const {
    std::array<Field, Width> fields;
    for (std::size_t i = 0; i < Width; ++i) fields[i] = row_fields[columns_[i]];
    return static_cast<const RowReaderOf<T>&>(*this).make(fields);
  }

 protected:
  template <class U>
  using RowReaderOf = RowReader<U>;
  std::array<std::size_t, Width> columns_{};
};

template <class T>
struct RowReader : ReaderBase<T, 1> {
  explicit RowReader(Columns columns) {
    if (columns.size() != 1) throw_column_count(columns, 1);
  }
  explicit RowReader(const ResultData& data) : RowReader(columns_of(data)) {}
  T make(const std::array<Field, 1>& fields) const { return fields[0].template as<T>(); }
};

template <class... Ts>
struct RowReader<std::tuple<Ts...>> : ReaderBase<std::tuple<Ts...>, sizeof...(Ts)> {
  explicit RowReader(Columns columns) {
    if (columns.size() != sizeof...(Ts)) throw_column_count(columns, sizeof...(Ts));
    for (std::size_t i = 0; i < sizeof...(Ts); ++i) this->columns_[i] = i;
  }
  explicit RowReader(const ResultData& data) : RowReader(columns_of(data)) {}
  std::tuple<Ts...> make(const std::array<Field, sizeof...(Ts)>& fields) const {
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
      return std::tuple<Ts...>(fields[I].template as<Ts>()...);
    }(std::index_sequence_for<Ts...>{});
  }
};

template <class... T>
using row_type = std::conditional_t<sizeof...(T) == 1, std::tuple_element_t<0, std::tuple<T..., void>>, std::tuple<T...>>;

// Receives rows one at a time as they arrive (Connection decodes a query's rows while the server is
// still producing the next ones, instead of waiting for the whole result).
class RowVisitor {
 public:
  // Once, before any row: the result's shape (also when there are no rows).
  virtual void on_columns(const ResultData& shape) = 0;
  virtual void on_row(const Row& row) = 0;

 protected:
  ~RowVisitor() = default;
};

template <class Value>
class VectorCollector final : public RowVisitor {
 public:
  void on_columns(const ResultData& shape) override { reader_.emplace(shape); }
  void on_row(const Row& row) override { values_.push_back(reader_->read(row)); }
  std::vector<Value> take() { return std::move(values_); }

 private:
  std::optional<RowReader<Value>> reader_;
  std::vector<Value> values_;
};

}  // namespace detail

template <class... T>
auto Row::as() const {
  static_assert(sizeof...(T) >= 1, "as<T...>() needs at least one type");
  using Value = detail::row_type<T...>;
  return detail::RowReader<Value>(*data_).read(*this);
}

template <class... T>
auto Result::as_vector() const {
  using Value = detail::row_type<T...>;
  std::vector<Value> values;
  if (!data_) return values;
  values.reserve(size());
  const detail::RowReader<Value> reader(*data_);
  for (std::size_t i = 0, n = size(); i < n; ++i) values.push_back(reader.read((*this)[i]));
  return values;
}

}  // namespace pgkit
