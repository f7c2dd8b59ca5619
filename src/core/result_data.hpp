// What a pgkit::Result shares: libpq's PGresult and its column descriptions, read once.
#pragma once

#include <pgkit/result.hpp>

#include <boost/container/small_vector.hpp>
#include <libpq-fe.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pgkit::detail {

struct ResultData {
  // Owns `result` and reads its column descriptions.
  explicit ResultData(PGresult* result);
  // Owns `result` but borrows descriptions read once for a series of single-row results, so that a
  // streamed row costs pgkit no allocation.
  ResultData(PGresult* result, std::span<const ResultColumn> shared_columns) noexcept
      : result(result), rows(static_cast<std::size_t>(PQntuples(result))), columns(shared_columns) {}
  ResultData(const ResultData&) = delete;
  ResultData& operator=(const ResultData&) = delete;
  ~ResultData() { PQclear(result); }

  PGresult* result;
  std::size_t rows;
  // Most results have few columns: their descriptions stay inline, saving an allocation per result.
  boost::container::small_vector<ResultColumn, 8> own_columns;
  std::span<const ResultColumn> columns;
};

// Column descriptions that outlive the PGresult they were read from (names copied), for streams.
class ColumnsCopy {
 public:
  void read(const PGresult* result);
  [[nodiscard]] bool empty() const noexcept { return !read_; }
  [[nodiscard]] std::span<const ResultColumn> columns() const noexcept { return columns_; }

 private:
  bool read_ = false;
  std::vector<std::string> names_;
  std::vector<ResultColumn> columns_;
};

inline Result make_result(PGresult* result) { return Result(std::make_shared<const ResultData>(result)); }

}  // namespace pgkit::detail
