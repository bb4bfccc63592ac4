// StreamingListener: callbacks on batch, output-operation and receiver events.
// They run on the listener bus actor, off the hot path, one event at a time.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "runtime/base/time.hpp"

namespace rill {

// Flow control of one receiver input stream, as the batch was generated.
struct InputFlowInfo {
  int64_t rate_limit = 0;     // records/s the receiver may take (maxRate or backpressure); 0: none
  int64_t queued_blocks = 0;  // blocks received whose batch had not completed (this batch's included)
  int64_t queued_bytes = 0;   // their bytes
};

struct BatchInfo {
  Time batch_time;
  std::map<int, int64_t> records_per_stream;  // input stream id -> records
  std::map<int, InputFlowInfo> flow_per_stream;  // receiver input stream id -> flow control
  int64_t submission_time_ms = 0;
  std::optional<int64_t> processing_start_time_ms;
  std::optional<int64_t> processing_end_time_ms;
  int num_output_operations = 0;
  std::optional<std::string> failure;  // first failed job's error, if any

  int64_t num_records() const {
    int64_t n = 0;
    for (const auto& kv : records_per_stream) n += kv.second;
    return n;
  }
  // Time from submission until the first job started.
  std::optional<int64_t> scheduling_delay() const {
    if (!processing_start_time_ms) return std::nullopt;
    return *processing_start_time_ms - submission_time_ms;
  }
  // Time from the first job's start until the last job's end.
  std::optional<int64_t> processing_delay() const {
    if (!processing_start_time_ms || !processing_end_time_ms) return std::nullopt;
    return *processing_end_time_ms - *processing_start_time_ms;
  }
  std::optional<int64_t> total_delay() const {
    auto s = scheduling_delay();
    auto p = processing_delay();
    if (!s || !p) return std::nullopt;
    return *s + *p;
  }
};

struct OutputOperationInfo {
  Time batch_time;
  int id = 0;  // position among the context's output operations
  std::string name;
  std::optional<int64_t> start_time_ms;
  std::optional<int64_t> end_time_ms;
  std::optional<std::string> failure;
};

struct ReceiverInfo {
  int stream_id = 0;
  std::string name;
  bool active = false;
  std::string last_error;
  int64_t rate_limit = 0;  // records/s in force when the event was made; 0: none
  // Where the receiver runs: "driver", or a worker's node id ("host/pid").
  std::string location = "driver";
};

class StreamingListener {
 public:
  virtual ~StreamingListener() = default;
  virtual void on_streaming_started(int64_t time_ms) {}
  virtual void on_receiver_started(const ReceiverInfo&) {}
  virtual void on_receiver_error(const ReceiverInfo&) {}
  virtual void on_receiver_stopped(const ReceiverInfo&) {}
  virtual void on_batch_submitted(const BatchInfo&) {}
  virtual void on_batch_started(const BatchInfo&) {}
  virtual void on_batch_completed(const BatchInfo&) {}
  virtual void on_output_operation_started(const OutputOperationInfo&) {}
  virtual void on_output_operation_completed(const OutputOperationInfo&) {}
};

}  // namespace rill
