// A million rows in and out with bounded memory: what pgkit reports (CopyStats) and what the process
// actually holds (its peak resident set, where the kernel lets us measure it).
#include "bulk/copy_test_support.hpp"

#include <pgkit/copy.hpp>

#include <fmt/format.h>
#include <gmock/gmock.h>

#include <cstdint>
#include <fstream>
#include <optional>
#include <ranges>
#include <sstream>
#include <string>
#include <tuple>

namespace {

using pgkit::copy_test::count_rows;
using pgkit::copy_test::expect_usable;

constexpr int kRows = 1'000'000;
// Encoded size of one (int, bigint) row in binary COPY: field count, then length + value for each.
constexpr std::size_t kRowBytes = 2 + (4 + 4) + (4 + 8);
// Holding every row at once would take kRows * kRowBytes = 18 MB; bounded code stays far below this.
constexpr std::int64_t kMemoryLimitKiB = 8 * 1024;

// The process's peak resident set since the last reset, in KiB; nullopt where it cannot be measured
// (no /proc, or a sanitizer whose quarantine keeps freed memory resident on purpose).
class PeakMemory {
 public:
  PeakMemory() { reset(); }
  void reset() {
#if defined(__SANITIZE_ADDRESS__)
    measurable_ = false;
#else
    std::ofstream clear("/proc/self/clear_refs");
    clear << "5";  // resets VmHWM to the current resident set
    clear.close();
    measurable_ = clear.good();
    baseline_ = read("VmHWM:");
    if (!baseline_) measurable_ = false;
#endif
  }
  // How far the peak rose above the resident set at reset().
  [[nodiscard]] std::optional<std::int64_t> growth_kib() const {
    if (!measurable_) return std::nullopt;
    const auto now = read("VmHWM:");
    if (!now) return std::nullopt;
    return *now - *baseline_;
  }

 private:
  static std::optional<std::int64_t> read(const std::string& key) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size()));
    }
    return std::nullopt;
  }
  bool measurable_ = false;
  std::optional<std::int64_t> baseline_;
};

class CopyLarge : public pgkit::testing::DatabaseTest {
 protected:
  pgkit::Connection conn = connect();
};

TEST_F(CopyLarge, AMillionRowsInWithABoundedBuffer) {
  conn.exec("CREATE UNLOGGED TABLE million_in (id int, v bigint)");
  pgkit::CopyOptions options;
  options.buffer_bytes = 64 * 1024;
  // Rows made as they are consumed: the only copy of the data is what the COPY itself holds.
  auto rows = std::views::iota(0, kRows) | std::views::transform([](int i) { return std::make_tuple(i, i * 3LL); });

  PeakMemory memory;
  pgkit::CopyWriter writer(conn, "million_in", {"id", "v"}, options);
  for (const auto& row : rows) writer.write(row);
  EXPECT_EQ(writer.finish(), kRows);
  const auto growth = memory.growth_kib();

  const pgkit::CopyStats& stats = writer.stats();
  EXPECT_EQ(stats.rows, kRows);
  // Every byte went: the 19-byte header, the rows, the 2-byte trailer.
  EXPECT_EQ(stats.bytes, 19 + kRows * kRowBytes + 2);
  // The buffer is sent as soon as it holds buffer_bytes, so it never holds more than that plus the row
  // that crossed the line.
  EXPECT_GE(stats.peak_buffered_bytes, options.buffer_bytes);
  EXPECT_LT(stats.peak_buffered_bytes, options.buffer_bytes + kRowBytes);
  if (growth) {
    EXPECT_LT(*growth, kMemoryLimitKiB) << "peak resident set rose by " << *growth << " KiB";
  }

  // The server has every row, with the right values.
  EXPECT_EQ(count_rows(conn, "million_in"), kRows);
  using Sums = std::tuple<std::int64_t, std::int64_t, std::int64_t>;
  EXPECT_EQ((conn.query_one<std::int64_t, std::int64_t, std::int64_t>(
                "SELECT sum(id)::bigint, sum(v)::bigint, count(*) FILTER (WHERE v <> id * 3) FROM million_in")),
            (Sums{499'999'500'000LL, 3 * 499'999'500'000LL, 0}));
  expect_usable(conn);
}

TEST_F(CopyLarge, AMillionRowsOutStreamedOneAtATime) {
  conn.exec("CREATE UNLOGGED TABLE million_out (id int, v bigint)");
  conn.exec(fmt::format("INSERT INTO million_out SELECT g, g * 3 FROM generate_series(0, {}) g", kRows - 1));

  PeakMemory memory;
  pgkit::CopyRows<int, std::int64_t> rows(conn, "SELECT id, v FROM million_out");
  std::int64_t count = 0;
  std::int64_t id_sum = 0;
  std::int64_t mismatches = 0;
  std::size_t bytes_at_first_row = 0;
  for (const auto& [id, v] : rows) {
    if (count == 0) bytes_at_first_row = rows.stats().bytes;
    ++count;
    id_sum += id;
    if (v != id * 3LL) ++mismatches;
  }
  const auto growth = memory.growth_kib();

  EXPECT_EQ(count, kRows);
  EXPECT_EQ(rows.stats().rows, kRows);
  EXPECT_EQ(id_sum, 499'999'500'000LL);
  EXPECT_EQ(mismatches, 0);
  // Streamed: the first row was handed over when almost nothing had been received, and pgkit never held
  // more than a row or so of undelivered data.
  EXPECT_LT(bytes_at_first_row, 1024U);
  EXPECT_GE(rows.stats().bytes, kRows * kRowBytes);
  EXPECT_LT(rows.stats().peak_buffered_bytes, 1024U);
  if (growth) {
    EXPECT_LT(*growth, kMemoryLimitKiB) << "peak resident set rose by " << *growth << " KiB";
  }
  expect_usable(conn);
}

TEST_F(CopyLarge, AMillionRowsThroughRawCopyWithASmallBuffer) {
  conn.exec("CREATE UNLOGGED TABLE million_raw (id int, v bigint)");
  conn.exec(fmt::format("INSERT INTO million_raw SELECT g, g * 3 FROM generate_series(0, {}) g", kRows - 1));
  std::stringstream binary;
  EXPECT_EQ(pgkit::copy_out_raw(conn, "COPY million_raw TO STDOUT (FORMAT binary)", binary), kRows);
  EXPECT_EQ(binary.str().size(), 19 + kRows * kRowBytes + 2);
  conn.exec("TRUNCATE million_raw");
  pgkit::CopyOptions options;
  options.buffer_bytes = 4093;  // chunks that split rows anywhere
  EXPECT_EQ(pgkit::copy_in_raw(conn, "COPY million_raw FROM STDIN (FORMAT binary)", binary, options), kRows);
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FILTER (WHERE v = id * 3) FROM million_raw"), kRows);
}

}  // namespace
