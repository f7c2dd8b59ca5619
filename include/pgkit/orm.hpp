// pgkit::orm: models described with Boost.Describe, DDL, repositories (docs/orm.md).
#pragma once

#include <pgkit/orm/errors.hpp>
#include <pgkit/orm/model.hpp>
#include <pgkit/orm/relations.hpp>
#include <pgkit/orm/schema_check.hpp>
