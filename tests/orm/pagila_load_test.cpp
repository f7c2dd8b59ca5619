// tests/support/pagila.hpp: the pagila dataset loads whole (schema, and every COPY block's rows).
#include "support/pagila.hpp"

#include <pgkit/sql.hpp>

#include <cstdint>
#include <fstream>
#include <map>
#include <string>

namespace {

class PagilaLoad : public pgkit::testing::PagilaTest {};

// Rows per table as the data file's COPY blocks hold them ("COPY public.actor (...) FROM stdin;").
std::map<std::string, std::int64_t> rows_in_data_file() {
  std::ifstream in(pgkit::testing::pagila_dir() / "pagila-data.sql");
  std::map<std::string, std::int64_t> rows;
  std::string table;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("COPY public.")) {
      table = line.substr(12, line.find(' ', 12) - 12);
      rows[table] = 0;
    } else if (line == "\\.") {
      table.clear();
    } else if (!table.empty()) {
      ++rows[table];
    }
  }
  return rows;
}

TEST_F(PagilaLoad, EveryTableHoldsTheRowsOfItsCopyBlock) {
  auto conn = connect();
  const auto expected = rows_in_data_file();
  ASSERT_GE(expected.size(), 20u);  // actor ... payment_p2022_07
  for (const auto& [table, rows] : expected) {
    const auto query = pgkit::sql::SQL("SELECT count(*) FROM {}").format(pgkit::sql::Identifier("public", table));
    EXPECT_EQ(conn.query_value<std::int64_t>(query), rows) << table;
  }
  // payment is partitioned: its rows are its partitions'.
  std::int64_t partitions = 0;
  for (const auto& [table, rows] : expected) {
    if (table.starts_with("payment_p")) partitions += rows;
  }
  EXPECT_EQ(conn.query_value<std::int64_t>("SELECT count(*) FROM public.payment"), partitions);
  // Sequences were set past the loaded keys: a new actor does not collide.
  EXPECT_GT(conn.query_value<std::int32_t>(
                "INSERT INTO public.actor (first_name, last_name) VALUES ('NEW', 'ACTOR') RETURNING actor_id"),
            static_cast<std::int32_t>(expected.at("actor")));
}

}  // namespace
