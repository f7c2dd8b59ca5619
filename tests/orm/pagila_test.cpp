// The ORM against pagila, a schema it did not create: the models pass check_schema, and relations load
// in one statement per level with the counts hand-written SQL gives.
#include "orm/pagila_models.hpp"
#include "support/pagila.hpp"

#include <pgkit/orm/repository.hpp>
#include <pgkit/transaction.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace pagila;

class PagilaOrm : public pgkit::testing::PagilaTest {
 protected:
  // Every row of a model's table, columns in the model's order, read as the ORM reads them.
  template <class T>
  static std::vector<T> read_all(pgkit::Connection& conn, const std::string& sql) {
    std::vector<T> objects;
    for (const auto& row : conn.exec(sql)) objects.push_back(pgkit::orm::detail::read_model<T>(row, 0));
    return objects;
  }
  static std::map<std::int64_t, std::int64_t> counts(pgkit::Connection& conn, const std::string& sql) {
    std::map<std::int64_t, std::int64_t> result;
    for (const auto& [key, count] : conn.query<std::int64_t, std::int64_t>(sql)) result[key] = count;
    return result;
  }
  static std::vector<Film> films(pgkit::Connection& conn) {
    return read_all<Film>(conn,
                          "SELECT film_id, title, description, release_year, language_id, original_language_id, "
                          "rental_duration, rental_rate, length, replacement_cost, rating, last_update, special_features, "
                          "fulltext FROM film ORDER BY film_id");
  }
};

// pagila's actor_id is DEFAULT nextval('actor_actor_id_seq') without OWNED BY: keys cannot be reserved
// through pg_get_serial_sequence, so insert_many falls back to INSERT ... RETURNING per row, and every
// object still gets its own key, in input order (in a transaction undone afterwards).
TEST_F(PagilaOrm, InsertManyOnASequenceNotOwnedByItsColumn) {
  auto conn = connect();
  pgkit::Transaction tx(conn);
  pgkit::orm::Repository<Actor> actors(conn);
  for (const std::size_t n : {std::size_t{3}, std::size_t{600}}) {
    std::vector<Actor> rows(n);
    for (std::size_t i = 0; i < n; ++i) {
      rows[i].first_name = "BULK" + std::to_string(n);
      rows[i].last_name = "N" + std::to_string(i);
      rows[i].last_update = Timestamp(std::chrono::seconds(1'000'000'000));
    }
    EXPECT_EQ(actors.insert_many(rows), n);
    const auto stored = conn.query<std::int32_t, std::string>(
        "SELECT actor_id, last_name FROM actor WHERE first_name = $1 ORDER BY actor_id", "BULK" + std::to_string(n));
    ASSERT_EQ(stored.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(rows[i].actor_id, std::get<0>(stored[i])) << i;
      EXPECT_EQ(rows[i].last_name, std::get<1>(stored[i])) << i;
    }
  }
}

TEST_F(PagilaOrm, ModelsPassCheckSchema) {
  auto conn = connect();
  const auto findings = pgkit::orm::check_schema<Actor, Film, FilmActor, Customer, Rental, Payment>(conn);
  std::string text;
  for (const auto& f : findings) text += f.message() + "\n";
  EXPECT_TRUE(findings.empty()) << text;
}

TEST_F(PagilaOrm, AModelThatDriftedFromPagilaIsCaught) {
  auto conn = connect();
  // A column the program still expects, dropped by someone else (in a transaction undone afterwards).
  pgkit::Transaction tx(conn);
  conn.exec("ALTER TABLE public.film DROP COLUMN length CASCADE");  // and the views that show it
  const auto findings = pgkit::orm::check_schema<Film>(conn);
  tx.rollback();
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].kind, pgkit::orm::FindingKind::missing_column);
  EXPECT_EQ(findings[0].table, "public.film");
  EXPECT_EQ(findings[0].column, "length");
}

