// State checkpoints: at each checkpoint time of a stateful stream, a job
// (run after the batch's output operations) computes every partition of the
// stream's RDD at that time and writes it to
//   <checkpoint dir>/<stream name>-<stream id>/<batch time ms>/part-NNNNN
// as object files (temporary directory, fsync, rename, _SUCCESS), then
// deletes that stream's older checkpoints. Computing every partition also
// lets the RDD drop its lineage (see WindowMergeRDD, StateRDD).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "operators/output_ops.hpp"
#include "runtime/dstream_base.hpp"

namespace rill {

std::string state_checkpoint_directory(StreamingContext& ssc, const DStreamBase& stream);
// Deletes the checkpoints of `dir` older than `keep` (batch times in ms).
void delete_checkpoints_before(const std::string& dir, int64_t keep);

template <class T>
class StateCheckpoints {
 public:
  std::vector<Job> jobs(DStreamNode<T>& stream, Time t) {
    if (!stream.is_checkpoint_time(t)) return {};
    RDD<T> rdd = stream.get_or_compute(t);
    if (!rdd) return {};
    std::string dir = state_checkpoint_directory(stream.context(), stream);
    Job job;
    job.time = t;
    job.name = "checkpoint " + stream.name();
    job.run = [rdd, dir, t] {
      std::filesystem::create_directories(dir);
      save_object_files(rdd, dir + "/" + std::to_string(t.milliseconds()));
      delete_checkpoints_before(dir, t.milliseconds());
    };
    return {std::move(job)};
  }
};

}  // namespace rill
