// The DStream graph's nodes, untyped: DStreamBase is what the graph, the job
// generator and the engine's actors see (ids, slide, remember duration,
// clearing, checkpoint data); DStreamNode<T> (dstream_node.hpp) adds the
// typed RDD per batch time. Output streams turn a batch's RDD into a Job.
#pragma once
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/errors.hpp"
#include "runtime/base/job.hpp"
#include "runtime/base/time.hpp"

namespace rill {

class StreamingContext;
struct MetadataCheckpoint;
class RDDBase;

class DStreamBase {
 public:
  // Registers the stream with `ssc`'s graph; throws IllegalStateError when the
  // context has started or stopped, or when a parent is null or of another context.
  DStreamBase(StreamingContext& ssc, std::vector<std::shared_ptr<DStreamBase>> parents,
              Duration slide, std::string name);
  virtual ~DStreamBase() = default;
  DStreamBase(const DStreamBase&) = delete;
  DStreamBase& operator=(const DStreamBase&) = delete;

  int id() const { return id_; }
  const std::string& name() const { return name_; }
  StreamingContext& context() const { return ssc_; }
  Duration slide_duration() const { return slide_; }
  const std::vector<std::shared_ptr<DStreamBase>>& parents() const { return parents_; }

  // -- called by the graph ---------------------------------------------------
  void initialize(Time zero_time);
  // Keeps generated RDDs for at least `d`, and tells parents what they must keep.
  void remember(Duration d);
  Duration remember_duration() const;
  // Checks the stream's requirements when the context starts.
  virtual void validate_at_start() const;
  // Forgets this stream's RDDs generated at or before
  // `t - remember_duration()`. The graph calls it once per stream (parents
  // shared by several streams are not walked again).
  void clear_metadata(Time t);
  // True when t is after the zero time by a whole number of slides.
  bool is_time_valid(Time t) const;
  Time zero_time() const;
  // Marks generated RDDs to be persisted.
  void set_persist() { persist_ = true; }
  // In a cluster, a stream whose partitions are kept per slot on workers
  // (state) must survive the loss of one: it keeps its RDDs, their lineage
  // and so the blocks and map outputs they read, for two checkpoint
  // intervals (Spark's rule), so a lost partition is computed again from
  // the newest state checkpoint and the batches since. Only the newest
  // RDD stays cached. Called by the graph at start, after remember().
  void prepare_recovery();
  bool recomputes_lost_partitions() const { return recomputes_lost_partitions_; }

  // -- checkpointing of stateful streams ---------------------------------------
  // How often this stream's RDDs are written to the checkpoint directory;
  // zero: never. Stateful streams get a default when the context starts.
  void set_checkpoint_interval(Duration d);
  Duration checkpoint_interval() const;
  bool must_checkpoint() const { return must_checkpoint_; }
  // True when t is a checkpoint time of this stream.
  bool is_checkpoint_time(Time t) const;
  // Jobs that write this stream's state at batch time t (after the outputs).
  virtual std::vector<Job> checkpoint_jobs(Time) { return {}; }

  // -- recovery of a restarted driver (StreamingContext::get_or_create) ---------
  // Adds to `c` what a restarted driver needs to compute this stream's batches
  // after `completed` (every batch at or before it has completed): a file
  // stream's files per batch, a stateful stream's newest state checkpoint.
  virtual void add_checkpoint_data(MetadataCheckpoint& /*c*/, Time /*completed*/) const {}
  // Takes it back, after initialize() and before the first batch is generated.
  // Throws RillError naming the file when recorded data cannot be read.
  virtual void restore_checkpoint_data(const MetadataCheckpoint& /*c*/) {}
  // The record type's name (for the graph fingerprint).
  virtual std::string record_type() const = 0;

  // -- computing on workers ---------------------------------------------------------
  // Whether a worker that built the same graph computes this stream's RDDs
  // as the driver does: true for streams whose parents all are, unless the
  // stream must be checkpointed. Input streams (the driver sends blocks or
  // describes batches) and stateful streams (whose records must cross
  // processes) say for themselves.
  virtual bool computable_by_workers() const;
  // This stream's RDD at t, untyped (computed when not held yet); null when
  // t is not one of its times (or the stream makes no RDDs: outputs).
  virtual std::shared_ptr<const RDDBase> rdd_base_at(Time) { return nullptr; }
  // An output stream whose function runs per partition (foreach_partition):
  // runs it on partition p of its batch RDD at t, here. Others throw.
  virtual void run_output_partition(Time t, int p);
  // A stream whose RDD at t only the driver can make (a queue's RDDs, the
  // files a directory listing found, state read back from a checkpoint)
  // describes it to the workers, so that their copy of the program makes
  // the same RDD there: describe_batch(t) on the driver, install_batch(t, ...)
  // on each worker before a task of batch t runs. The description is opaque
  // to the engine and framed by the stream (a corrupt one is an error naming
  // `origin`). nullopt: the stream has no RDD at t, or needs no description
  // (receivers' blocks travel on their own; what the program computes is
  // the same everywhere).
  virtual std::optional<std::string> describe_batch(Time) { return std::nullopt; }
  virtual void install_batch(Time t, const std::string& description, const std::string& origin);
  // A stream that keeps partitions per slot (state): its newest checkpoint
  // at or before `through`, as a batch time and a description for
  // install_batch, which on a worker that has the RDD at that time marks it
  // checkpointed. Sent when a worker must compute again a partition that a
  // lost worker kept. nullopt: none.
  virtual std::optional<std::pair<Time, std::string>> describe_checkpoint(Time /*through*/) { return std::nullopt; }

 protected:
  // How much longer than this stream's own remember duration its parents must
  // keep their RDDs (a window needs its whole length).
  virtual Duration parent_remember_extra() const { return Duration(0); }
  // Drops generated RDDs with time <= cutoff.
  virtual void forget_through(Time cutoff) = 0;
  // Drops the cached partitions of generated RDDs with time <= cutoff,
  // keeping the RDDs.
  virtual void uncache_through(Time cutoff) = 0;
  // The checkpoint interval a stateful stream gets when none is set.
  virtual Duration default_checkpoint_interval() const;
  static int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
  bool persist_ = false;
  bool must_checkpoint_ = false;  // set by stateful streams: they need ssc.checkpoint(dir)

 private:
  StreamingContext& ssc_;
  std::vector<std::shared_ptr<DStreamBase>> parents_;
  Duration slide_;
  std::string name_;
  int id_;
  mutable std::mutex meta_mutex_;
  bool initialized_ = false;
  Time zero_time_;
  Duration remember_;
  Duration checkpoint_interval_;
  bool recomputes_lost_partitions_ = false;  // set by prepare_recovery(), before start() returns
};

// A stream whose RDDs are made at batch times from outside data.
class InputDStreamBase {
 public:
  virtual ~InputDStreamBase() = default;
  virtual DStreamBase& stream() = 0;
};

// An output operation: produces one Job per batch time at which its stream
// has an RDD.
class OutputDStreamBase {
 public:
  virtual ~OutputDStreamBase() = default;
  virtual DStreamBase& stream() = 0;
  virtual std::vector<Job> generate_job(Time t) = 0;
};

}  // namespace rill
