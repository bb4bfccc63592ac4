// StateCheckpointedDStream: the base of a stream whose RDD is state carried
// from batch to batch (update_state_by_key, map_with_state,
// reduce_by_key_and_window with an inverse function). Such a stream is
// persisted, must be checkpointed, and goes through one StateCheckpoints for
// everything about its checkpoints: the jobs that write them, the metadata
// checkpoint's entry, the restore after a driver restart, and the batch
// descriptions by which workers read state the driver restored.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "operators/dstream/dstream_node.hpp"
#include "operators/dstream/state_checkpoint.hpp"
#include "runtime/base/streaming_context_fwd.hpp"

namespace rill {

template <class Record>
class StateCheckpointedDStream : public DStreamNode<Record> {
 public:
  // n: the number of state partitions; 0 for the default parallelism when
  // batches are computed (a worker learns the driver's after building the
  // graph). read_part: how a checkpoint's part file is read back.
  StateCheckpointedDStream(StreamingContext& ssc, std::vector<std::shared_ptr<DStreamBase>> parents, Duration slide,
                           std::string name, int n,
                           typename StateCheckpoints<Record>::ReadPart read_part = &read_partition_file<Record>)
      : DStreamNode<Record>(ssc, std::move(parents), slide, std::move(name)), n_(n), checkpoint_(std::move(read_part)) {
    this->set_persist();
    this->must_checkpoint_ = true;
  }

  std::vector<Job> checkpoint_jobs(Time t) override { return checkpoint_.jobs(*this, t); }
  void add_checkpoint_data(MetadataCheckpoint& c, Time completed) const override {
    checkpoint_.add_to(c, this->id(), completed);
  }
  void restore_checkpoint_data(const MetadataCheckpoint& c) override {
    checkpoint_.restore(*this, c, partitions());
  }
  std::optional<std::string> describe_batch(Time t) override { return checkpoint_.describe(t); }
  std::optional<std::pair<Time, std::string>> describe_checkpoint(Time through) override {
    return checkpoint_.describe_newest(*this, through);
  }
  void install_batch(Time t, const std::string& description, const std::string& origin) override {
    checkpoint_.install(*this, t, description, origin, partitions());
  }

 protected:
  int partitions() const { return n_ > 0 ? n_ : executor_of(this->context())->default_parallelism(); }

  const int n_;
  StateCheckpoints<Record> checkpoint_;
};

}  // namespace rill
