// Worker threads for the CLI's loads (pool-bench, demo). An exception escaping a std::thread aborts the
// process, and so does destroying a vector of joinable threads when creating the next one throws:
// here every worker's exception is kept, a thread that cannot be created is a reported failure, and
// the threads are joined.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace pgkit::cli {

class WorkerThreads {
 public:
  // `on_failure` runs once, on the first failure, so that the other workers can be told to stop.
  explicit WorkerThreads(std::function<void()> on_failure = {}) : on_failure_(std::move(on_failure)) {}
  WorkerThreads(const WorkerThreads&) = delete;
  WorkerThreads& operator=(const WorkerThreads&) = delete;
  ~WorkerThreads() { join(); }

  // Starts body() on a new thread; false (and a kept failure) when no thread could be created.
  template <class F>
  bool spawn(F&& body) {
    try {
      threads_.emplace_back([this, body = std::forward<F>(body)]() mutable {
        try {
          body();
        } catch (...) {
          fail(std::current_exception());
        }
        const std::lock_guard lock(mutex_);
        ++finished_;
        finished_cv_.notify_all();
      });
      return true;
    } catch (const std::system_error& e) {
      fail(std::make_exception_ptr(std::system_error(
          e.code(), "cannot start worker thread " + std::to_string(threads_.size() + 1))));
      return false;
    } catch (...) {
      fail(std::current_exception());
      return false;
    }
  }

  // Waits until every started worker has returned or `deadline` passes; true when all returned.
  bool wait_until(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return finished_cv_.wait_until(lock, deadline, [&] { return finished_ == threads_.size(); });
  }

  void join() {
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
  }

  [[nodiscard]] std::size_t started() const noexcept { return threads_.size(); }
  // The first failure (a worker's exception or a thread that could not start); null when none.
  [[nodiscard]] std::exception_ptr first_failure() const {
    const std::lock_guard lock(mutex_);
    return first_failure_;
  }

 private:
  void fail(std::exception_ptr failure) {
    {
      const std::lock_guard lock(mutex_);
      if (first_failure_) return;
      first_failure_ = std::move(failure);
    }
    if (on_failure_) on_failure_();
  }

  std::function<void()> on_failure_;
  std::vector<std::thread> threads_;
  mutable std::mutex mutex_;
  std::condition_variable finished_cv_;
  std::size_t finished_ = 0;
  std::exception_ptr first_failure_;
};

}  // namespace pgkit::cli
