// A token bucket limiting records per second (Spark's RateLimiter behind
// rill.streaming.receiver.maxRate). acquire(n) blocks the calling receiver
// thread until n records may pass; a rate of 0 means unlimited. The rate can
// be changed while running (backpressure pushes new rates). cancel() wakes
// every waiter at once and makes later acquires return at once, so stopping a
// receiver never waits out a long token debt.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace rill {

class RateLimiter {
 public:
  explicit RateLimiter(int64_t records_per_second = 0);
  void set_rate(int64_t records_per_second);
  int64_t rate() const;
  // Waits until n records may pass; false when cancelled meanwhile.
  bool acquire(int64_t n);
  void cancel();

 private:
  mutable std::mutex mutex_;
  std::condition_variable cancelled_cv_;
  bool cancelled_ = false;
  int64_t rate_;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace rill
