// The actor protocol of Rill, in one place: every atom and message type the
// actors exchange. The types in this header travel only inside one process
// (most carry shared pointers to immutable data or to type-erased work, so
// CAF is told they are not serializable); those that cross processes are in
// actors/wire.hpp, each with an inspect() and registered by
// register_cluster_types.
#pragma once
#include <caf/all.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "actors/wire.hpp"
#include "runtime/base/job.hpp"
#include "runtime/base/listener.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/received_block.hpp"
#include "runtime/base/task.hpp"

namespace rill {

// The deadline of a request between two actors of one engine, in one
// process: none, on purpose. What the reply waits for — a task, a job, an
// fsync — takes as long as user code or the disk does, so no fixed deadline
// would be right; and the callee cannot vanish unnoticed: the engine monitor
// watches every engine actor (a receiver's block generator and log writer
// are linked to their owner), and one that dies fails the context, which
// ends the caller too. Requests to another process always have a deadline
// (CAF 0.17 never fails one when the peer dies).
constexpr caf::infinite_t kNoDeadlineInEngine = caf::infinite;

// -- atoms (at most 10 characters) ---------------------------------------------
using run_task_atom = caf::atom_constant<caf::atom("run_task")>;      // scheduler -> worker
using run_stage_atom = caf::atom_constant<caf::atom("run_stage")>;    // executor -> scheduler (a cluster driver's stages)
using submit_job_atom = caf::atom_constant<caf::atom("submit_job")>;  // executor -> scheduler: one action
using job_set_atom = caf::atom_constant<caf::atom("job_set")>;        // generator -> scheduler
using run_job_atom = caf::atom_constant<caf::atom("run_job")>;        // scheduler -> job runner
using batch_tick_atom = caf::atom_constant<caf::atom("batch_tick")>;  // timer -> generator
using clock_atom = caf::atom_constant<caf::atom("clock")>;            // manual clock moved
using allocate_atom = caf::atom_constant<caf::atom("allocate")>;      // generator -> tracker
using batch_done_atom = caf::atom_constant<caf::atom("batch_done")>;  // scheduler -> generator, tracker
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;            // receiver -> block generator
using block_atom = caf::atom_constant<caf::atom("block")>;            // block generator -> log writer; a block stored -> tracker
using block_credit_atom = caf::atom_constant<caf::atom("blkcredit")>;  // tracker -> block generator: blocks, bytes done
using host_credit_atom = caf::atom_constant<caf::atom("hstcredit")>;   // tracker -> a worker's receivers: the same, by stream
using cut_atom = caf::atom_constant<caf::atom("cut")>;                // block interval tick
using drop_atom = caf::atom_constant<caf::atom("drop")>;              // forget blocks
using start_atom = caf::atom_constant<caf::atom("start")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using error_atom = caf::atom_constant<caf::atom("error")>;
using event_atom = caf::atom_constant<caf::atom("event")>;            // to the listener bus
using listen_atom = caf::atom_constant<caf::atom("listen")>;          // add a listener
using idle_atom = caf::atom_constant<caf::atom("idle")>;              // asks: all work done?
using pending_atom = caf::atom_constant<caf::atom("pending")>;        // asks: unallocated blocks?
using flush_atom = caf::atom_constant<caf::atom("flush")>;            // cut the last block now
using watch_atom = caf::atom_constant<caf::atom("watch")>;            // engine monitor: watch an actor
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;  // to the checkpoint writer
using hello_atom = caf::atom_constant<caf::atom("hello")>;            // worker -> driver: a nonce, please
using register_atom = caf::atom_constant<caf::atom("register")>;      // worker -> driver
using workers_atom = caf::atom_constant<caf::atom("workers")>;        // engine -> cluster master
using named_task_atom = caf::atom_constant<caf::atom("ntask")>;       // driver -> worker: run a task by name
using fetch_block_atom = caf::atom_constant<caf::atom("fetchblk")>;   // records of a received block, please
using fetch_bucket_atom = caf::atom_constant<caf::atom("fetchbkt")>;  // a map output bucket, please
using inputs_atom = caf::atom_constant<caf::atom("inputs")>;          // driver -> worker: a batch's blocks
using clear_atom = caf::atom_constant<caf::atom("clear")>;            // batches done: driver -> dispatcher -> workers
using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;      // executor -> task dispatcher
using rate_atom = caf::atom_constant<caf::atom("rate")>;              // tracker -> a worker's receiver
using receiver_atom = caf::atom_constant<caf::atom("receiver")>;      // receiver events; start one on a worker
using homes_atom = caf::atom_constant<caf::atom("homes")>;            // engine -> cluster master
using alive_atom = caf::atom_constant<caf::atom("alive")>;            // driver -> worker: still there?
using peers_atom = caf::atom_constant<caf::atom("peers")>;            // driver -> worker: the other workers
using replicate_atom = caf::atom_constant<caf::atom("replicate")>;    // worker -> worker: keep a block's copy
using retry_atom = caf::atom_constant<caf::atom("retry")>;            // an actor's own timer: try again
using speculate_atom = caf::atom_constant<caf::atom("speculate")>;    // the task dispatcher's timer: look for stragglers

// -- messages (local) ------------------------------------------------------------------

// One task for a partition worker, and what it produced. A task sent to two
// workers (one queued it behind a longer task, the other was idle) shares one
// claim: the first worker to set it runs the task, the other answers
// `not_run` at once.
struct task_msg {
  TaskPtr task;
  std::shared_ptr<std::atomic<bool>> claim;  // none: the task is sent to one worker only
};
struct task_result {
  TaskOutput output;
  std::string error;     // non-empty: the task threw
  bool not_run = false;  // another worker claimed the task first
};

// All tasks of one stage, and their outputs in task order.
struct stage_msg {
  std::vector<TaskPtr> tasks;
};
// One job (an action): the scheduler runs the map stage of every shuffle
// `final` reads that has not run, then `tasks`, and answers a stage_result
// with the outputs of `tasks`. The submitter waits for that answer and keeps
// `final` (and so its lineage) alive until then.
struct job_submission {
  const RDDBase* final = nullptr;
  std::vector<TaskPtr> tasks;
};
struct stage_result {
  std::vector<TaskOutput> outputs;
  std::string error;
};

// The jobs of one batch, in output-operation order.
struct job_set_msg {
  Time time;
  std::vector<Job> jobs;
  std::map<int, int64_t> records_per_stream;
  std::map<int, InputFlowInfo> flow_per_stream;
  int64_t submission_time_ms = 0;
};
struct job_msg {
  std::shared_ptr<const Job> job;
};
struct job_result {
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  std::string error;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_result& x) {
  return f(caf::meta::type_name("rill::job_result"), x.start_ms, x.end_ms, x.error);
}

// Records a receiver hands to its block generator.
struct chunk_msg {
  Chunk chunk;
  int64_t records = 0;
  bool own_block = false;  // a reliable store: becomes a block by itself
  // Decremented once the chunk is appended (Receiver's per-thread ordering).
  std::shared_ptr<std::atomic<int>> in_transit;
};

// A block on its way through its receiver's write-ahead log writer.
struct block_msg {
  ReceivedBlockPtr block;
};
// The blocks the tracker allocated to one batch, as infos (the records stay
// where they are stored; actors/block_source.hpp finds them).
struct allocation_msg {
  std::map<int32_t, std::vector<block_meta>> blocks;  // by stream id
  std::map<int32_t, InputFlowInfo> flow;              // per receiver stream, after this allocation
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, InputFlowInfo& x) {
  return f(caf::meta::type_name("rill::InputFlowInfo"), x.rate_limit, x.queued_blocks, x.queued_bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, allocation_msg& x) {
  return f(caf::meta::type_name("rill::allocation_msg"), x.blocks, x.flow);
}
// A batch has completed (scheduler -> job generator, receiver tracker).
struct batch_done_msg {
  BatchInfo info;
};

// What the request gateway runs inside a fresh helper actor
// (actors/blocking_request.hpp).
struct gateway_job {
  std::function<void(caf::event_based_actor*)> run;
};

// A listener callback, run on the listener bus.
struct listener_event {
  std::function<void(StreamingListener&)> deliver;
};
struct listener_msg {
  std::shared_ptr<StreamingListener> listener;
};

// -- typed actor interfaces --------------------------------------------------------
// An actor with a typed interface is spawned and held through its alias, so
// a message it does not understand, or a reply of the wrong type, does not
// compile. (The actors not listed here are still untyped caf::actor handles.)

// The listener bus (actors/listener_bus.cpp): adds a listener; delivers an
// event to every listener, in order; get answers once every event sent
// before it has been delivered.
using listener_bus_actor = caf::typed_actor<caf::reacts_to<listen_atom, listener_msg>,
                                            caf::reacts_to<event_atom, listener_event>,
                                            caf::replies_to<caf::get_atom>::with<bool>>;

// Where the job scheduler reports each completed batch: the job generator
// and the receiver tracker (each takes more, so converts to this).
using batch_done_listener_actor = caf::typed_actor<caf::reacts_to<batch_done_atom, batch_done_msg>>;

// The job scheduler (actors/job_scheduler.cpp): submit_job runs a job (its
// missing map stages, then its tasks) on the partition workers, answering
// the tasks' outputs in task order; run_stage runs one stage whose shuffles
// are ready;
// job_set queues a batch's jobs for the job runners; (batch_done, listener)
// subscribes to completed batches; idle answers once no job is queued or
// running; stop drops the jobs not yet started.
using job_scheduler_actor =
    caf::typed_actor<caf::replies_to<submit_job_atom, job_submission>::with<stage_result>,
                     caf::replies_to<run_stage_atom, stage_msg>::with<stage_result>,
                     caf::reacts_to<job_set_atom, job_set_msg>,
                     caf::reacts_to<batch_done_atom, batch_done_listener_actor>,
                     caf::replies_to<idle_atom>::with<bool>, caf::reacts_to<stop_atom>>;

// The receiver tracker (actors/receiver_tracker.cpp): start starts every
// receiver; restart (its own timer) starts a lost one again; a block's info
// (from a block generator here or a worker's receiver host) is answered
// true once it waits for a batch, or with an error naming why it is refused;
// a receiver's listener event goes to the bus; allocate gives batch t the
// blocks waiting; batch_done returns their credits and updates rates;
// pending counts the blocks waiting; stop stops every receiver, answering
// once their last blocks are reported.
using receiver_tracker_actor =
    caf::typed_actor<caf::reacts_to<start_atom>, caf::reacts_to<restart_atom, int32_t>,
                     caf::replies_to<block_atom, block_meta>::with<bool>,
                     caf::reacts_to<receiver_atom, receiver_report>,
                     caf::replies_to<allocate_atom, int64_t>::with<allocation_msg>,
                     caf::reacts_to<batch_done_atom, batch_done_msg>,
                     caf::replies_to<pending_atom>::with<unallocated_blocks>, caf::replies_to<stop_atom>::with<bool>>;

// The job generator (actors/job_generator.cpp): start at a batch time;
// batch_tick (its own timer) and clock (a manual clock moved) make batches
// due; batch_done clears what the completed batch no longer needs and
// checkpoints; checkpoint writes one now (true once on disk); stop ends
// generation, answering the first batch time not generated; idle answers
// whether every due batch was generated.
using job_generator_actor =
    caf::typed_actor<caf::reacts_to<start_atom, int64_t>, caf::reacts_to<batch_tick_atom, int64_t>,
                     caf::reacts_to<clock_atom, int64_t>, caf::reacts_to<batch_done_atom, batch_done_msg>,
                     caf::replies_to<checkpoint_atom>::with<bool>, caf::replies_to<stop_atom>::with<int64_t>,
                     caf::replies_to<idle_atom>::with<bool>>;

// A cluster driver's task dispatcher (actors/task_dispatcher.cpp): dispatch
// sends a stage's batch inputs to every worker listed, then each task to its
// destination, answering the results in task order; speculate is its own
// straggler timer; clear tells every worker it has sent anything to that
// batches through t are done.
using task_dispatcher_actor =
    caf::typed_actor<caf::replies_to<dispatch_atom, dispatch_msg, std::vector<caf::actor>>::with<dispatch_result>,
                     caf::reacts_to<speculate_atom, int64_t>, caf::reacts_to<clear_atom, int64_t>>;

// The engine monitor (actors/engine_monitor.cpp): watches an engine actor,
// named for the error when it dies.
using engine_monitor_actor = caf::typed_actor<caf::reacts_to<watch_atom, caf::actor, std::string>>;

// A node's block manager (actors/block_manager.cpp): forgets received blocks
// no batch needs.
using block_manager_actor = caf::typed_actor<caf::reacts_to<drop_atom, block_ids_msg>>;

// A receiver stream's write-ahead log writer (actors/wal_writer.cpp): the
// block back with its log position, once logged.
using wal_writer_actor = caf::typed_actor<caf::replies_to<block_atom, block_msg>::with<block_msg>>;

// The metadata checkpoint writer (actors/checkpoint_writer.cpp): a
// checkpoint to write when it gets to it (a newer one supersedes it); flush
// writes the newest queued one (its own message); a checkpoint with `true`
// is written at once, replying whether it is on disk.
using checkpoint_writer_actor =
    caf::typed_actor<caf::reacts_to<checkpoint_atom, MetadataCheckpoint>, caf::reacts_to<flush_atom>,
                     caf::replies_to<checkpoint_atom, MetadataCheckpoint, bool>::with<bool>>;

}  // namespace rill

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::task_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::task_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::stage_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::job_submission)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::stage_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::job_set_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::job_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::chunk_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::block_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::batch_done_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::gateway_job)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::listener_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::listener_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::MetadataCheckpoint)
