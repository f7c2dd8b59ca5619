// What a pgkit::Result shares: libpq's PGresult and its column descriptions, read once.
#pragma once

#include <pgkit/result.hpp>

#include <libpq-fe.h>

#include <memory>
#include <string_view>
#include <vector>

namespace pgkit::detail {

struct ResultColumn {
  std::string_view name;  // points into the PGresult
  Oid type = 0;
  Format format = Format::text;
};

struct ResultData {
  explicit ResultData(PGresult* result);
  ResultData(const ResultData&) = delete;
  ResultData& operator=(const ResultData&) = delete;
  ~ResultData() { PQclear(result); }

  PGresult* result;
  std::size_t rows;
  std::vector<ResultColumn> columns;
};

inline Result make_result(PGresult* result) { return Result(std::make_shared<const ResultData>(result)); }

}  // namespace pgkit::detail
