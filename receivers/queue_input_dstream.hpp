// queue_stream: each batch takes the next RDD from a queue (or all queued RDDs
// at once, as one union); an empty queue gives the default RDD, or an empty one.
// The queue may be pushed to from any thread while the context runs.
#pragma once
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "operators/narrow_rdds.hpp"
#include "runtime/dstream_base.hpp"
#include "runtime/base/streaming_context_fwd.hpp"

namespace rill {

template <class T>
class RDDQueue {
 public:
  void push(RDD<T> rdd) {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(rdd));
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }
  // Takes one RDD (or all of them); empty when the queue is.
  std::vector<RDD<T>> take(bool all) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RDD<T>> out;
    while (!queue_.empty() && (all || out.empty())) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::deque<RDD<T>> queue_;
};

template <class T>
class QueueInputDStream : public DStreamNode<T>, public InputDStreamBase {
 public:
  QueueInputDStream(StreamingContext& ssc, std::shared_ptr<RDDQueue<T>> queue, bool one_at_a_time,
                    RDD<T> default_rdd)
      : DStreamNode<T>(ssc, {}, batch_duration_of(ssc), "queue_stream"),
        queue_(std::move(queue)), one_at_a_time_(one_at_a_time), default_(std::move(default_rdd)) {
    if (!queue_) throw RillError("queue_stream: the queue is null");
  }
  DStreamBase& stream() override { return *this; }

 protected:
  RDD<T> compute(Time) override {
    auto rdds = queue_->take(!one_at_a_time_);
    if (rdds.empty()) {
      if (default_) return default_;
      return RDD<T>(std::make_shared<StoredRDD<T>>(executor_of(this->context()),
                                                   std::vector<PartitionPtr<T>>{}));
    }
    if (rdds.size() == 1) return rdds.front();
    std::vector<RDDNodePtr<T>> nodes;
    for (auto& r : rdds) nodes.push_back(r.node());
    return RDD<T>(std::make_shared<UnionRDD<T>>(executor_of(this->context()), std::move(nodes)));
  }

 private:
  std::shared_ptr<RDDQueue<T>> queue_;
  bool one_at_a_time_;
  RDD<T> default_;
};

}  // namespace rill
