// The tests' one way to wait for something another thread makes true: a
// condition and a deadline, never a bare sleep.
#pragma once
#include <chrono>
#include <thread>

namespace rill::testing {

// Polls `done` until it holds or `limit` has passed; returns its last value,
// so a test REQUIREs the result and fails (instead of hanging) at the limit.
template <class Done>
bool wait_until(std::chrono::milliseconds limit, Done&& done) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::yield();
  }
  return true;
}

}  // namespace rill::testing
