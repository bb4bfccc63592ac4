// StreamingStatus: what the web UI, the REST API and /metrics show, kept by a
// StreamingListener on the listener bus (Spark's StreamingJobProgressListener).
// The HTTP server only reads snapshots of it, under its lock, so serving a
// page never touches the engine and never slows a batch.
//
// Completed batches are kept up to rill.streaming.ui.retainedBatches (oldest
// dropped first), so a long run's memory stays flat.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/listener.hpp"

namespace rill {

class StreamingMetrics;

class StreamingStatus : public StreamingListener {
 public:
  struct Receiver {
    ReceiverInfo info;
    std::optional<int64_t> last_error_time_ms;
    std::deque<std::pair<int64_t, double>> event_rates;  // (batch time ms, records/s), retained batches only
  };
  struct Batch {
    BatchInfo info;
    std::map<int, OutputOperationInfo> operations;  // by output operation id
    bool started = false;
    bool completed = false;
  };
  struct Snapshot {
    std::string app_id, app_name;
    int64_t start_time_ms = 0;      // when the context started (wall clock), 0 before
    int64_t batch_duration_ms = 0;
    int64_t total_completed = 0;    // completed batches ever, retained or not
    int64_t processed_records = 0;  // records of completed batches
    int64_t received_records = 0;   // records of every batch generated
    std::map<int, Receiver> receivers;
    std::vector<Batch> active;      // submitted or running, oldest first
    std::vector<Batch> completed;   // retained, oldest first
    int64_t retained_limit = 0;
  };

  StreamingStatus(std::string app_name, int64_t batch_duration_ms, int64_t retained_batches,
                  std::shared_ptr<StreamingMetrics> metrics = nullptr);

  Snapshot snapshot() const;
  const std::string& app_id() const { return app_id_; }

  void on_streaming_started(int64_t time_ms) override;
  void on_receiver_started(const ReceiverInfo& info) override;
  void on_receiver_error(const ReceiverInfo& info) override;
  void on_receiver_stopped(const ReceiverInfo& info) override;
  void on_batch_submitted(const BatchInfo& info) override;
  void on_batch_started(const BatchInfo& info) override;
  void on_batch_completed(const BatchInfo& info) override;
  void on_output_operation_started(const OutputOperationInfo& info) override;
  void on_output_operation_completed(const OutputOperationInfo& info) override;

 private:
  Receiver& receiver(const ReceiverInfo& info);

  mutable std::mutex mutex_;
  std::string app_id_;
  Snapshot state_;
  std::map<int64_t, Batch> active_;  // by batch time
  std::deque<Batch> completed_;
  std::shared_ptr<StreamingMetrics> metrics_;
};

}  // namespace rill
