// Wide RDDs: hash shuffles. The map side of every shuffle combines values per
// key (Spark's map-side combine) and writes one bucket per reduce partition;
// the reduce side merges the buckets of its partition from every map task.
//
// Records within a reduce partition come out in the order their keys were
// first seen (map task by map task): deterministic for the same input.
#pragma once
#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "operators/rdd/combine_group.hpp"
#include "operators/rdd/rdd_node.hpp"
#include "runtime/base/flat_hash_map.hpp"
#include "runtime/base/hash.hpp"

namespace rill {

// How values of one key combine: create(v) starts a combiner, merge_value(c, v)
// adds a value to it, merge_combiners(c, c2) adds another combiner to it.
template <class Create, class MergeValue, class MergeCombiners>
struct Aggregator {
  Create create;
  MergeValue merge_value;
  MergeCombiners merge_combiners;
};

template <class Create, class MergeValue, class MergeCombiners>
Aggregator<Create, MergeValue, MergeCombiners> make_aggregator(Create c, MergeValue mv,
                                                               MergeCombiners mc) {
  return {std::move(c), std::move(mv), std::move(mc)};
}

template <class K, class C>
using CombinerMap = FlatHashMap<K, C>;

// Map-side tables are sized up front from the keys the last map task of the
// same shuffle kind saw (one hint per combining function's type, so per call
// site), capped so that a tiny task never pays for a huge empty table.
constexpr size_t kMaxKeysHint = size_t{1} << 16;

// Map side of a combining shuffle of RDD<pair<K, V>> into combiners C.
template <class K, class V, class C, class Agg>
class CombiningShuffle : public ShuffleDependencyBase {
 public:
  CombiningShuffle(RDDNodePtr<std::pair<K, V>> parent, Agg agg, int num_reduce)
      : ShuffleDependencyBase(*parent, num_reduce),
        parent_(std::move(parent)), agg_(std::move(agg)) {}

  const RDDBase& map_side() const override { return *parent_; }
  std::string encode_bucket(const ErasedPartition& b) const override { return encode_erased<std::pair<K, C>>(b, name()); }
  ErasedPartition decode_bucket(const std::string& f, const std::string& origin) const override {
    return decode_erased<std::pair<K, C>>(f, origin, name());
  }
  const Agg& aggregator() const { return agg_; }
  static std::atomic<size_t>& map_keys_hint() {
    static std::atomic<size_t> hint{0};
    return hint;
  }

  TaskOutput run_map_task(int m) const override {
    Agg agg = agg_;
    const int n = num_reduce_partitions();
    std::vector<CombinerMap<K, C>> maps(n);
    const size_t hint = map_keys_hint().load(std::memory_order_relaxed);
    for (auto& map : maps) map.reserve(hint);
    auto map_of = [&](uint64_t h) -> CombinerMap<K, C>& { return maps[n == 1 ? 0 : partition_of_hash(h, n)]; };
    auto combine = [&](CombinerMap<K, C>& map, uint64_t h, const K& key, const V& value) {
      auto [c, inserted] = map.find_or_insert_hashed(key, h, [&] { return agg.create(value); });
      if (!inserted) agg.merge_value(*c, value);
    };
    if constexpr (kCombinesInGroups<K, V>) {
      CombineGroup<K, V, CombinerMap<K, C>> group;
      parent_->iterate(m, [&](const std::pair<K, V>& kv) {
        uint64_t h = Hash<K>{}(kv.first);
        if (group.add(map_of(h), h, kv.first, kv.second)) group.drain(combine);
      });
      group.drain(combine);
    } else {
      parent_->iterate(m, [&](const std::pair<K, V>& kv) {
        uint64_t h = Hash<K>{}(kv.first);
        combine(map_of(h), h, kv.first, kv.second);
      });
    }
    size_t most = 0;
    for (const auto& map : maps) most = std::max(most, map.size());
    map_keys_hint().store(std::min(most, kMaxKeysHint), std::memory_order_relaxed);
    TaskOutput buckets;
    buckets.reserve(n);
    for (auto& map : maps)
      buckets.push_back(std::make_shared<const std::vector<std::pair<K, C>>>(map.take_entries()));
    return buckets;
  }

 private:
  RDDNodePtr<std::pair<K, V>> parent_;
  Agg agg_;
};

// Reduce side: pair<K, C> per key, merged across all map tasks.
template <class K, class V, class C, class Agg>
class ShuffledRDD : public RDDNode<std::pair<K, C>> {
 public:
  using Record = std::pair<K, C>;
  ShuffledRDD(RDDNodePtr<std::pair<K, V>> parent, Agg agg, int num_reduce)
      : RDDNode<Record>(parent->executor(), num_reduce),
        shuffle_(std::make_shared<CombiningShuffle<K, V, C, Agg>>(std::move(parent),
                                                                  std::move(agg), num_reduce)) {}

  void compute(int r, Sink<Record> out) const override {
    auto bucket = materialize(r);
    for (const auto& kv : *bucket) out(kv);
  }

