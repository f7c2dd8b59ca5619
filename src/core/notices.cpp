// Server notices: the application's handler, and the crash warning kept for error reports.
#include "connection_impl.hpp"

namespace pgkit {
namespace detail {

void notice_receiver(void* arg, const PGresult* result) {
  auto* impl = static_cast<Connection::Impl*>(arg);
  // A server restarting after a crash says so in a WARNING (57P02) just before it closes the connection;
  // kept so that the loss is reported as CrashShutdown rather than a bare EOF.
  const char* code = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (code != nullptr && std::string_view(code) == sqlstate::crash_shutdown) {
    impl->crash_notice = diagnostics_of(result, nullptr);
  }
  if (!impl->notice_handler) return;
  try {
    impl->notice_handler(*diagnostics_of(result, nullptr));
  } catch (...) {  // a handler's exception must not unwind through libpq
  }
}

}  // namespace detail

void Connection::set_notice_handler(std::function<void(const Diagnostics&)> handler) {
  live().notice_handler = std::move(handler);
}

}  // namespace pgkit
