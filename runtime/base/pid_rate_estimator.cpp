#include "runtime/base/pid_rate_estimator.hpp"

#include <algorithm>
#include <string>

#include "runtime/base/errors.hpp"

namespace rill {

PIDRateEstimator::PIDRateEstimator(int64_t batch_interval_ms, double proportional, double integral,
                                   double derivative, double min_rate)
    : batch_interval_ms_(batch_interval_ms), proportional_(proportional), integral_(integral),
      derivative_(derivative), min_rate_(min_rate) {
  if (batch_interval_ms <= 0)
    throw RillError("PID rate estimator: batch interval " + std::to_string(batch_interval_ms) + " ms is invalid");
  if (proportional < 0 || integral < 0 || derivative < 0)
    throw RillError("PID rate estimator: the proportional, integral and derived gains must be >= 0");
  if (!(min_rate > 0)) throw RillError("PID rate estimator: the minimum rate must be > 0");
}

std::optional<double> PIDRateEstimator::compute(int64_t time_ms, int64_t records, int64_t processing_delay_ms,
                                                int64_t scheduling_delay_ms) {
  if (time_ms <= latest_time_ || records <= 0 || processing_delay_ms <= 0) return std::nullopt;
  double since_update_s = static_cast<double>(time_ms - latest_time_) / 1000;
  double processing_rate = static_cast<double>(records) / static_cast<double>(processing_delay_ms) * 1000;
  double error = latest_rate_ - processing_rate;
  double historical_error =
      static_cast<double>(scheduling_delay_ms) * processing_rate / static_cast<double>(batch_interval_ms_);
  double d_error = (error - latest_error_) / since_update_s;
  double new_rate = std::max(
      latest_rate_ - proportional_ * error - integral_ * historical_error - derivative_ * d_error, min_rate_);
  latest_time_ = time_ms;
  if (first_run_) {
    latest_rate_ = processing_rate;
    latest_error_ = 0;
    first_run_ = false;
    return std::nullopt;
  }
  latest_rate_ = new_rate;
  latest_error_ = error;
  return new_rate;
}

}  // namespace rill
