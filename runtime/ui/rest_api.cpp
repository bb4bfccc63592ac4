#include "runtime/ui/rest_api.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <ctime>

namespace rill::rest {

using json = nlohmann::ordered_json;
using Snapshot = StreamingStatus::Snapshot;
using Batch = StreamingStatus::Batch;

std::string spark_date(int64_t epoch_ms) {
  std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[80];
  std::snprintf(out, sizeof out, "%s.%03dGMT", buf, static_cast<int>(((epoch_ms % 1000) + 1000) % 1000));
  return out;
}

namespace {

template <class T>
void put_optional(json& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}

const char* status_of(const Batch& b) {
  if (b.completed) return "COMPLETED";
  return b.started ? "PROCESSING" : "QUEUED";
}

json batch_json(const Snapshot& s, const Batch& b) {
  json j;
  int64_t t = b.info.batch_time.milliseconds();
  j["batchId"] = t;
  j["batchTime"] = spark_date(t);
  j["status"] = status_of(b);
  j["batchDuration"] = s.batch_duration_ms;
  j["inputSize"] = b.info.num_records();
  put_optional(j, "schedulingDelay", b.info.scheduling_delay());
  put_optional(j, "processingTime", b.info.processing_delay());
  put_optional(j, "totalDelay", b.info.total_delay());
  int active = 0, completed = 0, failed = 0;
  std::optional<std::string> first_failure;
  for (const auto& [id, op] : b.operations) {
    if (!op.end_time_ms) {
      ++active;
    } else if (op.failure) {
      ++failed;
      if (!first_failure) first_failure = op.failure;
    } else {
      ++completed;
    }
  }
  if (b.info.failure && !first_failure) first_failure = b.info.failure;
  j["numActiveOutputOps"] = active;
  j["numCompletedOutputOps"] = completed;
  j["numFailedOutputOps"] = failed;
  j["numTotalOutputOps"] = b.info.num_output_operations;
  put_optional(j, "firstFailureReason", first_failure);
  return j;
}

json operation_json(const OutputOperationInfo& op) {
  json j;
  j["outputOpId"] = op.id;
  j["name"] = op.name;
  j["description"] = op.name + " at batch " + std::to_string(op.batch_time.milliseconds()) + " ms";
  if (op.start_time_ms) j["startTime"] = spark_date(*op.start_time_ms);
  if (op.end_time_ms) j["endTime"] = spark_date(*op.end_time_ms);
  if (op.start_time_ms && op.end_time_ms) j["duration"] = *op.end_time_ms - *op.start_time_ms;
  put_optional(j, "failureReason", op.failure);
  j["jobIds"] = json::array();
  return j;
}

json receiver_json(const StreamingStatus::Receiver& r) {
  json j;
  j["streamId"] = r.info.stream_id;
  j["streamName"] = r.info.name;
  j["isActive"] = r.info.active;
  j["executorId"] = "driver";
  j["executorHost"] = "localhost";
  if (!r.info.last_error.empty()) {
    if (r.last_error_time_ms) j["lastErrorTime"] = spark_date(*r.last_error_time_ms);
    j["lastErrorMessage"] = r.info.last_error;
    j["lastError"] = r.info.last_error;
  }
  if (!r.event_rates.empty()) {
    double sum = 0;
    for (const auto& e : r.event_rates) sum += e.second;
    j["avgEventRate"] = sum / static_cast<double>(r.event_rates.size());
  }
  json rates = json::array();
  for (const auto& [t, rate] : r.event_rates) rates.push_back(json::array({t, rate}));
  j["eventRates"] = rates;
  return j;
}

const Batch* find_batch(const Snapshot& s, int64_t id) {
  for (const auto* list : {&s.completed, &s.active})
    for (const auto& b : *list)
      if (b.info.batch_time.milliseconds() == id) return &b;
  return nullptr;
}

template <class F>
std::optional<int64_t> average(const std::vector<Batch>& batches, F field) {
  int64_t sum = 0, n = 0;
  for (const auto& b : batches)
    if (auto v = field(b.info)) {
      sum += *v;
      ++n;
    }
  if (n == 0) return std::nullopt;
  return sum / n;
}

}  // namespace

std::string applications(const Snapshot& s) {
  json attempt;
  attempt["startTime"] = spark_date(s.start_time_ms);
  attempt["endTime"] = spark_date(-1);
  attempt["lastUpdated"] = spark_date(s.start_time_ms);
  attempt["duration"] = 0;
  attempt["sparkUser"] = "rill";
  attempt["completed"] = false;
  attempt["appSparkVersion"] = "rill-0.1.0";
  attempt["startTimeEpoch"] = s.start_time_ms;
  attempt["endTimeEpoch"] = -1;
  attempt["lastUpdatedEpoch"] = s.start_time_ms;
  json app;
  app["id"] = s.app_id;
  app["name"] = s.app_name;
  app["attempts"] = json::array({attempt});
  return json::array({app}).dump();
}

std::string statistics(const Snapshot& s) {
  json j;
  j["startTime"] = spark_date(s.start_time_ms);
  j["batchDuration"] = s.batch_duration_ms;
  int active = 0;
  for (const auto& [id, r] : s.receivers) active += r.info.active ? 1 : 0;
  j["numReceivers"] = static_cast<int>(s.receivers.size());
  j["numActiveReceivers"] = active;
  j["numInactiveReceivers"] = static_cast<int>(s.receivers.size()) - active;
  j["numTotalCompletedBatches"] = s.total_completed;
  j["numRetainedCompletedBatches"] = static_cast<int64_t>(s.completed.size());
  j["numActiveBatches"] = static_cast<int64_t>(s.active.size());
  j["numProcessedRecords"] = s.processed_records;
  j["numReceivedRecords"] = s.received_records;
  if (!s.completed.empty()) {
    double sum = 0;
    for (const auto& b : s.completed)
      sum += static_cast<double>(b.info.num_records()) * 1000.0 / static_cast<double>(s.batch_duration_ms);
    j["avgInputRate"] = sum / static_cast<double>(s.completed.size());
  }
  put_optional(j, "avgSchedulingDelay", average(s.completed, [](const BatchInfo& b) { return b.scheduling_delay(); }));
  put_optional(j, "avgProcessingTime", average(s.completed, [](const BatchInfo& b) { return b.processing_delay(); }));
  put_optional(j, "avgTotalDelay", average(s.completed, [](const BatchInfo& b) { return b.total_delay(); }));
  return j.dump();
}

std::string receivers(const Snapshot& s) {
  json list = json::array();
  for (const auto& [id, r] : s.receivers) list.push_back(receiver_json(r));
  return list.dump();
}

std::optional<std::string> receiver(const Snapshot& s, int stream_id) {
  auto it = s.receivers.find(stream_id);
  if (it == s.receivers.end()) return std::nullopt;
  return receiver_json(it->second).dump();
}

std::string batches(const Snapshot& s, const std::string& status) {
  std::vector<const Batch*> all;
  for (const auto* list : {&s.completed, &s.active})
    for (const auto& b : *list)
      if (status.empty() || status == status_of(b)) all.push_back(&b);
  std::sort(all.begin(), all.end(), [](const Batch* a, const Batch* b) {
    return a->info.batch_time.milliseconds() > b->info.batch_time.milliseconds();
  });
  json list = json::array();
  for (const auto* b : all) list.push_back(batch_json(s, *b));
  return list.dump();
}

std::optional<std::string> batch(const Snapshot& s, int64_t batch_id) {
  const Batch* b = find_batch(s, batch_id);
  if (!b) return std::nullopt;
  return batch_json(s, *b).dump();
}

std::optional<std::string> operations(const Snapshot& s, int64_t batch_id) {
  const Batch* b = find_batch(s, batch_id);
  if (!b) return std::nullopt;
  json list = json::array();
  for (const auto& [id, op] : b->operations) list.push_back(operation_json(op));
  return list.dump();
}

std::optional<std::string> operation(const Snapshot& s, int64_t batch_id, int op_id) {
  const Batch* b = find_batch(s, batch_id);
  if (!b) return std::nullopt;
  auto it = b->operations.find(op_id);
  if (it == b->operations.end()) return std::nullopt;
  return operation_json(it->second).dump();
}

}  // namespace rill::rest
