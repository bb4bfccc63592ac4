// The RDD graph: RDDBase is what the scheduler sees (partition count, narrow
// parents, shuffle dependencies); RDDNode<T> adds the typed computation.
//
// A partition is computed by pushing its records into a Sink, so chains of
// narrow operators fuse into one loop. A partition that already exists as a
// vector (received blocks, parallelized data, cached or shuffled results) is
// handed out by pointer, never copied.
#pragma once
#include <atomic>
#include <memory>
#include <functional>
#include <mutex>
#include <string>
#include <typeinfo>
#include <vector>

#include "runtime/base/block_store.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/rdd_name.hpp"
#include "runtime/base/record_codec.hpp"
#include "runtime/base/sink.hpp"
#include "runtime/base/task.hpp"

namespace rill {

template <class T>
using PartitionPtr = std::shared_ptr<const std::vector<T>>;

// Views an erased partition as the typed vector it is.
template <class T>
PartitionPtr<T> typed_partition(const ErasedPartition& p) {
  return std::static_pointer_cast<const std::vector<T>>(p);
}

class ShuffleDependencyBase;

// The most partitions an RDD may have: shuffles allocate per partition, so a
// typo (or an overflowed count) must fail here, not as bad_alloc in a task.
constexpr int kMaxPartitions = 65536;

class RDDBase {
 public:
  // Throws RillError when num_partitions is outside 0..kMaxPartitions.
  RDDBase(std::shared_ptr<Executor> executor, int num_partitions);
  // An RDD that stands for the one named `name` (it takes no name of its own).
  RDDBase(std::shared_ptr<Executor> executor, int num_partitions, const RddName& name);
  virtual ~RDDBase() = default;
  RDDBase(const RDDBase&) = delete;
  RDDBase& operator=(const RDDBase&) = delete;

  // Unique in the process; 64 bits, so a long run never wraps. Keys this
  // process's caches; processes agree on name(), not on id().
  int64_t id() const { return id_; }
  // The same in every process that runs the program (runtime/base/rdd_name.hpp).
  const RddName& name() const { return name_; }
  int num_partitions() const { return num_partitions_; }
  const std::shared_ptr<Executor>& executor() const { return executor_; }

  // Parents whose partitions this RDD reads directly (no shuffle in between).
  virtual std::vector<const RDDBase*> narrow_parents() const { return {}; }
  // Shuffles whose map outputs this RDD reads.
  virtual std::vector<ShuffleDependencyBase*> shuffle_dependencies() const { return {}; }

  // Where partition p's input lives, for placing its task: the node holding
  // the received block it reads ("" when no node is better than another) and
  // about how many bytes that is. By default, that of the only narrow parent
  // when it has as many partitions (a map, a filter, ...).
  // A partition that lives on one node from batch to batch (state) names a
  // slot instead: the same slot always goes to the same worker.
  struct InputLocation {
    std::string node;
    int64_t bytes = 0;
    int slot = -1;
  };
  virtual InputLocation preferred_location(int p) const;

  // Drops this RDD's inputs when its lineage would otherwise grow batch after
  // batch (state, windows with an inverse): afterwards only its cached or
  // checkpointed partitions can be read. Called when all its partitions are
  // cached here (unless keep_lineage_until_checkpoint()), when a checkpoint
  // holds it (mark_checkpointed), and when its stream forgets it (its
  // successor's partitions are cached where they are read, on whichever
  // node). Other RDDs keep their inputs.
  virtual void release_lineage() const {}

  // An RDD kept partition by partition on the node that computes it, batch
  // after batch (state, windows with an inverse): the next batch's RDD reads
  // it from that node's cache instead of recomputing it from its inputs.
  virtual bool kept_per_slot() const { return false; }
  // Every partition has been computed where it is kept (its batch's job
  // that keeps them ran): later batches read them from there.
  void set_all_partitions_kept() const { all_kept_.store(true, std::memory_order_release); }
  bool all_partitions_kept() const { return all_kept_.load(std::memory_order_acquire); }
  // Keeps the lineage once every partition is cached here, until a
  // checkpoint holds the RDD (or release_lineage()): in a cluster the node
  // caching a partition may be lost, and another must compute it again.
  void keep_lineage_until_checkpoint() const { keep_lineage_.store(true, std::memory_order_release); }

