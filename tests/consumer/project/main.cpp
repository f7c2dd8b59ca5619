// Builds against an installed pgkit and uses it.
#include <pgkit/embedded.hpp>
#include <pgkit/version.hpp>

#include <iostream>

int main() {
  std::cout << "pgkit " << pgkit::version_string << " with libpq " << pgkit::libpq_version() << '\n';
  std::cout << "server binaries: " << pgkit::embedded::find_server_binaries().string() << '\n';
  return pgkit::libpq_version() > 0 ? 0 : 1;
}
