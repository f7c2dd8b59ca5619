// pgkit::orm: models described with Boost.Describe, DDL, repositories (docs/orm.md).
#pragma once

#include <pgkit/orm/errors.hpp>
#include <pgkit/orm/model.hpp>
