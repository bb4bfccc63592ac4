// Prometheus metrics of a running context, in the text exposition format
// (served on /metrics). Fed by StreamingStatus on the listener bus; the
// prometheus-cpp types stay inside the .cpp.
//
//   rill_batches_completed_total              counter
//   rill_records_processed_total              counter (records of completed batches)
//   rill_records_received_total{stream}       counter
//   rill_batch_scheduling_delay_seconds       histogram
//   rill_batch_processing_time_seconds        histogram
//   rill_batch_total_delay_seconds            histogram
//   rill_batches_active                       gauge (submitted, not completed)
//   rill_receiver_active{stream}              gauge (1 running, 0 not)
//   rill_receiver_input_rate{stream}          gauge (records/s of the last batch)
//   rill_receiver_rate_limit{stream}          gauge (records/s; 0 = none)
//   rill_receiver_queued_blocks{stream}       gauge
//   rill_receiver_queued_bytes{stream}        gauge
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/base/listener.hpp"

namespace rill {

class StreamingMetrics {
 public:
  StreamingMetrics();
  ~StreamingMetrics();
  StreamingMetrics(const StreamingMetrics&) = delete;
  StreamingMetrics& operator=(const StreamingMetrics&) = delete;

  void batch_submitted(const BatchInfo& info, int64_t batch_duration_ms);
  void batch_completed(const BatchInfo& info);
  void receiver_state(const ReceiverInfo& info);
  void set_active_batches(int64_t n);
  // Every metric, in Prometheus' text format (version 0.0.4).
  std::string text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rill
