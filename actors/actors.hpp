// Spawn functions of Rill's actors. Each actor lives in its own file; this
// header is what the engine needs to wire them together.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "actors/block_source.hpp"
#include "actors/protocol.hpp"
#include "operators/dstream/dstream_graph.hpp"
#include "operators/rdd/rdd_node.hpp"
#include "receivers/block_codec.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/write_ahead_log.hpp"

namespace rill {

class ReceiverBase;

// Runs tasks one at a time on its own thread (detached): one per core.
caf::actor spawn_partition_worker(caf::actor_system& sys, int index);

// Runs one output operation's job at a time on its own thread (detached):
// jobs run user code that blocks on RDD actions.
caf::actor spawn_job_runner(caf::actor_system& sys);

using JobErrorHandler = std::function<void(const std::string& batch, const std::string& error)>;

struct JobSchedulerSetup {
  std::vector<caf::actor> workers;
  std::vector<caf::actor> job_runners;  // rill.streaming.concurrentJobs of them
  listener_bus_actor listener_bus;
  JobErrorHandler on_job_error;
};
// Runs stages on the partition workers and batches' jobs on the job runners,
// in order; emits batch and output-operation events; tells `batch_done`
// subscribers (set with (batch_done_atom, actor)) when a batch has completed.
job_scheduler_actor spawn_job_scheduler(caf::actor_system& sys, JobSchedulerSetup setup);

struct CheckpointWriterSetup {
  std::string directory;  // the context's checkpoint directory
  JobErrorHandler on_error;
};
// Writes metadata checkpoints on its own thread (actors/checkpoint_writer.cpp).
checkpoint_writer_actor spawn_checkpoint_writer(caf::actor_system& sys, CheckpointWriterSetup setup);

struct JobGeneratorSetup {
  DStreamGraph* graph = nullptr;
  Clock* clock = nullptr;
  Duration batch;
  job_scheduler_actor scheduler;
  receiver_tracker_actor tracker;
  // Finds the records of the blocks each allocation names.
  std::shared_ptr<const BlockSource> blocks;
  JobErrorHandler on_error;
  // When checkpointing: after each batch completes, `checkpoint_base` with the
  // completed time, the pending batches and every stream's data goes to
  // `checkpoint_writer`.
  checkpoint_writer_actor checkpoint_writer;
  MetadataCheckpoint checkpoint_base;
};
job_generator_actor spawn_job_generator(caf::actor_system& sys, JobGeneratorSetup setup);

struct WalWriterSetup {
  std::string directory;  // the stream's log: operators/dstream/receiver_log.hpp
  WriteAheadLog::Options options;
  std::function<EncodedBlock(const ReceivedBlock&)> encode;
};
// Writes one receiver stream's blocks to its write-ahead log (actors/wal_writer.cpp).
wal_writer_actor spawn_wal_writer(caf::actor_system& sys, WalWriterSetup setup);

struct ReceiverTrackerSetup {
  DStreamGraph* graph = nullptr;
  const Config* config = nullptr;
  // With rill.streaming.receiver.writeAheadLog.enable: the checkpoint
  // directory the logs go under (empty: no log).
  std::string write_ahead_log_root;
  // This node's received blocks: its receivers write there, and blocks read
  // back from the write-ahead log after a restart are put there.
  std::shared_ptr<ReceivedBlockIndex> received;
  listener_bus_actor listener_bus;
  caf::actor gateway;  // for the blocking requests of receivers' threads
  // A cluster driver's workers: receivers are placed on them round-robin
  // (except with the write-ahead log, whose files are the driver's). Empty:
  // every receiver runs here.
  std::vector<worker_home> workers;
  // The registry of workers (with `workers`): a receiver whose worker is
  // lost starts again, after rill.streaming.receiverRestartDelay, on a worker
  // registered then.
  caf::actor cluster_master;
};
receiver_tracker_actor spawn_receiver_tracker(caf::actor_system& sys, ReceiverTrackerSetup setup);

class ReceiverStreamBase;
class SupervisorBridge;

// One receiver at work on this node (actors/receiver_launcher.cpp).
struct ReceiverLaunch {
  ReceiverStreamBase* stream = nullptr;
  const Config* config = nullptr;
  Duration batch;
  caf::actor gateway;
  std::shared_ptr<ReceivedBlockIndex> received;  // this node's received blocks
  caf::actor tracker;   // gets (block, block_meta) for every block stored
  caf::actor holder;    // serves this node's blocks to others (null: the tracker's node)
  caf::actor reporter;  // gets (receiver, receiver_report) for every listener event
  std::string location;  // ReceiverInfo::location
  int64_t initial_rate = 0;
  int64_t block_id_base = 0;
  std::string write_ahead_log_root;  // empty: no write-ahead log
};
struct LaunchedReceiver {
  caf::actor supervisor;
  caf::actor block_generator;
  std::shared_ptr<SupervisorBridge> bridge;
  bool replicated = false;  // its storage level keeps two copies (*_2)
};
// Spawns the receiver's log writer (with a write-ahead log), block generator
// and supervisor, all linked to `owner`; the receiver starts at once.
LaunchedReceiver launch_receiver(caf::scheduled_actor* owner, const ReceiverLaunch& launch);
// The rate a receiver starts at (records/s, 0: none):
// rill.streaming.receiver.maxRate, or with backpressure
// rill.streaming.backpressure.initialRate capped by maxRate.
int64_t initial_receiver_rate(const Config& conf);

struct ReceiverSupervisorSetup {
  int stream_id = 0;
  std::string name;
  std::string location;
  std::shared_ptr<ReceiverBase> receiver;
  std::shared_ptr<SupervisorBridge> bridge;
  caf::actor block_generator;
  caf::actor reporter;  // gets (receiver, receiver_report) for every listener event
  Duration restart_delay;
};
caf::actor spawn_receiver_supervisor(caf::actor_system& sys, ReceiverSupervisorSetup setup);

// A worker's host of the receivers the driver places there
// (actors/receiver_host.cpp). (receiver, receiver_start_msg) launches one;
// its blocks stay in this node's block manager and their meta goes to the
// driver's tracker as (block, block_meta), its listener events as
// (receiver, receiver_report). (credit, stream, blocks, bytes) and (rate,
// stream, records/s) go to the stream's receiver; (stop, stream) stops it
// and replies once its last block is reported.
struct TaskServerStats;
struct ReceiverHostSetup {
  DStreamGraph* graph = nullptr;
  const Config* config = nullptr;
  caf::actor gateway;
  std::shared_ptr<ReceivedBlockIndex> received;  // this node's received blocks
  caf::actor task_server;  // serves this node's blocks: named as their holder
  std::string node_id;
  std::shared_ptr<TaskServerStats> stats;  // counts the block copies sent to other workers
};
caf::actor spawn_receiver_host(caf::actor_system& sys, ReceiverHostSetup setup);

struct BlockGeneratorSetup {
  int stream_id = 0;
  int64_t block_id_base = 0;  // ids are this plus a process-wide count (unique across nodes)
  std::shared_ptr<ReceiverBase> receiver;
  std::shared_ptr<SupervisorBridge> bridge;
  std::shared_ptr<ReceivedBlockIndex> received;  // where its blocks are written
  caf::actor tracker;     // replies bool to (block, block_meta) once it has the block
  caf::actor holder;      // named in each block's info (null: the tracker's own node)
  std::string node;       // the holder's node id, for messages
  wal_writer_actor wal_writer;  // null: no write-ahead log
  Duration block_interval;
  int credits = 32;                             // blocks whose batch has not completed
  int64_t block_max_bytes = int64_t{4} << 20;   // a block is cut early at this size
  int64_t max_bytes_in_flight = int64_t{64} << 20;
};
caf::actor spawn_block_generator(caf::actor_system& sys, BlockGeneratorSetup setup);

// Owns the node's received blocks (`received`: block generators write them
// there, tasks and the task server read them there); forgets those the
// driver says no batch needs.
block_manager_actor spawn_block_manager(caf::actor_system& sys, std::shared_ptr<ReceivedBlockIndex> received);
listener_bus_actor spawn_listener_bus(caf::actor_system& sys);

// Watches engine actors (send it (watch_atom, actor, name)); calls
// on_failure with a message naming the actor and the cause when one dies for
// any reason but a shutdown.
engine_monitor_actor spawn_engine_monitor(caf::actor_system& sys, std::function<void(const std::string&)> on_failure);

// The driver's registry of worker processes (actors/cluster_master.cpp).
// Answers (hello) with a fresh nonce and (register, registration_msg) with a
// registration_reply: a worker whose graph fingerprint or secret proof
// differs is refused, with an error naming both fingerprints (or the failed
// authentication), logged on the driver too. (workers) lists the registered
// workers as std::vector<node_info> and (homes) their actors as
// std::vector<worker_home>; (workers, int32 n, int64 ms) replies
// with the count once at least n are registered, or after ms with the count
// then; (stop) tells every worker to stop and replies, once they are gone
// (or after stop_timeout), with how many went.
struct ClusterMasterSetup {
  uint64_t fingerprint = 0;
  std::string secret;  // rill.authenticate.secret ("" when unset)
  std::string driver_id;
  std::chrono::milliseconds stop_timeout{10000};  // how long (stop) waits for the workers to go
  int64_t zero_time_ms = 0;      // told to each worker: its graph starts there
  int32_t default_parallelism = 1;
};
caf::actor spawn_cluster_master(caf::actor_system& sys, ClusterMasterSetup setup);

// A worker's link to its driver (actors/worker_agent.cpp): connects (trying
// again every 100 ms until `connect_within` has passed), registers, then
// monitors the driver. Each callback runs on the agent: it must not block.
struct WorkerAgentSetup {
  caf::actor task_server;  // named in the registration
  caf::actor receiver_host;
  std::string driver_host;
  uint16_t driver_port = 0;
  std::string secret;
  std::chrono::milliseconds connect_within{30000};
  // Called once: "" and the driver's reply when accepted; else the error,
  // with the driver's reply when the driver refused the worker (reply.error
  // says why) or an empty reply when it could not be reached.
  std::function<void(const std::string& error, const registration_reply& reply)> on_registered;
  std::function<void()> on_stop;                                // the driver said stop
  std::function<void(const std::string& why)> on_driver_lost;   // after registration only
};
caf::actor spawn_worker_agent(caf::actor_system& sys, WorkerAgentSetup setup, node_info self_info);

class MapOutputStore;

// A worker's server of named tasks (actors/task_server.cpp): (inputs,
// batch_inputs_msg) installs a batch's blocks in the graph (read from their
// holders when a task needs them); (fetch, block id, first, end) replies
// chunks of a block this node holds as a record frame; (drop,
// block_ids_msg) forgets blocks this node holds; (ntask,
// named_task_msg) rebuilds the task's target from the graph, runs it on this
// node's partition workers and replies a named_task_result; (fetch, shuffle,
// m, r) replies a map output bucket as a record frame; (clear, t) forgets
// batches as the driver's graph did. Tasks wait until `graph_started` holds.
struct TaskServerStats {
  std::atomic<int64_t> tasks{0};         // run to completion
  std::atomic<int64_t> bytes_served{0};  // map output and block frames sent to other nodes
};
struct TaskServerSetup {
  std::shared_ptr<TaskServerStats> stats;
  std::shared_ptr<ReceivedBlockIndex> received;  // blocks this node's receivers stored
  DStreamGraph* graph = nullptr;
  job_scheduler_actor scheduler;
  caf::actor gateway;
  std::shared_ptr<MapOutputStore> map_outputs;
  std::shared_ptr<std::atomic<bool>> graph_started;
};
caf::actor spawn_task_server(caf::actor_system& sys, TaskServerSetup setup);

// The driver's sender of named tasks (actors/task_dispatcher.cpp): for
// (dispatch, dispatch_msg, all workers) it sends the batch inputs to every
// worker, then each task to its destination, and replies a dispatch_result
// in task order (a task's error names its worker). Sending both from one
// actor keeps them in order at each worker. (clear, t) tells every live
// worker it has sent anything to that batches through t are done.
// Straggler mitigation (rill.speculation and its keys; see task_dispatcher.cpp).
struct SpeculationSettings {
  bool enabled = false;
  std::chrono::milliseconds interval{100};          // how often stragglers are looked for
  double multiplier = 1.5;                          // a straggler runs this many times the median
  double quantile = 0.75;                           // of the tasks that must have finished first
  std::chrono::milliseconds min_task_runtime{100};  // no copy of a task younger than this
};
task_dispatcher_actor spawn_task_dispatcher(caf::actor_system& sys, std::chrono::milliseconds task_timeout,
                                            SpeculationSettings speculation);

// Buckets of `shuffle` fetched from the task servers in `holders` (one per map
// partition): read from `local` when the holder is `self`, else requested
// and decoded (a frame that fails its check is an error naming the holder).
ShuffleDependencyBase::RemoteBuckets remote_buckets(caf::actor_system& sys, caf::actor gateway, caf::actor self,
                                                    std::shared_ptr<MapOutputStore> local,
                                                    const ShuffleDependencyBase* shuffle,
                                                    std::vector<caf::actor> holders);

// Makes an exception escaping one of `self`'s handlers end it with an error
// that carries `name` and the exception's message (CAF's default keeps only
// "runtime_error"), and logs it.
void name_failures(caf::scheduled_actor* self, std::string name);

// Wall-clock milliseconds, for batch and job timings.
int64_t wall_clock_ms();

}  // namespace rill
