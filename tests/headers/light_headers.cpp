// The driver's headers bring neither libpq (pgkit's sources only), nor nlohmann (json.hpp only), nor
// Boost (describe.hpp, and the bulk headers that read described structs). Compiling this file is the
// test: each #error names the header that let one in.
#include <pgkit/connection.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/pool.hpp>
#include <pgkit/result.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>
#include <pgkit/types.hpp>

#if defined(LIBPQ_FE_H)
#error "a driver header includes libpq-fe.h"
#endif
#if defined(INCLUDE_NLOHMANN_JSON_HPP_) || defined(INCLUDE_NLOHMANN_JSON_FWD_HPP_)
#error "a driver header includes nlohmann/json (only pgkit/json.hpp may)"
#endif
#if defined(BOOST_DESCRIBE_DATA_MEMBERS_HPP_INCLUDED) || defined(BOOST_MP11_ALGORITHM_HPP_INCLUDED)
#error "a driver header includes Boost.Describe (only pgkit/describe.hpp and the bulk headers may)"
#endif
