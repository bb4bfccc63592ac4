// cogroup of two pair RDDs by key: both sides are shuffled into the same hash
// partitioning; each key's values keep their order (map task, then record).
// The join family is built on it.
#pragma once
#include <memory>
#include <utility>
#include <vector>

#include "operators/rdd/shuffled_rdd.hpp"

namespace rill {

template <class V>
struct GroupValues {
  std::vector<V> operator()(const V& v) const { return {v}; }
};
template <class V>
struct AppendValue {
  void operator()(std::vector<V>& c, const V& v) const { c.push_back(v); }
};
template <class V>
struct AppendAll {
  void operator()(std::vector<V>& c, const std::vector<V>& d) const {
    c.insert(c.end(), d.begin(), d.end());
  }
};
template <class V>
using GroupingAggregator = Aggregator<GroupValues<V>, AppendValue<V>, AppendAll<V>>;
template <class K, class V>
using GroupingShuffle = CombiningShuffle<K, V, std::vector<V>, GroupingAggregator<V>>;

template <class K, class V, class W>
class CoGroupedRDD : public RDDNode<std::pair<K, std::pair<std::vector<V>, std::vector<W>>>> {
 public:
  using Groups = std::pair<std::vector<V>, std::vector<W>>;
  using Record = std::pair<K, Groups>;

  CoGroupedRDD(RDDNodePtr<std::pair<K, V>> left, RDDNodePtr<std::pair<K, W>> right, int n)
      : RDDNode<Record>(left->executor(), n),
        left_(std::make_shared<GroupingShuffle<K, V>>(std::move(left), GroupingAggregator<V>{}, n)),
        right_(std::make_shared<GroupingShuffle<K, W>>(std::move(right), GroupingAggregator<W>{},
                                                       n)) {}

  void compute(int r, Sink<Record> out) const override {
    auto part = materialize(r);
    for (const auto& x : *part) out(x);
  }

  PartitionPtr<Record> materialize(int r) const override {
    CombinerMap<K, Groups> groups;
    for (const auto& b : left_->buckets_for(r)) {
      auto bucket = typed_partition<std::pair<K, std::vector<V>>>(b);
      for (const auto& kv : *bucket) {
        auto& g = groups[kv.first].first;
        g.insert(g.end(), kv.second.begin(), kv.second.end());
      }
    }
    for (const auto& b : right_->buckets_for(r)) {
      auto bucket = typed_partition<std::pair<K, std::vector<W>>>(b);
      for (const auto& kv : *bucket) {
        auto& g = groups[kv.first].second;
        g.insert(g.end(), kv.second.begin(), kv.second.end());
      }
    }
    return std::make_shared<const std::vector<Record>>(groups.take_entries());
  }

  std::vector<ShuffleDependencyBase*> shuffle_dependencies() const override {
    return {left_.get(), right_.get()};
  }

 private:
  std::shared_ptr<GroupingShuffle<K, V>> left_;
  std::shared_ptr<GroupingShuffle<K, W>> right_;
};

}  // namespace rill
