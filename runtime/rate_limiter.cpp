#include "runtime/rate_limiter.hpp"

#include <algorithm>

namespace rill {

RateLimiter::RateLimiter(int64_t rate) : rate_(rate), last_(std::chrono::steady_clock::now()) {}

void RateLimiter::set_rate(int64_t rate) {
  std::lock_guard<std::mutex> lock(mutex_);
  rate_ = rate;
}

int64_t RateLimiter::rate() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return rate_;
}

bool RateLimiter::acquire(int64_t n) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (cancelled_) return false;
  if (rate_ <= 0) return true;
  auto now = std::chrono::steady_clock::now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  // At most one second's worth of tokens accumulates (Guava's burst).
  tokens_ = std::min<double>(static_cast<double>(rate_), tokens_ + elapsed * rate_);
  tokens_ -= static_cast<double>(n);
  if (tokens_ >= 0) return true;
  auto wake = now + std::chrono::microseconds(static_cast<int64_t>(-tokens_ * 1e6 / rate_));
  return !cancelled_cv_.wait_until(lock, wake, [&] { return cancelled_; });
}

void RateLimiter::cancel() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
  }
  cancelled_cv_.notify_all();
}

}  // namespace rill
