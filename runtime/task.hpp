// Type-erased units of work. Actors move these without knowing record types:
// a task computes one partition and yields erased partitions (one for a
// result task, one bucket per reduce partition for a shuffle map task).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <vector>

namespace rill {

class BlockStore;

// An immutable partition of some record type, behind a shared pointer.
using ErasedPartition = std::shared_ptr<const void>;
using TaskOutput = std::vector<ErasedPartition>;

struct Task {
  std::function<TaskOutput()> run;
  int partition = 0;
};
using TaskPtr = std::shared_ptr<const Task>;

// Runs stages of tasks somewhere (in local mode: on the partition workers of
// this process). run_stage blocks until every task has finished and returns
// their outputs in task order; a failed task makes it throw JobFailedError.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::vector<TaskOutput> run_stage(std::vector<TaskPtr> tasks) = 0;
  // Partition count of shuffles that are not given one (rill.default.parallelism).
  virtual int default_parallelism() const = 0;
  // This node's store of persisted partitions.
  virtual BlockStore& block_store() = 0;
  // Numbers the static RDDs and shuffles of this executor's context in
  // construction order (runtime/rdd_name.hpp).
  std::atomic<int>& static_rdd_counter() { return static_rdd_counter_; }

 private:
  std::atomic<int> static_rdd_counter_{0};
};

}  // namespace rill
