// Helpers shared by the tests.
#pragma once
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

// Each batch's records sorted: for comparing batches as sets (shuffles give
// records in hash-table order, and Spark's own suites compare sets too).
template <class T>
std::vector<std::vector<T>> sorted(std::vector<std::vector<T>> batches) {
  for (auto& b : batches) std::sort(b.begin(), b.end());
  return batches;
}

// How many records the outputs of a real-clock test have seen: outputs add,
// the test waits on the count with a deadline (no polling, no fixed sleep).
class Progress {
 public:
  void add(int64_t n) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_ += n;
    }
    changed_.notify_all();
  }
  // True once at least n were seen; false if the deadline passes first.
  bool wait_for_at_least(int64_t n, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return seen_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int64_t seen_ = 0;
};