  // -- checkpoints and recovery ----------------------------------------------------
  // Reads partition p of a checkpoint that holds every partition of this RDD.
  using CheckpointReader = std::function<ErasedPartition(int p)>;
  // A checkpoint now holds every partition of this RDD: a partition that is
  // not cached here is read from it, and the lineage is released.
  void mark_checkpointed(CheckpointReader read) const;
  bool is_checkpointed() const;
  // Drops the partitions cached here and caches none from now on; a
  // partition asked for later is read from the checkpoint or computed again.
  virtual void unpersist() const {}

  // -- crossing processes (runtime/base/record_codec.hpp) ------------------------------
  // Partition p, computed in this process, as one record frame. Throws
  // RillError when the record type cannot be serialized.
  virtual std::string encode_partition(int p) const = 0;
  // Computes partition p here, keeping it when this RDD is persisted.
  virtual void keep_partition(int p) const = 0;
  // An RDD standing for this one that holds partition p only, decoded from
  // encode_partition's frame made elsewhere (`origin` names where, for
  // errors): the driver runs a task's own function on it.
  virtual std::shared_ptr<const RDDBase> with_fetched_partition(int p, const std::string& frame,
                                                                const std::string& origin) const = 0;

 protected:
  // Partition p from the checkpoint (mark_checkpointed); null when there is none.
  ErasedPartition checkpointed_partition(int p) const;
  bool keeps_lineage_until_checkpoint() const { return keep_lineage_.load(std::memory_order_acquire); }

 private:
  int64_t id_;
  RddName name_;
  int num_partitions_;
  std::shared_ptr<Executor> executor_;
  mutable std::atomic<bool> all_kept_{false};
  mutable std::atomic<bool> keep_lineage_{false};
  mutable std::atomic<bool> checkpointed_{false};  // set once checkpoint_ is
  mutable std::mutex checkpoint_mutex_;
  mutable CheckpointReader checkpoint_;  // guarded by checkpoint_mutex_
};

// One shuffle: a map side (one task per parent partition, each writing one
// bucket per reduce partition) whose outputs the reduce side reads. The map
// stage runs at most once; later jobs reuse its outputs, as Spark does.
class ShuffleDependencyBase {
 public:
  // map_side: the RDD whose partitions the map tasks read.
  ShuffleDependencyBase(const RDDBase& map_side, int num_reduce_partitions);
  virtual ~ShuffleDependencyBase() = default;

  // Named like an RDD, from the same sequence (runtime/base/rdd_name.hpp).
  const RddName& name() const { return name_; }
  int num_map_partitions() const { return num_map_partitions_; }
  int num_reduce_partitions() const { return num_reduce_partitions_; }
  virtual const RDDBase& map_side() const = 0;
  // Computes map partition `m` and returns one bucket per reduce partition.
  virtual TaskOutput run_map_task(int m) const = 0;

  // The buckets a reduce task for partition r reads, one per map partition:
  // this process's map outputs, or those fetched from where they live.
  // Throws if the map stage has not run (prepare_shuffles first).
  std::vector<ErasedPartition> buckets_for(int r) const;

  // -- crossing processes ------------------------------------------------------------
  virtual std::string encode_bucket(const ErasedPartition& bucket) const = 0;
  virtual ErasedPartition decode_bucket(const std::string& frame, const std::string& origin) const = 0;
  using RemoteBuckets = std::function<std::vector<ErasedPartition>(int reduce_partition)>;
  // The map stage ran in other processes: buckets_for(r) calls `fetch(r)`.
  // A later call replaces an earlier one: after a worker was lost, some map
  // partitions ran again elsewhere and are fetched from their new holders.
  void set_remote_map_outputs(RemoteBuckets fetch);
  // The map stage has run (here or elsewhere).
  bool has_map_outputs() const;
  // The map stage ran in this process: these are its outputs, one per map
  // partition (each a bucket per reduce partition). Set once, by whoever ran
  // the stage (the job scheduler, or prepare_shuffles).
  void set_map_outputs(std::vector<TaskOutput> outputs);

