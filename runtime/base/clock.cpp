#include "runtime/base/clock.hpp"

#include <algorithm>
#include <chrono>

namespace rill {

int64_t SystemClock::now_ms() const {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t ManualClock::now_ms() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return now_;
}

void ManualClock::set_time(int64_t ms) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    now_ = ms;
  }
  notify(ms);
}

void ManualClock::advance(int64_t ms) {
  int64_t now;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    now = now_ += ms;
  }
  notify(now);
}

int ManualClock::add_observer(std::function<void(int64_t)> fn) {
  std::lock_guard<std::mutex> lock(mutex_);
  observers_.emplace_back(next_id_, std::make_shared<std::function<void(int64_t)>>(std::move(fn)));
  return next_id_++;
}

void ManualClock::remove_observer(int id) {
  std::lock_guard<std::mutex> lock(mutex_);
  observers_.erase(std::remove_if(observers_.begin(), observers_.end(),
                                  [&](const auto& o) { return o.first == id; }),
                   observers_.end());
}

void ManualClock::notify(int64_t now) {
  std::vector<std::shared_ptr<std::function<void(int64_t)>>> fns;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& o : observers_) fns.push_back(o.second);
  }
  for (auto& f : fns) (*f)(now);
}

}  // namespace rill