  PartitionPtr<Record> materialize(int r) const override {
    auto buckets = shuffle_->buckets_for(r);
    if (buckets.size() == 1) return typed_partition<Record>(buckets[0]);
    Agg agg = shuffle_->aggregator();
    CombinerMap<K, C> merged;
    size_t largest = 0;
    for (const auto& erased : buckets) largest = std::max(largest, typed_partition<Record>(erased)->size());
    merged.reserve(largest);  // at least this many keys
    for (const auto& erased : buckets) {
      auto bucket = typed_partition<Record>(erased);
      for (const auto& kv : *bucket) {
        auto [c, inserted] = merged.find_or_insert(kv.first, [&] { return kv.second; });
        if (!inserted) agg.merge_combiners(*c, kv.second);
      }
    }
    return std::make_shared<const std::vector<Record>>(merged.take_entries());
  }

  std::vector<ShuffleDependencyBase*> shuffle_dependencies() const override {
    return {shuffle_.get()};
  }

 private:
  std::shared_ptr<CombiningShuffle<K, V, C, Agg>> shuffle_;
};

// repartition(n): records spread round-robin over n partitions (each map task
// starts at its own index), concatenated in map-task order on the reduce side.
template <class T>
class RepartitionShuffle : public ShuffleDependencyBase {
 public:
  RepartitionShuffle(RDDNodePtr<T> parent, int n)
      : ShuffleDependencyBase(*parent, n), parent_(std::move(parent)) {}
  const RDDBase& map_side() const override { return *parent_; }
  std::string encode_bucket(const ErasedPartition& b) const override { return encode_erased<T>(b, name()); }
  ErasedPartition decode_bucket(const std::string& f, const std::string& origin) const override {
    return decode_erased<T>(f, origin, name());
  }
  TaskOutput run_map_task(int m) const override {
    const int n = num_reduce_partitions();
    std::vector<std::shared_ptr<std::vector<T>>> buckets(n);
    for (auto& b : buckets) b = std::make_shared<std::vector<T>>();
    int next = m % n;
    parent_->iterate(m, [&](const T& x) {
      buckets[next]->push_back(x);
      next = next + 1 == n ? 0 : next + 1;
    });
    return TaskOutput(buckets.begin(), buckets.end());
  }

 private:
  RDDNodePtr<T> parent_;
};

template <class T>
class RepartitionedRDD : public RDDNode<T> {
 public:
  RepartitionedRDD(RDDNodePtr<T> parent, int n)
      : RDDNode<T>(parent->executor(), n),
        shuffle_(std::make_shared<RepartitionShuffle<T>>(std::move(parent), n)) {}
  void compute(int r, Sink<T> out) const override {
    for (const auto& b : shuffle_->buckets_for(r)) {
      auto bucket = typed_partition<T>(b);
      for (const auto& x : *bucket) out(x);
    }
  }
  std::vector<ShuffleDependencyBase*> shuffle_dependencies() const override {
    return {shuffle_.get()};
  }

 private:
  std::shared_ptr<RepartitionShuffle<T>> shuffle_;
};

}  // namespace rill

namespace rill {

// partition_by(n): every record of an RDD<pair<K, V>> moved to partition
// partition_of(key, n), in map-task then record order, without combining.
template <class K, class V>
class KeyPartitionShuffle : public ShuffleDependencyBase {
 public:
  KeyPartitionShuffle(RDDNodePtr<std::pair<K, V>> parent, int n)
      : ShuffleDependencyBase(*parent, n), parent_(std::move(parent)) {}
  const RDDBase& map_side() const override { return *parent_; }
  std::string encode_bucket(const ErasedPartition& b) const override { return encode_erased<std::pair<K, V>>(b, name()); }
  ErasedPartition decode_bucket(const std::string& f, const std::string& origin) const override {
    return decode_erased<std::pair<K, V>>(f, origin, name());
  }
  TaskOutput run_map_task(int m) const override {
    const int n = num_reduce_partitions();
    std::vector<std::shared_ptr<std::vector<std::pair<K, V>>>> buckets(n);
    for (auto& b : buckets) b = std::make_shared<std::vector<std::pair<K, V>>>();
    parent_->iterate(m, [&](const std::pair<K, V>& kv) { buckets[partition_of(kv.first, n)]->push_back(kv); });
    return TaskOutput(buckets.begin(), buckets.end());
  }

 private:
  RDDNodePtr<std::pair<K, V>> parent_;
};

template <class K, class V>
class KeyPartitionedRDD : public RDDNode<std::pair<K, V>> {
 public:
  KeyPartitionedRDD(RDDNodePtr<std::pair<K, V>> parent, int n)
      : RDDNode<std::pair<K, V>>(parent->executor(), n),
        shuffle_(std::make_shared<KeyPartitionShuffle<K, V>>(std::move(parent), n)) {}
  void compute(int r, Sink<std::pair<K, V>> out) const override {
    for (const auto& b : shuffle_->buckets_for(r)) {
      auto bucket = typed_partition<std::pair<K, V>>(b);
      for (const auto& x : *bucket) out(x);
    }
  }
  std::vector<ShuffleDependencyBase*> shuffle_dependencies() const override { return {shuffle_.get()}; }

 private:
  std::shared_ptr<KeyPartitionShuffle<K, V>> shuffle_;
};

}  // namespace rill
