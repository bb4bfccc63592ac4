// Spark's streaming REST API (org.apache.spark.status.api.v1.streaming), as
// JSON built from a StreamingStatus snapshot: the same paths, field names and
// units, so tools written for Spark's API read it. Dates are Spark's
// "yyyy-MM-dd'T'HH:mm:ss.SSS'GMT'"; absent optional fields are left out, as
// Spark's JSON writer does.
//
//   /api/v1/applications
//   /api/v1/applications/<app-id>/streaming/statistics
//   .../streaming/receivers, .../receivers/<stream-id>
//   .../streaming/batches[?status=COMPLETED|PROCESSING|QUEUED], .../batches/<batch-id>
//   .../batches/<batch-id>/operations, .../operations/<output-op-id>
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/ui/streaming_status.hpp"

namespace rill::rest {

std::string applications(const StreamingStatus::Snapshot& s);
std::string statistics(const StreamingStatus::Snapshot& s);
std::string receivers(const StreamingStatus::Snapshot& s);
std::optional<std::string> receiver(const StreamingStatus::Snapshot& s, int stream_id);
// Newest first; `status` empty for all.
std::string batches(const StreamingStatus::Snapshot& s, const std::string& status);
std::optional<std::string> batch(const StreamingStatus::Snapshot& s, int64_t batch_id);
std::optional<std::string> operations(const StreamingStatus::Snapshot& s, int64_t batch_id);
std::optional<std::string> operation(const StreamingStatus::Snapshot& s, int64_t batch_id, int op_id);

// Spark's date format for epoch milliseconds.
std::string spark_date(int64_t epoch_ms);

}  // namespace rill::rest
