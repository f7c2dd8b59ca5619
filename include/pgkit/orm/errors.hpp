// The ORM's own exceptions (pgkit::orm). Errors the server reports stay the driver's: a unique
// violation is pgkit::UniqueViolation, whose message the repository extends with the model's member.
//
//   Error
//   ├─ InterfaceError
//   │  ├─ orm::ModelError   a model's declaration is wrong (named: model, member, what)
//   │  ├─ orm::NotLoaded    a relation member read before it was loaded
//   │  └─ orm::NotFound     update(id, ...) / a throwing lookup found no row
//   └─ orm::StaleObject     an update lost an optimistic-concurrency race (not a misuse of the library,
//                           and not the server's error either: the row's version moved on)
#pragma once

#include <pgkit/errors.hpp>

#include <string>

namespace pgkit::orm {

class ModelError : public InterfaceError {
 public:
  using InterfaceError::InterfaceError;
};

class NotLoaded : public InterfaceError {
 public:
  explicit NotLoaded(const std::string& relation)
      : InterfaceError(relation + " was not loaded: load it explicitly (orm::load) before reading it"),
        relation_(relation) {}
  // "User::posts", or the wrapper's type when the object did not come from the ORM.
  [[nodiscard]] const std::string& relation() const noexcept { return relation_; }

 private:
  std::string relation_;
};

class NotFound : public InterfaceError {
 public:
  NotFound(const std::string& model, const std::string& key)
      : InterfaceError(model + ": no row with key " + key), model_(model), key_(key) {}
  [[nodiscard]] const std::string& model() const noexcept { return model_; }
  [[nodiscard]] const std::string& key() const noexcept { return key_; }

 private:
  std::string model_;
  std::string key_;
};

class StaleObject : public Error {
 public:
  StaleObject(const std::string& model, const std::string& key)
      : Error(model + " with key " + key +
              " is stale: its row was changed or deleted since it was read (nothing was updated)"),
        model_(model),
        key_(key) {}
  [[nodiscard]] const std::string& model() const noexcept { return model_; }
  [[nodiscard]] const std::string& key() const noexcept { return key_; }

 private:
  std::string model_;
  std::string key_;
};

}  // namespace pgkit::orm
