// The lab's built-in source: emits lines at the rate a RateSchedule gives,
// one record at a time through store(). When the engine pushes back (store()
// blocks), the offered load keeps accruing, as it would at a sender that
// buffers: the gap between offered and stored records is the source backlog,
// which the lab reports.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apps/lab/rate_schedule.hpp"
#include "receivers/receiver.hpp"

namespace rill::lab {

// Shared by every source of one experiment.
struct SourceCounters {
  std::atomic<int64_t> offered{0};  // records the schedule asked for so far
  std::atomic<int64_t> stored{0};   // records store() accepted
};

class ScheduledLineSource : public Receiver<std::string> {
 public:
  // `share`: this source's fraction of the scheduled rate (1/receivers).
  ScheduledLineSource(RateSchedule schedule, double share, std::shared_ptr<const std::vector<std::string>> lines,
                      std::shared_ptr<SourceCounters> counters, std::chrono::steady_clock::time_point start)
      : Receiver<std::string>(StorageLevel::memory_only), schedule_(std::move(schedule)), share_(share),
        lines_(std::move(lines)), counters_(std::move(counters)), start_(start) {}
  ~ScheduledLineSource() override { on_stop(); }

  void on_start() override {
    if (thread_.joinable()) thread_.join();
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
  }
  void on_stop() override {
    stopping_ = true;
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  void run() {
    using clock = std::chrono::steady_clock;
    auto last = clock::now();
    double offered = 0;
    int64_t emitted = 0;
    size_t next = 0;
    while (!stopping_ && !is_stopped()) {
      auto now = clock::now();
      double t = std::chrono::duration<double>(now - start_).count();
      double dt = std::chrono::duration<double>(now - last).count();
      last = now;
      double add = schedule_.rate_at(t) * share_ * dt;
      offered += add;
      counters_->offered += static_cast<int64_t>(offered) - static_cast<int64_t>(offered - add);
      // At most a slice at a time, so a stop is noticed within one slice.
      int64_t due = std::min<int64_t>(static_cast<int64_t>(offered) - emitted, 20000);
      for (int64_t i = 0; i < due && !stopping_; ++i) {
        store((*lines_)[next]);
        if (++next == lines_->size()) next = 0;
        ++emitted;
        ++counters_->stored;
      }
      if (due < 20000) std::this_thread::sleep_until(now + std::chrono::milliseconds(2));
    }
  }

  RateSchedule schedule_;
  double share_;
  std::shared_ptr<const std::vector<std::string>> lines_;
  std::shared_ptr<SourceCounters> counters_;
  std::chrono::steady_clock::time_point start_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace rill::lab
