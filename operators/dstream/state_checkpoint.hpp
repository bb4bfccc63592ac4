// State checkpoints: at each checkpoint time of a stateful stream, a job
// (run after the batch's output operations) computes every partition of the
// stream's RDD at that time and writes it to
//   <checkpoint dir>/<stream name>-<stream id>/<batch time ms>/part-NNNNN
// as object files (temporary directory, fsync, rename, _SUCCESS), then
// deletes that stream's checkpoints older than the one before it: the two
// newest are kept, so the one a metadata checkpoint names (the newest whose
// batch had completed when it was written) is never deleted under it.
// Computing every partition also lets the RDD drop its lineage (see
// WindowMergeRDD, StateRDD).
//
// Recovery: the metadata checkpoint records, per stream, the newest state
// checkpoint at or before the last completed batch (add_to); a restarted
// driver reads it back as the stream's RDD at that time (restore), and the
// batches after it are recomputed from their inputs. A state version is its
// batch time: the state read back at V includes every batch up to V and no
// later one, so no batch's updates are applied twice.
//
// A lost worker (cluster): a written checkpoint marks the stream's RDD at
// that time checkpointed (RDDBase::mark_checkpointed). A worker that takes
// over a partition the lost one kept is sent the newest checkpoint
// (describe_newest, install) and computes the partition from its part file
// and the batches since.
#pragma once
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operators/dstream/dstream_node.hpp"
#include "operators/dstream/output_ops.hpp"
#include "operators/rdd/narrow_rdds.hpp"
#include "runtime/base/files.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/object_file.hpp"
#include "runtime/base/rdd_name.hpp"
#include "runtime/base/record_codec.hpp"
#include "runtime/base/streaming_context_fwd.hpp"

namespace rill {

std::string state_checkpoint_directory(StreamingContext& ssc, const DStreamBase& stream);
// Deletes the checkpoints of `dir` older than `keep` (batch times in ms).
void delete_checkpoints_before(const std::string& dir, int64_t keep);
// The part files of the state checkpoint `dir`/`time_ms`, in partition order.
// Throws RillError naming the directory when it is incomplete (no _SUCCESS) or
// has another number of partitions than `partitions`.
std::vector<std::string> state_checkpoint_parts(const std::string& dir, int64_t time_ms, int partitions);

// One part file written with the default encoding, as a partition.
template <class T>
PartitionPtr<T> read_partition_file(const std::string& path) {
  return std::make_shared<std::vector<T>>(read_object_part<T>(path));
}

// A state checkpoint read back lazily: partition p is its part file, read
// when a task first needs it. Partition r is kept where state partition r
// lives (on a cluster, one worker).
template <class T>
class CheckpointPartsRDD : public RDDNode<T> {
 public:
  using ReadPart = std::function<PartitionPtr<T>(const std::string&)>;
  CheckpointPartsRDD(std::shared_ptr<Executor> ex, std::vector<std::string> paths, ReadPart read_part)
      : RDDNode<T>(std::move(ex), static_cast<int>(paths.size())),
        paths_(std::move(paths)), read_part_(std::move(read_part)) {}
  void compute(int p, Sink<T> out) const override {
    for (const auto& x : *materialize(p)) out(x);
  }
  PartitionPtr<T> materialize(int p) const override { return read_part_(paths_.at(p)); }
  typename RDDBase::InputLocation preferred_location(int r) const override { return {"", 0, r}; }

 private:
  std::vector<std::string> paths_;
  ReadPart read_part_;
};

// Computes every partition of `node` where it is kept (on a cluster, the
// worker that keeps that state partition); nothing comes back.
void keep_every_partition(const std::shared_ptr<const RDDBase>& node);

// Writes a stream's RDD at its checkpoint times, and reads it back.
template <class T>
class StateCheckpoints {
 public:
  using Encode = std::function<std::string(const std::vector<T>&)>;
  // Decodes one part file written with the stream's Encode.
  using ReadPart = std::function<PartitionPtr<T>(const std::string& path)>;
  explicit StateCheckpoints(ReadPart read_part = &read_partition_file<T>) : read_part_(std::move(read_part)) {}

  // Every batch, after the outputs: at checkpoint times a job that writes
  // the stream's RDD; at others, upkeep at the end of the batch's last job
  // that computes each partition the outputs did not (print reads one)
  // where it is kept. Either way every
  // partition exists when the batch completes, so the stream can drop the
  // RDD's lineage when it forgets it (DStreamNode::forget_through).
  std::vector<Job> jobs(DStreamNode<T>& stream, Time t, Encode encode = &serialize_records<T>) {
    RDD<T> rdd = stream.get_or_compute(t);
    if (!rdd) return {};
    Job job;
    job.time = t;
    if (!stream.is_checkpoint_time(t)) {
      job.name = "compute " + stream.name();
      job.run = [node = rdd.node()] { keep_every_partition(node); };
      job.ends_previous = true;
      return {std::move(job)};
    }
    std::string dir = state_checkpoint_directory(stream.context(), stream);
    job.name = "checkpoint " + stream.name();
    job.run = [rdd, dir, t, encode, written = written_, read_part = read_part_] {
      std::filesystem::create_directories(dir);
      const std::string at = dir + "/" + std::to_string(t.milliseconds());
      save_partitions(rdd, at, encode);
      // Every partition is where it is kept, and lineage before t is no
      // longer needed to compute one again.
      rdd.node()->set_all_partitions_kept();
      rdd.node()->mark_checkpointed(part_reader(at, read_part));
      int64_t previous = written->add(t.milliseconds());
      if (previous >= 0) delete_checkpoints_before(dir, previous);
    };
    return {std::move(job)};
  }

