#include "operators/rdd/rdd_node.hpp"

#include <set>

#include "runtime/base/errors.hpp"

namespace rill {
namespace {
std::atomic<int64_t> next_rdd_id{0};

void collect_shuffles(const RDDBase& rdd, std::set<const RDDBase*>& seen,
                      std::vector<ShuffleDependencyBase*>& out) {
  if (!seen.insert(&rdd).second) return;
  for (auto* dep : rdd.shuffle_dependencies()) out.push_back(dep);
  for (const auto* parent : rdd.narrow_parents()) collect_shuffles(*parent, seen, out);
}
}  // namespace

RDDBase::RDDBase(std::shared_ptr<Executor> executor, int num_partitions)
    : id_(next_rdd_id++),
      name_(executor ? next_rdd_name(executor->static_rdd_counter()) : RddName{}),
      num_partitions_(num_partitions),
      executor_(std::move(executor)) {
  if (num_partitions < 0 || num_partitions > kMaxPartitions)
    throw RillError("an RDD cannot have " + std::to_string(num_partitions) + " partitions: the range is 0 to " +
                    std::to_string(kMaxPartitions) + " (as for rill.default.parallelism)");
}

RDDBase::RDDBase(std::shared_ptr<Executor> executor, int num_partitions, const RddName& name)
    : id_(next_rdd_id++), name_(name), num_partitions_(num_partitions), executor_(std::move(executor)) {}

RDDBase::InputLocation RDDBase::preferred_location(int p) const {
  auto parents = narrow_parents();
  if (parents.size() == 1 && parents[0]->num_partitions() == num_partitions_) return parents[0]->preferred_location(p);
  return {};
}

void RDDBase::mark_checkpointed(CheckpointReader read) const {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mutex_);
    checkpoint_ = std::move(read);
  }
  checkpointed_.store(true, std::memory_order_release);
  release_lineage();
}

bool RDDBase::is_checkpointed() const { return checkpointed_.load(std::memory_order_acquire); }

ErasedPartition RDDBase::checkpointed_partition(int p) const {
  if (!checkpointed_.load(std::memory_order_acquire)) return nullptr;  // the common case, without a lock
  CheckpointReader read;
  {
    std::lock_guard<std::mutex> lock(checkpoint_mutex_);
    if (!checkpoint_) return nullptr;
    read = checkpoint_;
  }
  return read(p);
}

void throw_not_serializable(const char* type_name, const RddName& name) {
  throw RillError("the records of " + name.to_string() + " (type " + type_name +
                  ") cannot cross processes: give the type Boost.Serialization (a member serialize(Archive&, "
                  "unsigned), or specialize rill::is_serializable)");
}

void ShuffleDependencyBase::set_remote_map_outputs(RemoteBuckets fetch) {
  std::lock_guard<std::mutex> lock(remote_mutex_);
  remote_ = std::move(fetch);
  ready_.store(true, std::memory_order_release);
}

bool ShuffleDependencyBase::has_map_outputs() const { return ready_.load(std::memory_order_acquire); }

ShuffleDependencyBase::ShuffleDependencyBase(const RDDBase& map_side, int num_reduce_partitions)
    : name_(map_side.executor() ? next_rdd_name(map_side.executor()->static_rdd_counter()) : RddName{}),
      num_map_partitions_(map_side.num_partitions()),
      num_reduce_partitions_(num_reduce_partitions) {}

std::vector<ErasedPartition> ShuffleDependencyBase::buckets_for(int r) const {
  if (!ready_.load(std::memory_order_acquire))
    throw RillError("shuffle " + name_.to_string() +
                    " was read before its map stage ran (the job did not prepare its shuffles)");
  RemoteBuckets remote;
  {
    std::lock_guard<std::mutex> lock(remote_mutex_);
    remote = remote_;
  }
  if (remote) return remote(r);
  std::vector<ErasedPartition> buckets;
  buckets.reserve(outputs_.size());
  for (const auto& out : outputs_) buckets.push_back(out[r]);
  return buckets;
}

void ShuffleDependencyBase::set_map_outputs(std::vector<TaskOutput> outputs) {
  outputs_ = std::move(outputs);
  ready_.store(true, std::memory_order_release);
}

namespace {
void add_missing_shuffles(const RDDBase& rdd, std::set<const RDDBase*>& seen,
                          std::set<const ShuffleDependencyBase*>& added, std::vector<ShuffleDependencyBase*>& out) {
  std::vector<ShuffleDependencyBase*> deps;
  collect_shuffles(rdd, seen, deps);
  for (auto* dep : deps) {
    if (dep->has_map_outputs() || added.count(dep)) continue;
    add_missing_shuffles(dep->map_side(), seen, added, out);
    if (added.insert(dep).second) out.push_back(dep);
  }
}
}  // namespace

std::vector<ShuffleDependencyBase*> missing_shuffles(const RDDBase& rdd) {
  std::set<const RDDBase*> seen;
  std::set<const ShuffleDependencyBase*> added;
  std::vector<ShuffleDependencyBase*> out;
  add_missing_shuffles(rdd, seen, added, out);
  return out;
}

std::vector<TaskPtr> map_stage_tasks(ShuffleDependencyBase* dep) {
  std::vector<TaskPtr> tasks;
  for (int m = 0; m < dep->num_map_partitions(); ++m) {
    auto task = make_task(TaskName::Kind::shuffle_map, dep->name(), m, [dep, m] { return dep->run_map_task(m); });
    task->shuffle = dep;
    tasks.push_back(std::move(task));
  }
  return tasks;
}

void prepare_shuffles(const RDDBase& rdd) {
  std::set<const RDDBase*> seen;
  std::vector<ShuffleDependencyBase*> deps;
  collect_shuffles(rdd, seen, deps);
  for (auto* dep : deps) {
    // Held while the map stage runs, so concurrent jobs compute it once.
    std::lock_guard<std::mutex> lock(dep->mutex_);
    if (dep->ready_) continue;
    prepare_shuffles(dep->map_side());
    auto outputs = rdd.executor()->run_stage(map_stage_tasks(dep));
    if (dep->has_map_outputs()) continue;  // the stage ran elsewhere: the executor said where
    dep->set_map_outputs(std::move(outputs));
  }
}

std::vector<TaskOutput> run_job(const RDDBase& rdd, std::vector<TaskPtr> tasks) {
  return rdd.executor()->run_job(rdd, std::move(tasks));
}

}  // namespace rill
