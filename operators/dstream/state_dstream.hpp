// update_state_by_key (Spark's StateDStream): the state RDD at t is computed
// from the state RDD at t - slide and the new values of batch t. The update
// function runs for every key that has state or new values, every batch;
// returning nullopt removes the key.
//
// The state is hash-partitioned by key into n partitions, and the new values
// are shuffled into the same partitioning, so only the new values move: the
// previous state is read narrowly, partition by partition. Within a
// partition, keys with state come first (in their order), then new keys.
#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "operators/dstream/dstream_node.hpp"
#include "operators/dstream/releasable_lineage.hpp"
#include "operators/dstream/state_checkpointed_dstream.hpp"
#include "operators/rdd/cogrouped_rdd.hpp"
#include "runtime/base/streaming_context_fwd.hpp"
#include "runtime/base/view_records.hpp"

namespace rill {

template <class K, class V, class S>
using StateUpdate = std::function<std::optional<S>(Time, const K&, const std::vector<V>&, std::optional<S>)>;

// `initial` must be partitioned like the state (partition_of(key, n)).
// (StateDStream partitions it so.)
template <class K, class V, class S>
class StateRDD : public RDDNode<std::pair<K, S>> {
 public:
  using Record = std::pair<K, S>;
  StateRDD(std::shared_ptr<Executor> ex, int n, RDDNodePtr<Record> previous,
           std::shared_ptr<GroupingShuffle<K, V>> values, StateUpdate<K, V, S> update, Time t)
      : RDDNode<Record>(std::move(ex), n),
        lineage_(Inputs{std::move(previous), std::move(values)}),
        update_(std::move(update)), time_(t) {}

  void compute(int r, Sink<Record> out) const override {
    auto part = this->partition(r);
    for (const auto& x : *part) out(x);
  }

  PartitionPtr<Record> materialize(int r) const override {
    auto in = lineage_.require("update_state_by_key", this->name().to_string(), r);
    FlatHashMap<K, std::pair<std::vector<V>, bool>> news;  // values, and whether state used them
    if (in->values) {
      for (const auto& b : in->values->buckets_for(r)) {
        auto bucket = typed_partition<std::pair<K, std::vector<V>>>(b);
        for (const auto& kv : *bucket) {
          auto& vs = news[kv.first].first;
          vs.insert(vs.end(), kv.second.begin(), kv.second.end());
        }
      }
    }
    auto result = std::make_shared<std::vector<Record>>();
    static const std::vector<V> no_values;
    auto update = update_;
    if (in->previous) {
      auto previous = in->previous->partition(r);
      result->reserve(previous->size() + news.size());
      for (const auto& [key, state] : *previous) {
        auto* fresh = news.find(key);
        if (fresh) fresh->second = true;
        auto next = update(time_, key, fresh ? fresh->first : no_values, state);
        if (next) result->emplace_back(key, std::move(*next));
      }
    }
    for (auto& [key, fresh] : news) {
      if (fresh.second) continue;
      auto next = update(time_, key, fresh.first, std::nullopt);
      if (next) result->emplace_back(key, std::move(*next));
    }
    return result;
  }

  std::vector<const RDDBase*> narrow_parents() const override {
    auto in = lineage_.get();
    if (in && in->previous) return {in->previous.get()};
    return {};
  }
  std::vector<ShuffleDependencyBase*> shuffle_dependencies() const override {
    auto in = lineage_.get();
    if (in && in->values) return {in->values.get()};
    return {};
  }
  // State partition r stays on one node from batch to batch: it reads its
  // previous version from that node's cache.
  typename RDDBase::InputLocation preferred_location(int r) const override { return {"", 0, r}; }
  void release_lineage() const override { lineage_.release(); }
  bool kept_per_slot() const override { return true; }

 protected:
  void on_fully_cached() const override { lineage_.release(); }

 private:
  struct Inputs {
    RDDNodePtr<Record> previous;
    std::shared_ptr<GroupingShuffle<K, V>> values;
  };
  ReleasableLineage<Inputs> lineage_;
  StateUpdate<K, V, S> update_;
  Time time_;
};

template <class K, class V, class S>
class StateDStream : public StateCheckpointedDStream<std::pair<K, S>> {
  RILL_REFUSE_VIEW_RECORDS(K, "update_state_by_key");
  RILL_REFUSE_VIEW_RECORDS(V, "update_state_by_key");
  RILL_REFUSE_VIEW_RECORDS(S, "update_state_by_key");

 public:
  using Record = std::pair<K, S>;
  StateDStream(StreamingContext& ssc, DStreamNodePtr<std::pair<K, V>> parent, StateUpdate<K, V, S> update, int n,
               RDD<Record> initial)
      : StateCheckpointedDStream<Record>(ssc, {parent}, parent->slide_duration(), "update_state_by_key", n),
        parent_(std::move(parent)), update_(std::move(update)), initial_(std::move(initial)) {}

  // Workers keep the state partitions when every type crosses processes.
  // They build the initial RDD as the driver does (it is part of the
  // program, made before start()), and read state the driver restored from
  // the checkpoint's part files (describe_batch).
  bool computable_by_workers() const override {
    return is_serializable_v<K> && is_serializable_v<V> && is_serializable_v<S> && parent_->computable_by_workers();
  }

 protected:
  RDD<Record> compute(Time t) override {
    RDD<Record> previous = this->get_or_compute(t - this->slide_duration());
    RDD<std::pair<K, V>> data = parent_->get_or_compute(t);
    std::shared_ptr<GroupingShuffle<K, V>> values;
    const int n = this->partitions();
    if (data) values = std::make_shared<GroupingShuffle<K, V>>(data.node(), GroupingAggregator<V>{}, n);
    RDDNodePtr<Record> before = previous ? previous.node() : nullptr;
    if (!previous && initial_) before = std::make_shared<KeyPartitionedRDD<K, S>>(initial_.node(), n);
    return RDD<Record>(std::make_shared<StateRDD<K, V, S>>(executor_of(this->context()), n, before,
                                                           std::move(values), update_, t));
  }

 private:
  DStreamNodePtr<std::pair<K, V>> parent_;
  StateUpdate<K, V, S> update_;
  RDD<Record> initial_;
};

}  // namespace rill