  // Records the newest checkpoint written at or before `completed`.
  void add_to(MetadataCheckpoint& c, int stream_id, Time completed) const {
    int64_t newest = written_->newest_at_or_before(completed.milliseconds());
    if (newest >= 0) c.state_checkpoints[stream_id] = newest;
  }

  // Reads back the checkpoint `c` names for `stream` as its RDD at that time.
  void restore(DStreamNode<T>& stream, const MetadataCheckpoint& c, int partitions) {
    auto it = c.state_checkpoints.find(stream.id());
    if (it == c.state_checkpoints.end()) return;
    std::string dir = state_checkpoint_directory(stream.context(), stream);
    remove_abandoned_staging(dir);   // checkpoints a crash interrupted
    remove_stale_temporaries(dir);  // and those of versions that wrote them under ._tmp- names
    std::vector<PartitionPtr<T>> parts;
    for (const auto& path : state_checkpoint_parts(dir, it->second, partitions)) parts.push_back(read_part_(path));
    stream.restore_rdd(Time(it->second),
                       RDD<T>(std::make_shared<StoredRDD<T>>(executor_of(stream.context()), std::move(parts))));
    written_->add(it->second);
    restored_ = Restored{std::filesystem::absolute(dir).string(), it->second};
  }

  // Workers: the RDD restore() read back is described by the checkpoint's
  // directory (DStreamBase::describe_batch); install() makes it a worker's
  // RDD at that time whose partition p is read from its part file when a
  // task first needs it, so each worker reads the partitions it keeps.
  std::optional<std::string> describe(Time t) const {
    if (!restored_ || restored_->time_ms != t.milliseconds()) return std::nullopt;
    return frame_records(restored_->dir);
  }
  // The newest checkpoint this run wrote (or restored) at or before
  // `through`, described as describe() does: sent to workers when one must
  // compute again a partition a lost worker kept.
  std::optional<std::pair<Time, std::string>> describe_newest(DStreamNode<T>& stream, Time through) const {
    const int64_t newest = written_->newest_at_or_before(through.milliseconds());
    if (newest < 0) return std::nullopt;
    const std::string dir = std::filesystem::absolute(state_checkpoint_directory(stream.context(), stream)).string();
    return std::make_pair(Time(newest), frame_records(dir));
  }
  // A worker that has the stream's RDD at t marks it checkpointed (partitions
  // it does not cache are read from the part files; its lineage is
  // released); one that has none takes the checkpoint as that RDD.
  void install(DStreamNode<T>& stream, Time t, const std::string& description, const std::string& origin,
               int partitions) {
    const std::string dir = unframe_records(description, origin);
    auto paths = state_checkpoint_parts(dir, t.milliseconds(), partitions);
    if (RDD<T> held = stream.generated_at(t)) {
      held.node()->mark_checkpointed(part_reader(dir + "/" + std::to_string(t.milliseconds()), read_part_));
      return;
    }
    RddNamingScope naming(RddName::Origin::stream, stream.id(), t.milliseconds());
    stream.restore_rdd(t, RDD<T>(std::make_shared<CheckpointPartsRDD<T>>(executor_of(stream.context()),
                                                                         std::move(paths), read_part_)));
  }

 private:
  // Partition p of the checkpoint at `at`.
  static RDDBase::CheckpointReader part_reader(const std::string& at, ReadPart read_part) {
    return [at, read_part](int p) -> ErasedPartition { return read_part(at + "/" + part_file_name(p)); };
  }

  ReadPart read_part_;
  // Checkpoint times written (or restored) by this run, newest last.
  struct Written {
    std::mutex mutex;
    std::set<int64_t> times;
    // Adds t; returns the newest time before t, or -1.
    int64_t add(int64_t t) {
      std::lock_guard<std::mutex> lock(mutex);
      times.insert(t);
      while (times.size() > 2) times.erase(times.begin());
      auto it = times.find(t);
      return it == times.begin() ? -1 : *std::prev(it);
    }
    int64_t newest_at_or_before(int64_t t) {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = times.upper_bound(t);
      return it == times.begin() ? -1 : *std::prev(it);
    }
  };
  std::shared_ptr<Written> written_ = std::make_shared<Written>();
  struct Restored {
    std::string dir;  // absolute
    int64_t time_ms;
  };
  std::optional<Restored> restored_;
};

}  // namespace rill
