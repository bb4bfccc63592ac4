// queue_stream: each batch takes the next RDD from a queue (or all queued RDDs
// at once, as one union); an empty queue gives the default RDD, or an empty one.
// The queue may be pushed to from any thread while the context runs.
//
// With worker processes the queue is the driver's: the driver computes each
// batch's RDD (it is the user's, made there) and sends its partitions to the
// workers, whose copy of the stream serves them (records must be
// serializable; otherwise the stages that read the stream run on the driver).
#pragma once
#include <deque>
#include <map>
#include <optional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "operators/dstream/dstream_node.hpp"
#include "operators/rdd/narrow_rdds.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/record_codec.hpp"
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
  bool computable_by_workers() const override { return is_serializable_v<T>; }

  std::optional<std::string> describe_batch(Time t) override {
    if constexpr (is_serializable_v<T>) {
      RDD<T> rdd = this->generated_at(t);
      if (!rdd) return std::nullopt;
      std::vector<std::vector<T>> partitions;
      for (int p = 0; p < rdd.num_partitions(); ++p) partitions.push_back(*rdd.node()->partition(p));
      return encode_records(partitions);
    } else {
      return std::nullopt;
    }
  }
  void install_batch(Time t, const std::string& description, const std::string& origin) override {
    if constexpr (is_serializable_v<T>) {
      auto decoded = decode_records<std::vector<T>>(description, origin);
      std::vector<PartitionPtr<T>> partitions;
      for (const auto& p : *decoded) partitions.push_back(std::make_shared<const std::vector<T>>(p));
      std::lock_guard<std::mutex> lock(installed_mutex_);
      installed_[t] = std::move(partitions);
      // A worker computes a batch when a task first needs it (a window may
      // need it a while later); what the stream no longer remembers goes.
      const Time keep_after = t - this->remember_duration() - this->slide_duration();
      while (!installed_.empty() && installed_.begin()->first <= keep_after) installed_.erase(installed_.begin());
    } else {
      DStreamNode<T>::install_batch(t, description, origin);
    }
  }

 protected:
  RDD<T> compute(Time t) override {
    if (config_of(this->context()).is_worker()) {
      std::lock_guard<std::mutex> lock(installed_mutex_);
      auto it = installed_.find(t);
      if (it == installed_.end())
        throw RillError("queue_stream: the driver did not send batch " + t.to_string() + " to this worker");
      return RDD<T>(std::make_shared<StoredRDD<T>>(executor_of(this->context()), it->second));
    }
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
  std::mutex installed_mutex_;
  std::map<Time, std::vector<PartitionPtr<T>>> installed_;  // a worker's: batch -> the driver's partitions
};

}  // namespace rill
