# Every dependency is a Debian package (scripts/install-deps installs them); nothing is downloaded.
find_package(PostgreSQL REQUIRED)               # libpq: used only inside src/
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)                   # the pool's logging; kept out of the headers
find_package(nlohmann_json 3.10 REQUIRED)       # public through pgkit/json.hpp only
find_package(Boost 1.81 REQUIRED)               # Boost.Describe, header-only, public through pgkit/describe.hpp
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(Threads REQUIRED)

if(PGKIT_BUILD_TOOLS OR PGKIT_BUILD_BENCHMARKS)
  find_package(CLI11 REQUIRED)
endif()
if(PGKIT_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