 private:
  friend void prepare_shuffles(const RDDBase&);
  RddName name_;
  int num_map_partitions_;
  int num_reduce_partitions_;
  std::mutex mutex_;
  std::atomic<bool> ready_{false};
  std::vector<TaskOutput> outputs_;  // [map partition][reduce partition]
  mutable std::mutex remote_mutex_;
  RemoteBuckets remote_;             // guarded by remote_mutex_; set before ready_ when the map stage ran elsewhere
};

[[noreturn]] void throw_not_serializable(const char* type_name, const RddName& name);

// Frames of erased partitions of record type R (for typed RDDs and shuffles).
template <class R>
std::string encode_erased(const ErasedPartition& p, const RddName& name) {
  if constexpr (is_serializable_v<R>)
    return encode_records<R>(*std::static_pointer_cast<const std::vector<R>>(p));
  else
    throw_not_serializable(typeid(R).name(), name);
}
template <class R>
ErasedPartition decode_erased(const std::string& frame, const std::string& origin, const RddName& name) {
  if constexpr (is_serializable_v<R>)
    return decode_records<R>(frame, origin);
  else
    throw_not_serializable(typeid(R).name(), name);
}

// The shuffles `rdd` reads, through narrow dependencies, whose map stage has
// not run, each after every such shuffle its own map side reads: the order
// their map stages can run in. The walk a job's scheduler makes.
std::vector<ShuffleDependencyBase*> missing_shuffles(const RDDBase& rdd);

// The map stage of `shuffle`: a task per map partition, each computing it
// and returning its buckets.
std::vector<TaskPtr> map_stage_tasks(ShuffleDependencyBase* shuffle);

// Runs, stage by stage through the RDD's executor's run_stage, every shuffle
// map stage `rdd` depends on that has not run yet (ancestors first); a
// shuffle is computed once however many threads ask at once. The way a
// cluster driver prepares a job (each stage offered to its workers).
void prepare_shuffles(const RDDBase& rdd);

// Runs a job through the RDD's executor (Executor::run_job).
std::vector<TaskOutput> run_job(const RDDBase& rdd, std::vector<TaskPtr> tasks);

template <class T>
class RDDNode : public RDDBase, public std::enable_shared_from_this<RDDNode<T>> {
 public:
  using RDDBase::RDDBase;
  ~RDDNode() override {
    if (ever_persisted_.load()) executor()->block_store().drop_rdd(id());
  }

  // Pushes partition p's records, in order, into `out`. Runs on a partition
  // worker, possibly for several partitions at once: it must not mutate state.
  virtual void compute(int p, Sink<T> out) const = 0;

  // Partition p as a vector. The default collects compute(); nodes that hold
  // their data as vectors override it to return the data itself.
  virtual PartitionPtr<T> materialize(int p) const {
    auto v = std::make_shared<std::vector<T>>();
    compute(p, [&](const T& x) { v->push_back(x); });
    return v;
  }

  // What children call: served from the cache when persisted.
  void iterate(int p, Sink<T> out) const {
    PartitionPtr<T> part;
    if (persisted_.load(std::memory_order_acquire))
      part = cached(p);
    else if (auto saved = checkpointed_partition(p))
      part = typed_partition<T>(saved);
    else
      return compute(p, out);
    for (const auto& x : *part) out(x);
  }
  PartitionPtr<T> partition(int p) const {
    if (persisted_.load(std::memory_order_acquire)) return cached(p);
    if (auto saved = checkpointed_partition(p)) return typed_partition<T>(saved);
    return materialize(p);
  }

