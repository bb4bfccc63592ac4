// Rate limits for receivers (Spark's RateLimiter behind
// rill.streaming.receiver.maxRate and backpressure).
//
// TokenBucket is the arithmetic, on explicit times so it can be tested on a
// manual clock: tokens accrue at `rate` per second up to one second's worth
// (Guava's burst); taking n tokens may leave a debt, which is the time the
// caller must wait. RateLimiter applies it to the calling receiver thread:
// acquire(n) blocks until n records may pass. A rate of 0 means unlimited.
// The rate can change while running (backpressure pushes new rates), and
// cancel() wakes every waiter at once, so a stop never waits out a debt.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace rill {

class TokenBucket {
 public:
  explicit TokenBucket(int64_t records_per_second = 0, int64_t now_us = 0) : rate_(records_per_second), last_us_(now_us) {}
  void set_rate(int64_t records_per_second) { rate_ = records_per_second; }
  int64_t rate() const { return rate_; }
  // Takes n tokens at now_us; returns how many microseconds the caller must
  // wait before the n records may pass (0: at once).
  int64_t take(int64_t n, int64_t now_us);

 private:
  int64_t rate_;
  double tokens_ = 0;
  int64_t last_us_;
};

class RateLimiter {
 public:
  explicit RateLimiter(int64_t records_per_second = 0);
  void set_rate(int64_t records_per_second);
  int64_t rate() const;
  // Waits until n records may pass; false when cancelled meanwhile.
  bool acquire(int64_t n);
  // Takes tokens for n records without waiting (a debt later acquires pay).
  void charge(int64_t n);
  void cancel();

 private:
  static int64_t now_us();
  mutable std::mutex mutex_;
  std::condition_variable cancelled_cv_;
  bool cancelled_ = false;
  TokenBucket bucket_;
};

}  // namespace rill
