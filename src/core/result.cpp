#include "result_data.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>

namespace pgkit {
namespace detail {

ResultData::ResultData(PGresult* res, std::shared_ptr<const TextSettings> text_settings)
    : result(res),
      rows(static_cast<std::size_t>(PQntuples(res))),
      own_settings(std::move(text_settings)),
      settings(own_settings.get()) {
  const int count = PQnfields(res);
  own_columns.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    own_columns.push_back({PQfname(res, i), PQftype(res, i), PQfformat(res, i) == 1 ? Format::binary : Format::text});
  }
  columns = own_columns;
}

void ColumnsCopy::read(const PGresult* result, std::shared_ptr<const TextSettings> text_settings) {
  settings_ = std::move(text_settings);
  const int count = PQnfields(result);
  names_.clear();
  columns_.clear();
  names_.reserve(static_cast<std::size_t>(count));  // no reallocation: columns_ views these strings
  for (int i = 0; i < count; ++i) names_.emplace_back(PQfname(result, i));
  for (int i = 0; i < count; ++i) {
    columns_.push_back({names_[static_cast<std::size_t>(i)], PQftype(result, i),
                        PQfformat(result, i) == 1 ? Format::binary : Format::text});
  }
  read_ = true;
}

Field field_at(const ResultData& data, std::size_t row, std::size_t column) {
  if (column >= data.columns.size()) {
    throw InterfaceError(fmt::format("column {} is out of range: the result has {} columns", column, data.columns.size()));
  }
  const ResultColumn& info = data.columns[column];
  const int r = static_cast<int>(row);
  const int c = static_cast<int>(column);
  const int length = PQgetlength(data.result, r, c);
  if (length == 0 && PQgetisnull(data.result, r, c) != 0) {
    return Field::null(info.type, info.format, info.name, data.settings);
  }
  return Field(PQgetvalue(data.result, r, c), static_cast<std::size_t>(length), info.type, info.format, info.name,
               data.settings);
}

void fields_at(const ResultData& data, std::size_t row, std::span<const std::size_t> columns, Field* out) {
  const int r = static_cast<int>(row);
  PGresult* const result = data.result;
  const TextSettings* const settings = data.settings;
  for (const std::size_t column : columns) {
    const ResultColumn& info = data.columns[column];  // the readers found these columns in this result
    const int c = static_cast<int>(column);
    // Only a zero-length value can be NULL, so most fields skip the PQgetisnull call.
    const int length = PQgetlength(result, r, c);
    *out++ = (length == 0 && PQgetisnull(result, r, c) != 0)
                 ? Field::null(info.type, info.format, info.name, settings)
                 : Field(PQgetvalue(result, r, c), static_cast<std::size_t>(length), info.type, info.format, info.name,
                         settings);
  }
}

namespace {
std::string column_list(Columns columns) {
  std::vector<std::string_view> names;
  for (const auto& column : columns) names.push_back(column.name);
  return names.empty() ? std::string("(none)") : fmt::format("{}", fmt::join(names, ", "));
}
}  // namespace

Columns columns_of(const ResultData& data) noexcept { return data.columns; }

std::size_t column_index(Columns columns, std::string_view name) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return i;
  }
  throw InterfaceError(fmt::format("the result has no column \"{}\"; its columns are: {}", name, column_list(columns)));
}

void throw_column_count(Columns columns, std::size_t expected) {
  throw InterfaceError(fmt::format("expected {} column{} but the result has {} ({})", expected,
                                   expected == 1 ? "" : "s", columns.size(), column_list(columns)));
}

}  // namespace detail

std::size_t Row::size() const noexcept { return data_->columns.size(); }

Field Row::field(std::size_t column) const { return detail::field_at(*data_, index_, column); }

Field Row::operator[](std::string_view column) const {
  return detail::field_at(*data_, index_, detail::column_index(data_->columns, column));
}

std::size_t Result::size() const noexcept { return data_ ? data_->rows : 0; }
std::size_t Result::columns() const noexcept { return data_ ? data_->columns.size() : 0; }

std::string_view Result::column_name(std::size_t column) const {
  if (column >= columns()) throw InterfaceError(fmt::format("column {} is out of range ({} columns)", column, columns()));
  return data_->columns[column].name;
}

Oid Result::column_type(std::size_t column) const {
  if (column >= columns()) throw InterfaceError(fmt::format("column {} is out of range ({} columns)", column, columns()));
  return data_->columns[column].type;
}

std::optional<std::size_t> Result::find_column(std::string_view name) const noexcept {
  for (std::size_t i = 0, n = columns(); i < n; ++i) {
    if (data_->columns[i].name == name) return i;
  }
  return std::nullopt;
}

std::size_t Result::column_index(std::string_view name) const {
  if (!data_) throw InterfaceError(fmt::format("no column \"{}\": the result is empty", name));
  return detail::column_index(data_->columns, name);
}

std::int64_t Result::affected_rows() const noexcept {
  if (!data_) return 0;
  const char* text = PQcmdTuples(data_->result);
  std::int64_t count = 0;
  std::from_chars(text, text + std::char_traits<char>::length(text), count);
  return count;
}

std::string_view Result::command_tag() const noexcept { return data_ ? PQcmdStatus(data_->result) : ""; }

Row Result::at(std::size_t row) const {
  if (row >= size()) throw InterfaceError(fmt::format("row {} is out of range: the result has {} rows", row, size()));
  return (*this)[row];
}

Row Result::one() const {
  if (size() != 1) throw UnexpectedRowCount(fmt::format("expected exactly one row, got {}", size()));
  return (*this)[0];
}

}  // namespace pgkit
