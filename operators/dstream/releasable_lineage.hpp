// The inputs of an RDD whose lineage would otherwise grow batch after batch
// (a window with an inverse, state): each such RDD reads the one before it.
// In one process they are held until every partition of the RDD is cached,
// then released, so older batches can be freed. In a cluster, where the node
// caching a partition may be lost, they are held until a state checkpoint
// holds the RDD (RDDBase::mark_checkpointed) or its stream forgets it (two
// checkpoint intervals later): a lost partition is computed again from the
// newest checkpoint and the batches since.
#pragma once
#include <memory>
#include <string>

#include "runtime/base/errors.hpp"

namespace rill {

template <class Inputs>
class ReleasableLineage {
 public:
  explicit ReleasableLineage(Inputs inputs) : inputs_(std::make_shared<const Inputs>(std::move(inputs))) {}

  // Null once released.
  std::shared_ptr<const Inputs> get() const { return std::atomic_load(&inputs_); }
  // Throws when released: a partition that is not cached cannot be
  // recomputed. `what` names the operator and `rdd` the RDD whose partition
  // `partition` was asked for.
  std::shared_ptr<const Inputs> require(const std::string& what, const std::string& rdd, int partition) const {
    auto in = get();
    if (!in)
      throw RillError(what + ": partition " + std::to_string(partition) + " of " + rdd +
                      " is not cached on this node and its inputs were released (in a cluster: the worker that "
                      "kept it was lost, and no state checkpoint of the last two checkpoint intervals holds it; "
                      "a driver restarted with get_or_create resumes from the newest state checkpoint)");
    return in;
  }
  void release() const { std::atomic_store(&inputs_, std::shared_ptr<const Inputs>()); }

 private:
  mutable std::shared_ptr<const Inputs> inputs_;
};

}  // namespace rill
