// Models of pagila's actor, film, film_actor, customer, rental and payment, declared as a program that
// adopts an existing schema would declare them (check_schema holds them to the real one).
#pragma once

#include <pgkit/datetime.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/orm.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pagila {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;  // timestamp with time zone

struct Film;
struct Rental;
struct Payment;

struct Actor {
  std::int32_t actor_id = 0;
  std::string first_name;
  std::string last_name;
  Timestamp last_update{};
  pgkit::orm::ManyToMany<Film> films;
};
BOOST_DESCRIBE_STRUCT(Actor, (), (actor_id, first_name, last_name, last_update, films))

struct Film {
  std::int32_t film_id = 0;
  std::string title;
  std::optional<std::string> description;
  std::optional<std::int32_t> release_year;  // the domain "year", over integer
  std::int32_t language_id = 0;
  std::optional<std::int32_t> original_language_id;
  std::int16_t rental_duration = 0;
  pgkit::Decimal rental_rate;
  std::optional<std::int16_t> length;
  pgkit::Decimal replacement_cost;
  std::optional<std::string> rating;  // the enum mpaa_rating, read as its label
  Timestamp last_update{};
  std::optional<std::vector<std::string>> special_features;
  std::string fulltext;  // tsvector, as its text
  pgkit::orm::ManyToMany<Actor> actors;
};
BOOST_DESCRIBE_STRUCT(Film, (), (film_id, title, description, release_year, language_id, original_language_id,
                                 rental_duration, rental_rate, length, replacement_cost, rating, last_update,
                                 special_features, fulltext, actors))

struct FilmActor {
  std::int32_t actor_id = 0;
  std::int32_t film_id = 0;
  Timestamp last_update{};
};
BOOST_DESCRIBE_STRUCT(FilmActor, (), (actor_id, film_id, last_update))

struct Customer {
  std::int32_t customer_id = 0;
  std::int32_t store_id = 0;
  std::string first_name;
  std::string last_name;
  std::optional<std::string> email;
  std::int32_t address_id = 0;
  bool activebool = true;
  std::chrono::sys_days create_date{};
  std::optional<Timestamp> last_update;
  std::optional<std::int32_t> active;
  pgkit::orm::HasMany<Rental> rentals;
  pgkit::orm::HasMany<Payment> payments;
};
BOOST_DESCRIBE_STRUCT(Customer, (), (customer_id, store_id, first_name, last_name, email, address_id, activebool,
                                     create_date, last_update, active, rentals, payments))

struct Rental {
  std::int32_t rental_id = 0;
  Timestamp rental_date{};
  std::int32_t inventory_id = 0;
  std::int32_t customer_id = 0;
  std::optional<Timestamp> return_date;
  std::int32_t staff_id = 0;
  Timestamp last_update{};
  pgkit::orm::BelongsTo<Customer> customer;
};
BOOST_DESCRIBE_STRUCT(Rental, (), (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id,
                                   last_update, customer))

// Partitioned by payment_date; its key is (payment_date, payment_id).
struct Payment {
  std::int32_t payment_id = 0;
  std::int32_t customer_id = 0;
  std::int32_t staff_id = 0;
  std::int32_t rental_id = 0;
  pgkit::Decimal amount;
  Timestamp payment_date{};
};
BOOST_DESCRIBE_STRUCT(Payment, (), (payment_id, customer_id, staff_id, rental_id, amount, payment_date))

}  // namespace pagila

template <>
struct pgkit::orm::Model<pagila::Actor> {
  static void define(TableDef<pagila::Actor>& t) {
    using pagila::Actor;
    t.table("public", "actor");
    t.primary_key(&Actor::actor_id).serial();
    t.column(&Actor::last_update).server_default("now()");
    t.many_to_many(&Actor::films, &pagila::FilmActor::actor_id, &pagila::FilmActor::film_id);
  }
};

template <>
struct pgkit::orm::Model<pagila::Film> {
  static void define(TableDef<pagila::Film>& t) {
    using pagila::Film;
    t.table("public", "film");
    t.primary_key(&Film::film_id).serial();
    t.column(&Film::release_year).type("year");
    t.column(&Film::rating).type("mpaa_rating");
    t.column(&Film::fulltext).type("tsvector");
    t.many_to_many(&Film::actors, &pagila::FilmActor::film_id, &pagila::FilmActor::actor_id);
  }
};

template <>
struct pgkit::orm::Model<pagila::FilmActor> {
  static void define(TableDef<pagila::FilmActor>& t) {
    using pagila::FilmActor;
    t.table("public", "film_actor");
    t.primary_key(&FilmActor::actor_id, &FilmActor::film_id).natural();
    t.foreign_key(&FilmActor::actor_id, &pagila::Actor::actor_id).on_delete(OnDelete::restrict);
    t.foreign_key(&FilmActor::film_id, &pagila::Film::film_id).on_delete(OnDelete::restrict);
  }
};

template <>
struct pgkit::orm::Model<pagila::Customer> {
  static void define(TableDef<pagila::Customer>& t) {
    using pagila::Customer;
    t.table("public", "customer");
    t.primary_key(&Customer::customer_id).serial();
    t.has_many(&Customer::rentals, &pagila::Rental::customer_id);
    t.has_many(&Customer::payments, &pagila::Payment::customer_id);
  }
};

template <>
struct pgkit::orm::Model<pagila::Rental> {
  static void define(TableDef<pagila::Rental>& t) {
    using pagila::Rental;
    t.table("public", "rental");
    t.primary_key(&Rental::rental_id).serial();
    t.unique(&Rental::rental_date, &Rental::inventory_id, &Rental::customer_id);
    t.foreign_key(&Rental::customer_id, &pagila::Customer::customer_id).on_delete(OnDelete::restrict);
    t.belongs_to(&Rental::customer, &Rental::customer_id);
  }
};

template <>
struct pgkit::orm::Model<pagila::Payment> {
  static void define(TableDef<pagila::Payment>& t) {
    using pagila::Payment;
    t.table("public", "payment");
    // pagila declares payment's foreign keys on each partition, not on the partitioned table, so the
    // model declares none (check_schema reads the table it names).
    t.primary_key(&Payment::payment_date, &Payment::payment_id).natural();
  }
};
