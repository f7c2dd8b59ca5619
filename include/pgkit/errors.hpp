// pgkit's exception hierarchy. Every exception pgkit throws derives from pgkit::Error.
#pragma once

#include <stdexcept>
#include <string>

namespace pgkit {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Misuse of the library itself rather than a problem reported by the database.
class InterfaceError : public Error {
 public:
  using Error::Error;
};

}  // namespace pgkit
