// DStreamGraph: every stream of a context with its stable id (construction
// order), the input and output streams, and the batch-level operations the job
// generator drives: start, generate_jobs(t), clear_metadata(t).
//
// It has internal synchronization and may be called from any thread. Streams
// are added only before start(); after it the lists of streams, inputs and
// outputs are constant, which is why receiver_streams() may hand out a
// reference. The graph's mutex is never held while a stream runs (their
// generate_job, clear_metadata and checkpoint_jobs are called outside it).
// blocks() has its own synchronization.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/base/job.hpp"
#include "runtime/base/received_block.hpp"

namespace rill {

class DStreamBase;
struct MetadataCheckpoint;
class InputDStreamBase;
class OutputDStreamBase;
class ReceiverStreamBase;

class DStreamGraph {
 public:
  explicit DStreamGraph(Duration batch_duration) : batch_(batch_duration) {}

  Duration batch_duration() const { return batch_; }

  // Gives the next stream id; throws IllegalStateError once started or stopped.
  int register_stream(const std::string& name);
  void add_input(std::shared_ptr<InputDStreamBase> input);
  void add_receiver_stream(std::shared_ptr<ReceiverStreamBase> stream);
  void add_output(std::shared_ptr<OutputDStreamBase> output);
  void set_remember(Duration d);

  // Initializes every stream with the zero time (one batch before the first
  // batch time), applies remember durations and validates; no stream may be
  // added afterwards. Throws if there is no output operation.
  void start(Time zero_time);
  void mark_stopped();
  bool started() const;

  // The jobs of every output operation for batch t, in definition order.
  std::vector<Job> generate_jobs(Time t);
  // Forgets what no stream needs after batch t has completed.
  void clear_metadata(Time t);
  // Called after each clear_metadata(t) (the driver tells its workers).
  void set_clear_listener(std::function<void(Time)> fn);
  // A stream an output depends on, by id; null when there is none (or
  // before start()).
  DStreamBase* stream_by_id(int id) const;
  // The longest remember duration of any stream.
  Duration longest_remember() const;

  // The receiver streams some output needs (after start(): only those; a
  // receiver stream without an output downstream is never started).
  const std::vector<std::shared_ptr<ReceiverStreamBase>>& receiver_streams() const {
    return receivers_;
  }
  // One of them by stream id; null when it is not one.
  ReceiverStreamBase* receiver_stream(int stream_id) const;
  // Every stream some output needs (after start()), parents first.
  std::vector<DStreamBase*> reachable_streams() const;

  // What identifies the program's graph across runs and processes: every
  // stream an output reaches — its id, kind, slide, checkpoint interval,
  // record type and parents — and the outputs, as canonical text, and its
  // 64-bit FNV-1a hash. A restarted driver, or a worker, compares these.
  std::string fingerprint_text() const;
  uint64_t fingerprint() const;

  // Recovery (after start()): every stream's checkpoint data added to `c`,
  // and restored from it (DStreamBase::add_checkpoint_data).
  void add_checkpoint_data(MetadataCheckpoint& c, Time completed) const;
  void restore_checkpoint_data(const MetadataCheckpoint& c);
  // The longest checkpoint interval of any stream (zero when none is
  // stateful): how far back a restarted driver may have to recompute.
  Duration longest_checkpoint_interval() const;
  ReceivedBlockStore& blocks() { return blocks_; }

  // Called with the blocks no batch needs any more.
  void set_block_release_handler(std::function<void(const std::vector<ReceivedBlockPtr>&)> fn);
  void release_blocks(const std::vector<ReceivedBlockPtr>& blocks);

 private:
  enum class State { building, started, stopped };
  Duration batch_;
  mutable std::mutex mutex_;
  State state_ = State::building;
  int next_id_ = 0;
  Duration remember_{};
  // Owned so that an input stream lives as long as its graph; nothing reads it.
  std::vector<std::shared_ptr<InputDStreamBase>> inputs_;
  std::vector<std::shared_ptr<ReceiverStreamBase>> receivers_;
  std::vector<std::shared_ptr<OutputDStreamBase>> outputs_;
  std::vector<DStreamBase*> reachable_;  // every stream an output depends on, parents first
  Duration longest_checkpoint_interval_{};
  ReceivedBlockStore blocks_;
  std::function<void(const std::vector<ReceivedBlockPtr>&)> release_handler_;
  std::function<void(Time)> clear_listener_;
};

}  // namespace rill
