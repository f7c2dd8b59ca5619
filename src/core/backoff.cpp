#include <pgkit/backoff.hpp>
#include <pgkit/errors.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <thread>

namespace pgkit {

void Backoff::validate(std::string_view name) const {
  const auto bad = [name](const std::string& what) { throw InterfaceError(fmt::format("invalid {}: {}", name, what)); };
  if (initial_delay.count() < 0) bad(fmt::format("initial_delay is negative ({} ms)", initial_delay.count()));
  // Written so that NaN fails too.
  if (!(multiplier >= 1.0 && std::isfinite(multiplier)))
    bad(fmt::format("multiplier must be at least 1 (got {})", multiplier));
  if (max_delay < initial_delay) {
    bad(fmt::format("max_delay ({} ms) is smaller than initial_delay ({} ms)", max_delay.count(),
                    initial_delay.count()));
  }
  if (!(jitter >= 0.0 && jitter <= 1.0)) bad(fmt::format("jitter must be in [0, 1] (got {})", jitter));
  if (max_attempts < 0) bad(fmt::format("max_attempts is negative ({})", max_attempts));
  if (deadline.count() < 0) bad(fmt::format("deadline is negative ({} ms)", deadline.count()));
}

std::chrono::microseconds Backoff::ceiling(int retry) const {
  if (retry < 1) throw InterfaceError(fmt::format("Backoff::ceiling: retry must be at least 1 (got {})", retry));
  const double initial = std::chrono::duration<double, std::micro>(initial_delay).count();
  const double cap = std::chrono::duration<double, std::micro>(max_delay).count();
  if (initial == 0) return std::chrono::microseconds(0);  // 0 * inf would be NaN
  // pow may overflow to infinity for long runs of failures; min() caps it.
  const double grown = initial * std::pow(multiplier, retry - 1);
  return std::chrono::microseconds(static_cast<std::int64_t>(std::min(cap, grown)));
}

std::chrono::microseconds Backoff::delay(int retry, double draw) const {
  if (!(draw >= 0.0 && draw < 1.0))
    throw InterfaceError(fmt::format("Backoff::delay: draw must be in [0, 1) (got {})", draw));
  const auto top = static_cast<double>(ceiling(retry).count());
  return std::chrono::microseconds(static_cast<std::int64_t>(top * (1.0 - jitter * draw)));
}

namespace detail {

RetryClock::RetryClock(const Backoff& backoff, std::string_view name)
    : backoff_(backoff), started_(std::chrono::steady_clock::now()) {
  backoff_.validate(name);
  if (backoff_.max_attempts == 0 && backoff_.deadline.count() == 0) {
    throw InterfaceError(
        fmt::format("invalid {}: max_attempts and deadline are both 0 (no limit), so the retries "
                    "could go on forever; set one of them",
                    name));
  }
}

bool RetryClock::wait_for_next() {
  if (backoff_.max_attempts > 0 && attempts_ >= backoff_.max_attempts) return false;
  // A generator per wait: retries are rare and slow next to a random_device read, and nothing is shared.
  std::minstd_rand random(std::random_device{}());
  // uniform_real_distribution may round up to its upper bound; delay() wants [0, 1).
  const double draw = std::min(std::uniform_real_distribution<double>(0.0, 1.0)(random), std::nextafter(1.0, 0.0));
  const auto wait = backoff_.delay(attempts_, draw);
  if (backoff_.deadline.count() > 0 && std::chrono::steady_clock::now() + wait - started_ > backoff_.deadline) {
    return false;
  }
  std::this_thread::sleep_for(wait);
  ++attempts_;
  return true;
}

}  // namespace detail
}  // namespace pgkit
