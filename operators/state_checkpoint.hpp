// State checkpoints: at each checkpoint time of a stateful stream, a job
// (run after the batch's output operations) computes every partition of the
// stream's RDD at that time and writes it to
//   <checkpoint dir>/<stream name>-<stream id>/<batch time ms>/part-NNNNN
// as object files (temporary directory, fsync, rename, _SUCCESS), then
// deletes that stream's older checkpoints. Computing every partition also
// lets the RDD drop its lineage (see WindowMergeRDD, StateRDD).
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "operators/output_ops.hpp"
#include "runtime/dstream_base.hpp"

namespace rill {

std::string state_checkpoint_directory(StreamingContext& ssc, const DStreamBase& stream);
// Deletes the checkpoints of `dir` older than `keep` (batch times in ms).
void delete_checkpoints_before(const std::string& dir, int64_t keep);

// Writes a stream's RDD at its checkpoint times. `encode` turns a partition's
// records into a file's bytes (by default: the records as object files).
template <class T>
class StateCheckpoints {
 public:
  using Encode = std::function<std::string(const std::vector<T>&)>;

  std::vector<Job> jobs(DStreamNode<T>& stream, Time t, Encode encode = &serialize_records<T>) {
    if (!stream.is_checkpoint_time(t)) return {};
    RDD<T> rdd = stream.get_or_compute(t);
    if (!rdd) return {};
    std::string dir = state_checkpoint_directory(stream.context(), stream);
    Job job;
    job.time = t;
    job.name = "checkpoint " + stream.name();
    job.run = [rdd, dir, t, encode] {
      std::filesystem::create_directories(dir);
      save_partitions(rdd, dir + "/" + std::to_string(t.milliseconds()), encode);
      delete_checkpoints_before(dir, t.milliseconds());
    };
    return {std::move(job)};
  }
};

}  // namespace rill
