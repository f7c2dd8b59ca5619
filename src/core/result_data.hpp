// What a pgkit::Result shares: libpq's PGresult, its column descriptions, read once, and the session's
// text settings when it was made (how its text values read).
#pragma once

#include <pgkit/result.hpp>

#include "text_settings.hpp"

#include <boost/container/small_vector.hpp>
#include <libpq-fe.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit::detail {

class ColumnsCopy;

struct ResultData {
  // Owns `result` and reads its column descriptions. `text_settings` null: the server's defaults.
  ResultData(PGresult* result, std::shared_ptr<const TextSettings> text_settings);
  // Owns `result` but borrows what `shared` read once for a series of single-row results, so that a
  // streamed row costs pgkit no allocation.
  ResultData(PGresult* result, const ColumnsCopy& shared) noexcept;
  ResultData(const ResultData&) = delete;
  ResultData& operator=(const ResultData&) = delete;
  ~ResultData() { PQclear(result); }

  PGresult* result;
  std::size_t rows;
  // Most results have few columns: their descriptions stay inline, saving an allocation per result.
  boost::container::small_vector<ResultColumn, 8> own_columns;
  std::span<const ResultColumn> columns;
  std::shared_ptr<const TextSettings> own_settings;
  const TextSettings* settings = nullptr;  // what every field carries: a pointer, not a copy
};

// Column descriptions (names copied) and text settings that outlive the PGresult they were read
// from, for streams.
class ColumnsCopy {
 public:
  void read(const PGresult* result, std::shared_ptr<const TextSettings> text_settings);
  [[nodiscard]] bool empty() const noexcept { return !read_; }
  [[nodiscard]] std::span<const ResultColumn> columns() const noexcept { return columns_; }
  [[nodiscard]] const TextSettings* settings() const noexcept { return settings_.get(); }

 private:
  bool read_ = false;
  std::vector<std::string> names_;
  std::vector<ResultColumn> columns_;
  std::shared_ptr<const TextSettings> settings_;
};

inline ResultData::ResultData(PGresult* result, const ColumnsCopy& shared) noexcept
    : result(result),
      rows(static_cast<std::size_t>(PQntuples(result))),
      columns(shared.columns()),
      settings(shared.settings()) {}

inline Result make_result(PGresult* result, std::shared_ptr<const TextSettings> text_settings) {
  return Result(std::make_shared<const ResultData>(result, std::move(text_settings)));
}

}  // namespace pgkit::detail
