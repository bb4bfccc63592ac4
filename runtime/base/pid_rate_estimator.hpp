// Spark's PIDRateEstimator: after each completed batch, a new ingestion rate
// (records/s) for one input stream from how fast that batch was processed.
//
//   processing rate  = records / processing delay
//   error            = last rate - processing rate
//   historical error = scheduling delay * processing rate / batch interval
//   d(error)         = (error - last error) / seconds since the last update
//   new rate         = max(last rate - Kp*error - Ki*historical error - Kd*d(error), min rate)
//
// The first usable batch only sets the rate (to its processing rate) and
// yields nothing; a batch with no records, no processing time, or a time not
// after the last one is skipped. Exactly Spark's arithmetic, so its test
// vectors hold.
#pragma once
#include <cstdint>
#include <optional>

namespace rill {

class PIDRateEstimator {
 public:
  // Throws RillError unless batch_interval_ms > 0, the gains are >= 0 and
  // min_rate > 0.
  PIDRateEstimator(int64_t batch_interval_ms, double proportional, double integral, double derivative,
                   double min_rate);

  // time_ms: when the batch completed; delays in ms.
  std::optional<double> compute(int64_t time_ms, int64_t records, int64_t processing_delay_ms,
                                int64_t scheduling_delay_ms);

 private:
  int64_t batch_interval_ms_;
  double proportional_, integral_, derivative_, min_rate_;
  bool first_run_ = true;
  int64_t latest_time_ = -1;
  double latest_rate_ = -1;
  double latest_error_ = -1;
};

}  // namespace rill
