// Where the examples' database comes from: DATABASE_URL when set, else a throwaway embedded cluster
// that lives as long as this object.
#pragma once

#include <pgkit/embedded.hpp>

using ExampleDatabase = pgkit::embedded::ServerForThisRun;
