#include <pgkit/version.hpp>

#include <libpq-fe.h>

namespace pgkit {

int libpq_version() noexcept { return PQlibVersion(); }

}  // namespace pgkit
