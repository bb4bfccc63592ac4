// BlockStore: where a node keeps the partitions of persisted RDDs, by
// (RDD id, partition). The node's executor owns it; tasks read and write it
// directly (as Spark's tasks use their executor's BlockManager). A persisted
// RDD's partitions are dropped when the RDD itself is released (its stream
// forgot it).
//
// It has internal synchronization and may be used from any thread (every
// partition worker reads and writes it).
#pragma once
#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include "runtime/base/task.hpp"

namespace rill {

class BlockStore {
 public:
  void put(int64_t rdd, int partition, ErasedPartition data) {
    std::lock_guard<std::mutex> lock(mutex_);
    partitions_[{rdd, partition}] = std::move(data);
  }
  ErasedPartition get(int64_t rdd, int partition) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = partitions_.find({rdd, partition});
    return it == partitions_.end() ? nullptr : it->second;
  }
  void drop_rdd(int64_t rdd) {
    std::lock_guard<std::mutex> lock(mutex_);
    partitions_.erase(partitions_.lower_bound({rdd, 0}), partitions_.upper_bound({rdd, INT_MAX}));
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return partitions_.size();
  }
  size_t partitions_of(int64_t rdd) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<size_t>(std::distance(partitions_.lower_bound({rdd, 0}), partitions_.upper_bound({rdd, INT_MAX})));
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<int64_t, int>, ErasedPartition> partitions_;
};

}  // namespace rill
