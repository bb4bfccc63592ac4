// The inputs of an RDD whose lineage would otherwise grow batch after batch
// (a window with an inverse, state): each such RDD reads the one before it.
// They are held until every partition of the RDD is cached, then released,
// so older batches can be freed; state checkpoints make sure that happens at
// least every checkpoint interval.
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
  // Throws when released: a partition that is not cached cannot be recomputed.
  std::shared_ptr<const Inputs> require(const std::string& what) const {
    auto in = get();
    if (!in) throw RillError(what + ": a partition was requested after its inputs were released");
    return in;
  }
  void release() const { std::atomic_store(&inputs_, std::shared_ptr<const Inputs>()); }

 private:
  mutable std::shared_ptr<const Inputs> inputs_;
};

}  // namespace rill
