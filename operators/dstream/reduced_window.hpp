// reduce_by_key_and_window with an inverse function (Spark's
// ReducedWindowedDStream): the window at t is the window at t - slide, with
// the batches that left it inverse-reduced out and the batches that entered
// it reduced in, so a slide costs the data entering and leaving plus one pass
// over the window's keys, not the window's length. Keys stay (at their
// "zero") unless the filter drops them.
//
// All inputs are hash-partitioned by key into the same n partitions, so
// merging them is narrow: partition r of the window reads partition r of the
// previous window and of each batch entering and leaving. Once a window's
// partitions are all cached, it drops its inputs, so lineage (and memory) does
// not grow batch after batch; checkpoints write it to disk every interval.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operators/dstream/releasable_lineage.hpp"
#include "operators/dstream/state_checkpointed_dstream.hpp"
#include "operators/dstream/window.hpp"
#include "runtime/base/flat_hash_map.hpp"
#include "runtime/base/view_records.hpp"

namespace rill {

template <class K, class V, class F, class Inv>
class WindowMergeRDD : public RDDNode<std::pair<K, V>> {
 public:
  using Record = std::pair<K, V>;
  using Filter = std::function<bool(const Record&)>;

  WindowMergeRDD(std::shared_ptr<Executor> ex, int n, RDDNodePtr<Record> previous,
                 std::vector<RDDNodePtr<Record>> leaving, std::vector<RDDNodePtr<Record>> entering, F f,
                 Inv inv, Filter filter)
      : RDDNode<Record>(std::move(ex), n),
        lineage_(Inputs{std::move(previous), std::move(leaving), std::move(entering)}),
        f_(std::move(f)), inv_(std::move(inv)), filter_(std::move(filter)) {}

  void compute(int r, Sink<Record> out) const override {
    auto part = this->partition(r);
    for (const auto& x : *part) out(x);
  }

  PartitionPtr<Record> materialize(int r) const override {
    auto in = lineage_.require("reduce_by_key_and_window", this->name().to_string(), r);
    struct Acc {
      std::optional<V> previous, leaving, entering;
    };
    F f = f_;
    Inv inv = inv_;
    FlatHashMap<K, Acc> acc;
    auto fold = [&f](std::optional<V>& slot, const V& v) { slot = slot ? f(*slot, v) : v; };
    if (in->previous && in->previous->num_partitions() > 0) {
      auto part = in->previous->partition(r);
      for (const auto& kv : *part) acc[kv.first].previous = kv.second;
    }
    for (const auto& rdd : in->leaving) {
      auto part = rdd->partition(r);
      for (const auto& kv : *part) fold(acc[kv.first].leaving, kv.second);
    }
    for (const auto& rdd : in->entering) {
      auto part = rdd->partition(r);
      for (const auto& kv : *part) fold(acc[kv.first].entering, kv.second);
    }
    auto result = std::make_shared<std::vector<Record>>();
    result->reserve(acc.size());
    for (auto& [key, a] : acc) {
      V value;
      if (!a.previous) {
        if (!a.entering) {
          if (!a.leaving) continue;
          throw RillError("reduce_by_key_and_window: neither the previous window nor new data has a value "
                          "for a key that is leaving the window (does the key hash consistently?)");
        }
        value = *a.entering;
      } else {
        value = *a.previous;
        if (a.leaving) value = inv(value, *a.leaving);
        if (a.entering) value = f(value, *a.entering);
      }
      Record record(key, std::move(value));
      if (!filter_ || filter_(record)) result->push_back(std::move(record));
    }
    return result;
  }

  std::vector<const RDDBase*> narrow_parents() const override {
    std::vector<const RDDBase*> v;
    if (auto in = lineage_.get()) {
      if (in->previous) v.push_back(in->previous.get());
      for (auto& r : in->leaving) v.push_back(r.get());
      for (auto& r : in->entering) v.push_back(r.get());
    }
    return v;
  }

  // Partition r of the window stays on one node from slide to slide: it
  // reads the previous window's partition r from that node's cache.
  typename RDDBase::InputLocation preferred_location(int r) const override { return {"", 0, r}; }
  void release_lineage() const override { lineage_.release(); }
  bool kept_per_slot() const override { return true; }

 protected:
  void on_fully_cached() const override { lineage_.release(); }

 private:
  struct Inputs {
    RDDNodePtr<Record> previous;
    std::vector<RDDNodePtr<Record>> leaving, entering;
  };
  ReleasableLineage<Inputs> lineage_;
  F f_;
  Inv inv_;
  Filter filter_;
};

template <class K, class V, class F, class Inv>
class ReducedWindowedDStream : public StateCheckpointedDStream<std::pair<K, V>> {
  RILL_REFUSE_VIEW_RECORDS(K, "reduce_by_key_and_window");
  RILL_REFUSE_VIEW_RECORDS(V, "reduce_by_key_and_window");

 public:
  using Record = std::pair<K, V>;
  using Filter = std::function<bool(const Record&)>;

  // `reduced` is the parent reduced by key into n partitions, batch by batch.
  ReducedWindowedDStream(StreamingContext& ssc, DStreamNodePtr<Record> reduced, F f, Inv inv, Duration window,
                         Duration slide, int n, Filter filter)
      : StateCheckpointedDStream<Record>(ssc, {reduced}, slide, "reduce_by_key_and_window", n),
        reduced_(std::move(reduced)), f_(std::move(f)), inv_(std::move(inv)), window_(window),
        filter_(std::move(filter)) {
    check_window(*reduced_, window, slide, "reduce_by_key_and_window");
    reduced_->set_persist();
  }

  // Workers keep the window's partitions; one the driver restored from a
  // checkpoint they read from its part files (describe_batch).
  bool computable_by_workers() const override {
    return is_serializable_v<K> && is_serializable_v<V> && reduced_->computable_by_workers();
  }

 protected:
  RDD<Record> compute(Time t) override {
    Duration ps = reduced_->slide_duration();
    Duration slide = this->slide_duration();
    Time window_begin = t - window_ + ps;   // current window: [window_begin, t]
    Time previous_end = t - slide;          // previous window: [window_begin - slide, previous_end]
    auto leaving = nodes(reduced_->slice_rdds(window_begin - slide, window_begin - ps));
    auto entering = nodes(reduced_->slice_rdds(previous_end + ps, t));
    RDD<Record> previous = this->get_or_compute(previous_end);
    return RDD<Record>(std::make_shared<WindowMergeRDD<K, V, F, Inv>>(
        executor_of(this->context()), this->partitions(), previous ? previous.node() : nullptr, std::move(leaving),
        std::move(entering), f_, inv_, filter_));
  }
  Duration parent_remember_extra() const override { return window_; }

 private:
  static std::vector<RDDNodePtr<Record>> nodes(const std::vector<RDD<Record>>& rdds) {
    std::vector<RDDNodePtr<Record>> v;
    for (const auto& r : rdds) v.push_back(r.node());
    return v;
  }

  DStreamNodePtr<Record> reduced_;
  F f_;
  Inv inv_;
  Duration window_;
  Filter filter_;
};

}  // namespace rill
