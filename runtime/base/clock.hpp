// The batch clock. The system clock reads wall time; the manual clock only
// moves when a test advances it, so batches run exactly when a test says.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace rill {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the epoch (system) or since zero (manual).
  virtual int64_t now_ms() const = 0;
  virtual bool is_manual() const { return false; }
};

class SystemClock : public Clock {
 public:
  int64_t now_ms() const override;
};

// Starts at 0. Observers are called, outside the clock's lock, with the new
// time after every change; the job generator observes it to run due batches.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 0) : now_(start_ms) {}
  int64_t now_ms() const override;
  bool is_manual() const override { return true; }
  void set_time(int64_t ms);
  void advance(int64_t ms);
  // Returns an id for remove_observer.
  int add_observer(std::function<void(int64_t)> fn);
  void remove_observer(int id);

 private:
  void notify(int64_t now);
  mutable std::mutex mutex_;
  int64_t now_;
  int next_id_ = 0;
  std::vector<std::pair<int, std::shared_ptr<std::function<void(int64_t)>>>> observers_;
};

}  // namespace rill
