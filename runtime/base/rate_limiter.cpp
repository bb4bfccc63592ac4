#include "runtime/base/rate_limiter.hpp"

#include <algorithm>

namespace rill {

int64_t TokenBucket::take(int64_t n, int64_t now_us) {
  if (rate_ <= 0) {
    last_us_ = now_us;
    tokens_ = 0;
    return 0;
  }
  double elapsed_s = static_cast<double>(std::max<int64_t>(0, now_us - last_us_)) / 1e6;
  last_us_ = now_us;
  // At most one second's worth of tokens accumulates (Guava's burst).
  tokens_ = std::min<double>(static_cast<double>(rate_), tokens_ + elapsed_s * static_cast<double>(rate_));
  tokens_ -= static_cast<double>(n);
  if (tokens_ >= 0) return 0;
  return static_cast<int64_t>(-tokens_ * 1e6 / static_cast<double>(rate_));
}

RateLimiter::RateLimiter(int64_t rate) : bucket_(rate, now_us()) {}

int64_t RateLimiter::now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

void RateLimiter::set_rate(int64_t rate) {
  std::lock_guard<std::mutex> lock(mutex_);
  bucket_.set_rate(rate);
}

int64_t RateLimiter::rate() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bucket_.rate();
}

bool RateLimiter::acquire(int64_t n) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (cancelled_) return false;
  int64_t wait_us = bucket_.take(n, now_us());
  if (wait_us == 0) return true;
  auto wake = std::chrono::steady_clock::now() + std::chrono::microseconds(wait_us);
  return !cancelled_cv_.wait_until(lock, wake, [&] { return cancelled_; });
}

void RateLimiter::charge(int64_t n) {
  std::lock_guard<std::mutex> lock(mutex_);
  bucket_.take(n, now_us());
}

void RateLimiter::cancel() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  cancelled_cv_.notify_all();
}

}  // namespace rill
