#include "runtime/ui/streaming_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>

namespace rill {

namespace {
// Seconds, from 10 ms to 5 min.
prometheus::Histogram::BucketBoundaries delay_buckets() {
  return {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
}
prometheus::Labels stream_label(int id) { return {{"stream", std::to_string(id)}}; }
}  // namespace

struct StreamingMetrics::Impl {
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  prometheus::Counter& batches = prometheus::BuildCounter()
                                     .Name("rill_batches_completed_total")
                                     .Help("Batches completed")
                                     .Register(*registry)
                                     .Add({});
  prometheus::Counter& processed = prometheus::BuildCounter()
                                       .Name("rill_records_processed_total")
                                       .Help("Records of completed batches")
                                       .Register(*registry)
                                       .Add({});
  prometheus::Family<prometheus::Counter>& received = prometheus::BuildCounter()
                                                          .Name("rill_records_received_total")
                                                          .Help("Records received, by input stream")
                                                          .Register(*registry);
  prometheus::Histogram& scheduling = prometheus::BuildHistogram()
                                          .Name("rill_batch_scheduling_delay_seconds")
                                          .Help("Time a batch waited before its first job started")
                                          .Register(*registry)
                                          .Add({}, delay_buckets());
  prometheus::Histogram& processing = prometheus::BuildHistogram()
                                          .Name("rill_batch_processing_time_seconds")
                                          .Help("Time from a batch's first job start to its last job end")
                                          .Register(*registry)
                                          .Add({}, delay_buckets());
  prometheus::Histogram& total = prometheus::BuildHistogram()
                                     .Name("rill_batch_total_delay_seconds")
                                     .Help("Scheduling delay plus processing time")
                                     .Register(*registry)
                                     .Add({}, delay_buckets());
  prometheus::Gauge& active_batches = prometheus::BuildGauge()
                                          .Name("rill_batches_active")
                                          .Help("Batches submitted and not completed")
                                          .Register(*registry)
                                          .Add({});
  prometheus::Family<prometheus::Gauge>& receiver_active =
      prometheus::BuildGauge().Name("rill_receiver_active").Help("1 while the receiver runs").Register(*registry);
  prometheus::Family<prometheus::Gauge>& input_rate = prometheus::BuildGauge()
                                                          .Name("rill_receiver_input_rate")
                                                          .Help("Records/s of the last batch, by input stream")
                                                          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& rate_limit = prometheus::BuildGauge()
                                                          .Name("rill_receiver_rate_limit")
                                                          .Help("Rate limit in records/s (0: none)")
                                                          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& queued_blocks =
      prometheus::BuildGauge()
          .Name("rill_receiver_queued_blocks")
          .Help("Blocks received whose batch has not completed")
          .Register(*registry);
  prometheus::Family<prometheus::Gauge>& queued_bytes = prometheus::BuildGauge()
                                                            .Name("rill_receiver_queued_bytes")
                                                            .Help("Bytes of those blocks")
                                                            .Register(*registry);
};

StreamingMetrics::StreamingMetrics() : impl_(std::make_unique<Impl>()) {}
StreamingMetrics::~StreamingMetrics() = default;

void StreamingMetrics::batch_submitted(const BatchInfo& info, int64_t batch_duration_ms) {
  for (const auto& [id, n] : info.records_per_stream) {
    impl_->received.Add(stream_label(id)).Increment(static_cast<double>(n));
    impl_->input_rate.Add(stream_label(id)).Set(static_cast<double>(n) * 1000.0 / static_cast<double>(batch_duration_ms));
  }
  for (const auto& [id, f] : info.flow_per_stream) {
    impl_->rate_limit.Add(stream_label(id)).Set(static_cast<double>(f.rate_limit));
    impl_->queued_blocks.Add(stream_label(id)).Set(static_cast<double>(f.queued_blocks));
    impl_->queued_bytes.Add(stream_label(id)).Set(static_cast<double>(f.queued_bytes));
  }
}

void StreamingMetrics::batch_completed(const BatchInfo& info) {
  impl_->batches.Increment();
  impl_->processed.Increment(static_cast<double>(info.num_records()));
  if (auto d = info.scheduling_delay()) impl_->scheduling.Observe(static_cast<double>(*d) / 1000.0);
  if (auto d = info.processing_delay()) impl_->processing.Observe(static_cast<double>(*d) / 1000.0);
  if (auto d = info.total_delay()) impl_->total.Observe(static_cast<double>(*d) / 1000.0);
}

void StreamingMetrics::receiver_state(const ReceiverInfo& info) {
  impl_->receiver_active.Add(stream_label(info.stream_id)).Set(info.active ? 1 : 0);
  impl_->rate_limit.Add(stream_label(info.stream_id)).Set(static_cast<double>(info.rate_limit));
}

void StreamingMetrics::set_active_batches(int64_t n) { impl_->active_batches.Set(static_cast<double>(n)); }

std::string StreamingMetrics::text() const {
  return prometheus::TextSerializer().Serialize(impl_->registry->Collect());
}

}  // namespace rill
