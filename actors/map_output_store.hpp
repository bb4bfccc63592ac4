// A node's shuffle map outputs, by (shuffle, map partition): written by map
// tasks run here, read by reduce tasks here and fetched by other nodes.
//
// It has internal synchronization: partition workers and the task server
// call it at once. Outputs handed out are immutable and shared.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "operators/rdd/rdd_node.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

class MapOutputStore {
 public:
  // `root` keeps the lineage that owns `shuffle` alive while its outputs are held.
  void put(const RddName& name, int map_partition, std::shared_ptr<const RDDBase> root,
           const ShuffleDependencyBase* shuffle, TaskOutput buckets) {
    std::lock_guard<std::mutex> lock(mutex_);
    outputs_[{name, map_partition}] = Entry{std::move(root), shuffle, std::move(buckets)};
  }

  ErasedPartition bucket(const RddName& name, int map_partition, int reduce_partition) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const Entry& e = find(name, map_partition);
    if (reduce_partition < 0 || reduce_partition >= static_cast<int>(e.buckets.size()))
      throw RillError("shuffle " + name.to_string() + " has no reduce partition " + std::to_string(reduce_partition));
    return e.buckets[reduce_partition];
  }

  // Bucket `reduce_partition` as a record frame.
  std::string encode(const RddName& name, int map_partition, int reduce_partition) const {
    const ShuffleDependencyBase* shuffle = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      shuffle = find(name, map_partition).shuffle;
    }
    return shuffle->encode_bucket(bucket(name, map_partition, reduce_partition));
  }

  // Forgets the outputs of shuffles made for batches at or before `time_ms`.
  void drop_through(int64_t time_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto it = outputs_.begin(); it != outputs_.end();)
      it = it->first.first.time_ms <= time_ms ? outputs_.erase(it) : std::next(it);
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return outputs_.size();
  }

 private:
  struct Entry {
    std::shared_ptr<const RDDBase> root;
    const ShuffleDependencyBase* shuffle = nullptr;
    TaskOutput buckets;
  };
  const Entry& find(const RddName& name, int map_partition) const {
    auto it = outputs_.find({name, map_partition});
    if (it == outputs_.end())
      throw RillError("no map output " + std::to_string(map_partition) + " of shuffle " + name.to_string() +
                      " here (dropped, or never written on this node)");
    return it->second;
  }
  mutable std::mutex mutex_;
  std::map<std::pair<RddName, int>, Entry> outputs_;
};

}  // namespace rill
