// Everything of pgkit's core driver in one include (json.hpp stays separate: it brings nlohmann).
#pragma once

#include <pgkit/array.hpp>
#include <pgkit/bits.hpp>
#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/embedded.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/geometry.hpp>
#include <pgkit/money.hpp>
#include <pgkit/network.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/params.hpp>
#include <pgkit/range.hpp>
#include <pgkit/result.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>
#include <pgkit/types.hpp>
#include <pgkit/uuid.hpp>
#include <pgkit/version.hpp>