  // Keeps each partition once computed, for reuse by later jobs.
  void persist() const {
    ever_persisted_.store(true, std::memory_order_release);
    persisted_.store(true, std::memory_order_release);
  }
  void unpersist() const override {
    if (!persisted_.exchange(false)) return;
    std::lock_guard<std::mutex> lock(cache_mutex_);
    executor()->block_store().drop_rdd(id());
    cached_count_ = 0;
  }

  std::string encode_partition(int p) const override { return encode_erased<T>(partition(p), name()); }
  void keep_partition(int p) const override { (void)partition(p); }
  std::shared_ptr<const RDDBase> with_fetched_partition(int p, const std::string& frame,
                                                        const std::string& origin) const override;

 private:
  // Persisted partitions live in the executor's block store.
  PartitionPtr<T> cached(int p) const {
    BlockStore& store = executor()->block_store();
    if (auto hit = store.get(id(), p)) return typed_partition<T>(hit);
    auto data = computed_elsewhere(p);
    if (!data)
      if (auto saved = checkpointed_partition(p)) data = typed_partition<T>(saved);
    if (!data) data = materialize(p);
    bool now_complete = false;
    {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (auto raced = store.get(id(), p)) return typed_partition<T>(raced);
      if (!persisted_.load()) return data;  // unpersisted meanwhile
      store.put(id(), p, data);
      now_complete = ++cached_count_ == num_partitions();
    }
    if (now_complete && !keeps_lineage_until_checkpoint()) on_fully_cached();
    return data;
  }
  // Partition p from the node that keeps it, when the executor has one (a
  // cluster driver's persisted stream RDDs live on the workers); else null.
  PartitionPtr<T> computed_elsewhere(int p) const {
    if (name().origin != RddName::Origin::stream || !executor()->has_elsewhere()) return nullptr;
    auto task = make_task(TaskName::Kind::result, name(), p, nullptr);  // runs only elsewhere
    task->rdd = this;
    task->finish = [p](const RDDBase& fetched) {
      return TaskOutput{static_cast<const RDDNode<T>&>(fetched).partition(p)};
    };
    auto out = executor()->run_elsewhere(task);
    return out ? typed_partition<T>(out->at(0)) : nullptr;
  }

 protected:
  // Called once, when every partition of a persisted RDD has been cached:
  // nodes whose lineage grows batch after batch (windows with an inverse,
  // state) drop their parents here, so old batches can be freed.
  virtual void on_fully_cached() const {}

 private:
  mutable std::atomic<bool> persisted_{false};
  mutable std::atomic<bool> ever_persisted_{false};
  mutable std::mutex cache_mutex_;
  mutable int cached_count_ = 0;
};

template <class T>
using RDDNodePtr = std::shared_ptr<const RDDNode<T>>;

// Stands for an RDD of which only one partition is here, fetched from the
// process that computed it.
template <class T>
class FetchedPartitionRDD : public RDDNode<T> {
 public:
  FetchedPartitionRDD(const RDDNode<T>& original, int p, PartitionPtr<T> data)
      : RDDNode<T>(original.executor(), original.num_partitions(), original.name()), p_(p), data_(std::move(data)) {}
  void compute(int p, Sink<T> out) const override {
    for (const auto& x : *materialize(p)) out(x);
  }
  PartitionPtr<T> materialize(int p) const override {
    if (p != p_) throw RillError("partition " + std::to_string(p) + " of " + this->name().to_string() + " was not fetched");
    return data_;
  }

 private:
  int p_;
  PartitionPtr<T> data_;
};

template <class T>
std::shared_ptr<const RDDBase> RDDNode<T>::with_fetched_partition(int p, const std::string& frame,
                                                                  const std::string& origin) const {
  auto data = std::static_pointer_cast<const std::vector<T>>(decode_erased<T>(frame, origin, name()));
  return std::make_shared<FetchedPartitionRDD<T>>(*this, p, std::move(data));
}


}  // namespace rill
