#include "runtime/ui/streaming_status.hpp"

#include <chrono>
#include <ctime>

#include "runtime/ui/streaming_metrics.hpp"

namespace rill {

namespace {
int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// Spark's application ids: app-<yyyyMMddHHmmss>-<4 digits>.
std::string make_app_id() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "app-%Y%m%d%H%M%S-0000", &tm);
  return buf;
}
}  // namespace

StreamingStatus::StreamingStatus(std::string app_name, int64_t batch_duration_ms, int64_t retained_batches,
                                 std::shared_ptr<StreamingMetrics> metrics)
    : app_id_(make_app_id()), metrics_(std::move(metrics)) {
  state_.app_id = app_id_;
  state_.app_name = std::move(app_name);
  state_.batch_duration_ms = batch_duration_ms;
  state_.retained_limit = retained_batches;
}

StreamingStatus::Snapshot StreamingStatus::snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Snapshot s = state_;
  for (const auto& [t, b] : active_) s.active.push_back(b);
  s.completed.assign(completed_.begin(), completed_.end());
  return s;
}

StreamingStatus::Receiver& StreamingStatus::receiver(const ReceiverInfo& info) {
  auto& r = state_.receivers[info.stream_id];
  r.info.stream_id = info.stream_id;
  r.info.name = info.name;
  return r;
}

void StreamingStatus::on_streaming_started(int64_t time_ms) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_.start_time_ms = time_ms;
}

void StreamingStatus::on_receiver_started(const ReceiverInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& r = receiver(info);
  r.info.active = true;
  r.info.rate_limit = info.rate_limit;
  if (metrics_) metrics_->receiver_state(r.info);
}

void StreamingStatus::on_receiver_error(const ReceiverInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& r = receiver(info);
  r.info.active = info.active;
  r.info.last_error = info.last_error;
  r.last_error_time_ms = now_ms();
  if (metrics_) metrics_->receiver_state(r.info);
}

void StreamingStatus::on_receiver_stopped(const ReceiverInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& r = receiver(info);
  r.info.active = false;
  if (metrics_) metrics_->receiver_state(r.info);
}

void StreamingStatus::on_batch_submitted(const BatchInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& b = active_[info.batch_time.milliseconds()];
  b.info = info;
  state_.received_records += info.num_records();
  for (const auto& [id, n] : info.records_per_stream) {
    auto it = state_.receivers.find(id);
    if (it == state_.receivers.end()) continue;
    auto& rates = it->second.event_rates;
    rates.emplace_back(info.batch_time.milliseconds(),
                       static_cast<double>(n) * 1000.0 / static_cast<double>(state_.batch_duration_ms));
    while (static_cast<int64_t>(rates.size()) > state_.retained_limit) rates.pop_front();
  }
  if (metrics_) {
    metrics_->batch_submitted(info, state_.batch_duration_ms);
    metrics_->set_active_batches(static_cast<int64_t>(active_.size()));
  }
}

void StreamingStatus::on_batch_started(const BatchInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& b = active_[info.batch_time.milliseconds()];
  b.info = info;
  b.started = true;
}

void StreamingStatus::on_batch_completed(const BatchInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  Batch b;
  auto it = active_.find(info.batch_time.milliseconds());
  if (it != active_.end()) {
    b = std::move(it->second);
    active_.erase(it);
  }
  b.info = info;
  b.started = b.completed = true;
  ++state_.total_completed;
  state_.processed_records += info.num_records();
  completed_.push_back(std::move(b));
  while (static_cast<int64_t>(completed_.size()) > state_.retained_limit) completed_.pop_front();
  if (metrics_) {
    metrics_->batch_completed(info);
    metrics_->set_active_batches(static_cast<int64_t>(active_.size()));
  }
}

void StreamingStatus::on_output_operation_started(const OutputOperationInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = active_.find(info.batch_time.milliseconds());
  if (it != active_.end()) it->second.operations[info.id] = info;
}

void StreamingStatus::on_output_operation_completed(const OutputOperationInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = active_.find(info.batch_time.milliseconds());
  if (it != active_.end()) it->second.operations[info.id] = info;
}

}  // namespace rill
