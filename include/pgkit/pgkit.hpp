// Everything of pgkit's core driver in one include (json.hpp stays separate: it brings nlohmann).
#pragma once

#include <pgkit/connection.hpp>
#include <pgkit/datetime.hpp>
#include <pgkit/describe.hpp>
#include <pgkit/embedded.hpp>
#include <pgkit/errors.hpp>
#include <pgkit/numeric.hpp>
#include <pgkit/params.hpp>
#include <pgkit/result.hpp>
#include <pgkit/sql.hpp>
#include <pgkit/transaction.hpp>
#include <pgkit/types.hpp>
#include <pgkit/uuid.hpp>
#include <pgkit/version.hpp>
