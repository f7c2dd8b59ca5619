// Which result format a statement asks for. libpq asks for one format for all the columns of a result:
// text unless pgkit prints every column's binary form exactly as the server prints its text, so that
// one column's type never makes a query fail and a string read is the server's own text.
#pragma once

#include <pgkit/types.hpp>

#include <libpq-fe.h>

#include <span>
#include <vector>

namespace pgkit::detail {

// Statements whose columns are not known yet (first, unprepared runs; the cache off; streams;
// pipelines) ask for text: aclitem, say, has no binary output at all.
inline constexpr int undescribed_result_format = static_cast<int>(Format::text);

// The column types of a described statement (PQdescribePrepared's result).
std::vector<Oid> column_types_of(const PGresult* description);

// For a described statement with these columns, run now on `conn`: binary when pgkit reads every
// column's binary form exactly under the session's current DateStyle, IntervalStyle and TimeZone, and
// binary pays; text otherwise (and when there are no columns, where it makes no difference).
Format result_format_for(std::span<const Oid> column_types, const PGconn* conn);

}  // namespace pgkit::detail