TEST_F(PagilaOrm, FilmsLoadTheirActorsManyToManyInOneStatement) {
  auto conn = connect();
  auto all = films(conn);
  ASSERT_EQ(static_cast<std::int64_t>(all.size()), conn.query_value<std::int64_t>("SELECT count(*) FROM film"));
  const auto before = conn.statements_sent();
  pgkit::orm::load(conn, all, &Film::actors);
  EXPECT_EQ(conn.statements_sent() - before, 1u);
  const auto expected = counts(conn, "SELECT film_id, count(*) FROM film_actor GROUP BY film_id");
  std::int64_t links = 0;
  for (const auto& film : all) {
    const auto found = expected.find(film.film_id);
    EXPECT_EQ(static_cast<std::int64_t>(film.actors.size()), found == expected.end() ? 0 : found->second) << film.title;
    links += static_cast<std::int64_t>(film.actors.size());
  }
  EXPECT_EQ(links, conn.query_value<std::int64_t>("SELECT count(*) FROM film_actor"));
  // One film checked name by name against a join written by hand.
  const auto& first = all.front();
  const auto names = conn.query<std::string>(
      "SELECT a.first_name || ' ' || a.last_name FROM actor a JOIN film_actor fa ON fa.actor_id = a.actor_id "
      "WHERE fa.film_id = $1 ORDER BY a.actor_id",
      first.film_id);
  ASSERT_EQ(first.actors.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(first.actors[i].first_name + " " + first.actors[i].last_name, names[i]);
  }
}

TEST_F(PagilaOrm, ActorsFilmsAndBackIsOneStatementPerLevel) {
  auto conn = connect();
  auto actors = read_all<Actor>(conn, "SELECT actor_id, first_name, last_name, last_update FROM actor ORDER BY actor_id");
  const auto before = conn.statements_sent();
  pgkit::orm::load(conn, actors, &Actor::films, &Film::actors);
  EXPECT_EQ(conn.statements_sent() - before, 2u);
  const auto expected = counts(conn, "SELECT actor_id, count(*) FROM film_actor GROUP BY actor_id");
  for (const auto& actor : actors) {
    const auto found = expected.find(actor.actor_id);
    ASSERT_EQ(static_cast<std::int64_t>(actor.films.size()), found == expected.end() ? 0 : found->second);
    for (const auto& film : actor.films) {
      // Each of the actor's films lists the actor among its cast.
      bool listed = false;
      for (const auto& cast : film.actors) listed = listed || cast.actor_id == actor.actor_id;
      EXPECT_TRUE(listed) << actor.actor_id << " in " << film.title;
    }
  }
}

TEST_F(PagilaOrm, CustomersRentalsAndPartitionedPayments) {
  auto conn = connect();
  auto customers = read_all<Customer>(conn,
                                      "SELECT customer_id, store_id, first_name, last_name, email, address_id, activebool, "
                                      "create_date, last_update, active FROM customer ORDER BY customer_id");
  const auto before = conn.statements_sent();
  pgkit::orm::load(conn, customers, &Customer::rentals, &Rental::customer);
  pgkit::orm::load(conn, customers, &Customer::payments);
  EXPECT_EQ(conn.statements_sent() - before, 3u);
  const auto rentals = counts(conn, "SELECT customer_id, count(*) FROM rental GROUP BY 1");
  const auto payments = counts(conn, "SELECT customer_id, count(*) FROM payment GROUP BY 1");
  std::int64_t rental_total = 0;
  for (const auto& customer : customers) {
    const auto r = rentals.find(customer.customer_id);
    const auto p = payments.find(customer.customer_id);
    EXPECT_EQ(static_cast<std::int64_t>(customer.rentals.size()), r == rentals.end() ? 0 : r->second);
    EXPECT_EQ(static_cast<std::int64_t>(customer.payments.size()), p == payments.end() ? 0 : p->second);
    for (const auto& rental : customer.rentals) EXPECT_EQ(rental.customer->customer_id, customer.customer_id);
    rental_total += static_cast<std::int64_t>(customer.rentals.size());
  }
  EXPECT_EQ(rental_total, conn.query_value<std::int64_t>("SELECT count(*) FROM rental"));
}

}  // namespace
