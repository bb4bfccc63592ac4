// TextViewRDD: the lines of an RDD<std::string> as std::string_view records
// (DStream::as_views). Over received blocks the views point into the block
// itself, so no line is copied; over any other RDD each partition is
// materialized once and kept by this RDD, which the views then point into.
// Either way a view is valid exactly as long as this RDD is alive.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "operators/rdd/block_rdd.hpp"
#include "operators/rdd/rdd_node.hpp"

namespace rill {

class TextViewRDD : public RDDNode<std::string_view> {
 public:
  explicit TextViewRDD(RDDNodePtr<std::string> parent)
      : RDDNode<std::string_view>(parent->executor(), parent->num_partitions()),
        parent_(std::move(parent)),
        blocks_(dynamic_cast<const BlockRDD<std::string>*>(parent_.get())),
        held_(static_cast<size_t>(parent_->num_partitions())) {}

  void compute(int p, Sink<std::string_view> out) const override {
    if (blocks_) return blocks_->for_each_view(p, out);
    PartitionPtr<std::string> part;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      part = held_[static_cast<size_t>(p)];
    }
    if (!part) {
      part = parent_->partition(p);
      std::lock_guard<std::mutex> lock(mutex_);
      if (held_[static_cast<size_t>(p)]) part = held_[static_cast<size_t>(p)];
      else held_[static_cast<size_t>(p)] = part;
    }
    for (const auto& s : *part) out(std::string_view(s));
  }
  std::vector<const RDDBase*> narrow_parents() const override { return {parent_.get()}; }

 private:
  RDDNodePtr<std::string> parent_;
  const BlockRDD<std::string>* blocks_;  // parent_, when it is one
  mutable std::mutex mutex_;
  mutable std::vector<PartitionPtr<std::string>> held_;
};

}  // namespace rill
