// pgkit::orm: models described with Boost.Describe, DDL from them, typed repositories (docs/orm.md).
#pragma once

#include <pgkit/orm/ddl.hpp>
#include <pgkit/orm/errors.hpp>
#include <pgkit/orm/filter.hpp>
#include <pgkit/orm/model.hpp>
#include <pgkit/orm/relations.hpp>
#include <pgkit/orm/repository.hpp>
#include <pgkit/orm/schema_check.hpp>
