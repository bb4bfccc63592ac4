// Type-erased units of work. Actors move these without knowing record types:
// a task computes one partition and yields erased partitions (one for a
// result task, one bucket per reduce partition for a shuffle map task).
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "runtime/base/rdd_name.hpp"

namespace rill {

class BlockStore;

// An immutable partition of some record type, behind a shared pointer.
using ErasedPartition = std::shared_ptr<const void>;
using TaskOutput = std::vector<ErasedPartition>;

class RDDBase;
class ShuffleDependencyBase;

// What another process that built the same graph needs to run a task itself
// (docs/design.md, "names, not closures"): a result task computes partition p of
// the RDD `target`; a shuffle map task writes map partition p of the shuffle
// `target`; an output task runs the per-partition function of the output
// stream `output` on partition p of `target` (that output's batch RDD); a
// persist task computes partition p of `target` and keeps it where it ran
// (state: every partition of every batch, so that the next batch finds it).
struct TaskName {
  enum class Kind : int8_t { result, shuffle_map, output, persist };
  Kind kind = Kind::result;
  RddName target;
  int output = -1;  // the output stream's id, for Kind::output
};

struct Task {
  std::function<TaskOutput()> run;
  int partition = 0;
  // Set when the task can run by name elsewhere.
  std::optional<TaskName> name;
  // In the process that made the task, never sent: the RDD a result task
  // computes, or the shuffle a map task writes.
  const RDDBase* rdd = nullptr;
  ShuffleDependencyBase* shuffle = nullptr;
  // A result task run elsewhere: what `run` would have returned, from an RDD
  // standing for `rdd` that holds the fetched partition.
  std::function<TaskOutput(const RDDBase& fetched)> finish;
};
using TaskPtr = std::shared_ptr<const Task>;

// A task for partition p of `target` (an RDD, or the shuffle whose map side it
// writes) that runs `run` in this process. A target made by a stream can be
// found by name on every node that built the same graph, so such a task is
// also named, to run as `kind` elsewhere (`output`: the output stream of an
// output task). Callers add `rdd`, `shuffle` or `finish` as their kind needs.
inline std::shared_ptr<Task> make_task(TaskName::Kind kind, const RddName& target, int p,
                                       std::function<TaskOutput()> run, int output = -1) {
  auto task = std::make_shared<Task>();
  task->partition = p;
  task->run = std::move(run);
  if (target.origin == RddName::Origin::stream) task->name = TaskName{kind, target, output};
  return task;
}

// Runs jobs and stages of tasks somewhere (in local mode: on the partition
// workers of this process). Both block until every task has finished and
// return the outputs in task order; a failed task makes them throw
// JobFailedError.
class Executor {
 public:
  virtual ~Executor() = default;
  // A job (one action): the map stage of every shuffle `final` reads that has
  // not run yet, each after the shuffles it reads, then `tasks` (tasks over
  // `final`'s partitions). The caller waits once, for the whole job.
  virtual std::vector<TaskOutput> run_job(const RDDBase& final, std::vector<TaskPtr> tasks) = 0;
  // One stage whose shuffles are ready.
  virtual std::vector<TaskOutput> run_stage(std::vector<TaskPtr> tasks) = 0;
  // Partition count of shuffles that are not given one (rill.default.parallelism).
  virtual int default_parallelism() const = 0;
  // Runs one named result task where the data it reads lives (a cluster's
  // workers) and returns its output; nothing when it has to run here. A
  // cluster driver fetches a persisted stream RDD's partition this way
  // instead of recomputing what the workers keep (state).
  virtual std::optional<TaskOutput> run_elsewhere(const TaskPtr&) { return std::nullopt; }
  // Whether run_elsewhere can run anything (a driver with workers); lets
  // callers skip building a task that would only run here.
  virtual bool has_elsewhere() const { return false; }
  // This node's store of persisted partitions.
  virtual BlockStore& block_store() = 0;
  // Numbers the static RDDs and shuffles of this executor's context in
  // construction order (runtime/base/rdd_name.hpp).
  std::atomic<int>& static_rdd_counter() { return static_rdd_counter_; }

 private:
  std::atomic<int> static_rdd_counter_{0};
};

}  // namespace rill
