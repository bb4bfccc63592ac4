// The actor protocol of Rill, in one place: every atom and message type the
// actors exchange. Types marked local travel only inside one process (they
// carry shared pointers to immutable data or to type-erased work); the
// multi-node protocol will give them serializable counterparts.
#pragma once
#include <caf/all.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/base/job.hpp"
#include "runtime/base/listener.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/received_block.hpp"
#include "runtime/base/task.hpp"

namespace rill {

// -- atoms (at most 10 characters) ---------------------------------------------
using run_task_atom = caf::atom_constant<caf::atom("run_task")>;      // scheduler -> worker
using run_stage_atom = caf::atom_constant<caf::atom("run_stage")>;    // executor -> scheduler
using job_set_atom = caf::atom_constant<caf::atom("job_set")>;        // generator -> scheduler
using run_job_atom = caf::atom_constant<caf::atom("run_job")>;        // scheduler -> job runner
using batch_tick_atom = caf::atom_constant<caf::atom("batch_tick")>;  // timer -> generator
using clock_atom = caf::atom_constant<caf::atom("clock")>;            // manual clock moved
using allocate_atom = caf::atom_constant<caf::atom("allocate")>;      // generator -> tracker
using batch_done_atom = caf::atom_constant<caf::atom("batch_done")>;  // scheduler -> generator, tracker
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;            // receiver -> block generator
using block_atom = caf::atom_constant<caf::atom("block")>;            // block generator -> manager, tracker
using credit_atom = caf::atom_constant<caf::atom("credit")>;          // grants on a data hop
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
using fetch_atom = caf::atom_constant<caf::atom("fetch")>;            // a map output bucket, please
using inputs_atom = caf::atom_constant<caf::atom("inputs")>;          // driver -> worker: a batch's blocks
using clear_atom = caf::atom_constant<caf::atom("clear")>;            // driver -> worker: batches done
using dispatch_atom = caf::atom_constant<caf::atom("dispatch")>;      // executor -> task dispatcher
using rate_atom = caf::atom_constant<caf::atom("rate")>;              // tracker -> a worker's receiver
using receiver_atom = caf::atom_constant<caf::atom("receiver")>;      // receiver events; start one on a worker
using homes_atom = caf::atom_constant<caf::atom("homes")>;            // engine -> cluster master
using alive_atom = caf::atom_constant<caf::atom("alive")>;            // driver -> worker: still there?
using peers_atom = caf::atom_constant<caf::atom("peers")>;            // driver -> worker: the other workers
using replicate_atom = caf::atom_constant<caf::atom("replicate")>;    // worker -> worker: keep a block's copy

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

// Records a receiver hands to its block generator.
struct chunk_msg {
  Chunk chunk;
  int64_t records = 0;
  bool own_block = false;  // a reliable store: becomes a block by itself
  // Decremented once the chunk is appended (Receiver's per-thread ordering).
  std::shared_ptr<std::atomic<int>> in_transit;
};

struct block_msg {
  ReceivedBlockPtr block;
};
struct allocation_msg {
  BlockAllocation blocks;
  std::map<int, InputFlowInfo> flow;  // per receiver stream, after this allocation
};
// A batch has completed (scheduler -> job generator, receiver tracker).
struct batch_done_msg {
  BatchInfo info;
};

// A listener callback, run on the listener bus.
struct listener_event {
  std::function<void(StreamingListener&)> deliver;
};
struct listener_msg {
  std::shared_ptr<StreamingListener> listener;
};


// -- messages (cross processes: inspectable, registered by register_cluster_types) --

// A worker process as it introduces itself to the driver.
struct node_info {
  std::string node_id;  // "host/pid": unique among the processes of one run
  std::string host;
  int32_t pid = 0;
  int32_t cores = 0;
  uint64_t fingerprint = 0;  // its DStream graph's (DStreamGraph::fingerprint)
  // Where other workers connect to it directly (its task server is
  // published there), so that their traffic and a loss's notice need not
  // pass through the driver.
  std::string peer_host;
  int32_t peer_port = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_info& x) {
  return f(caf::meta::type_name("rill::node_info"), x.node_id, x.host, x.pid, x.cores, x.fingerprint, x.peer_host,
           x.peer_port);
}

// worker -> driver, after (hello) gave it `nonce`: proof is
// registration_proof(secret, nonce, node id, fingerprint); `agent` is the
// worker's actor the driver monitors and tells to stop.
struct registration_msg {
  node_info node;
  std::string nonce;
  std::string proof;
  caf::actor agent;
  caf::actor task_server;    // runs the driver's named tasks, serves its map outputs and blocks
  caf::actor receiver_host;  // runs the receivers the driver places there
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registration_msg& x) {
  return f(caf::meta::type_name("rill::registration_msg"), x.node, x.nonce, x.proof, x.agent, x.task_server,
           x.receiver_host);
}

// driver -> worker: empty `error` means registered; then the worker's graph
// starts at the driver's zero time, with the driver's default parallelism.
struct registration_reply {
  std::string error;
  std::string driver_id;
  int64_t zero_time_ms = 0;
  int32_t default_parallelism = 1;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registration_reply& x) {
  return f(caf::meta::type_name("rill::registration_reply"), x.error, x.driver_id, x.zero_time_ms,
           x.default_parallelism);
}

// An RddName on the wire.
struct wire_rdd_name {
  int32_t origin = 0;
  int32_t owner = 0;
  int64_t time_ms = 0;
  int32_t ordinal = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_rdd_name& x) {
  return f(caf::meta::type_name("rill::wire_rdd_name"), x.origin, x.owner, x.time_ms, x.ordinal);
}
inline wire_rdd_name to_wire(const RddName& n) {
  return {static_cast<int32_t>(n.origin), n.owner, n.time_ms, n.ordinal};
}
inline RddName from_wire(const wire_rdd_name& w) {
  return {static_cast<RddName::Origin>(w.origin), w.owner, w.time_ms, w.ordinal};
}

// Where each map partition's output of a shuffle lives (a task server each).
struct map_output_locations {
  wire_rdd_name shuffle;
  std::vector<caf::actor> holders;  // [map partition]
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, map_output_locations& x) {
  return f(caf::meta::type_name("rill::map_output_locations"), x.shuffle, x.holders);
}

// driver -> worker: run a task by name (runtime/base/task.hpp TaskName), with the
// locations of the map outputs it reads.
struct named_task_msg {
  int32_t kind = 0;  // TaskName::Kind
  wire_rdd_name target;
  int32_t output = -1;  // TaskName::output
  int32_t partition = 0;
  std::vector<map_output_locations> shuffles;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, named_task_msg& x) {
  return f(caf::meta::type_name("rill::named_task_msg"), x.kind, x.target, x.output, x.partition, x.shuffles);
}

// worker -> driver: a result task's partition as a record frame (empty for a
// map task), or the error that ended the task. worker_lost: the task failed
// because the worker it was sent to is gone (set by the driver's dispatcher).
struct named_task_result {
  std::string frame;
  std::string error;
  bool worker_lost = false;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, named_task_result& x) {
  return f(caf::meta::type_name("rill::named_task_result"), x.frame, x.error, x.worker_lost);
}

// Received blocks to forget (driver -> block holders; in a node, to its block manager).
struct block_ids_msg {
  std::vector<int64_t> ids;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, block_ids_msg& x) {
  return f(caf::meta::type_name("rill::block_ids_msg"), x.ids);
}

// A received block as another node sees it: its shape, and who holds its
// records (actors/remote_blocks.hpp).
struct block_meta {
  int32_t stream_id = 0;
  int64_t id = 0;
  int64_t records = 0;
  std::vector<int64_t> chunk_bytes;  // [chunk]
  std::string chunk_encodings;       // [chunk]: ChunkEncoding as a byte
  caf::actor holder;                 // its task server serves the chunks ((fetch, id, first, end))
  std::string node;                  // the holder's node id, for messages
  caf::actor replica;                // another node's task server holding a copy (null: none)
  std::string replica_node;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, block_meta& x) {
  return f(caf::meta::type_name("rill::block_meta"), x.stream_id, x.id, x.records, x.chunk_bytes,
           x.chunk_encodings, x.holder, x.node, x.replica, x.replica_node);
}

// A receiver's listener event on its way to the driver (ReceiverInfo).
struct receiver_report {
  enum Kind : int32_t { started = 0, error = 1, stopped = 2 };
  int32_t kind = started;
  int32_t stream_id = 0;
  std::string name;
  bool active = false;
  std::string last_error;
  int64_t rate_limit = 0;
  std::string location;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, receiver_report& x) {
  return f(caf::meta::type_name("rill::receiver_report"), x.kind, x.stream_id, x.name, x.active, x.last_error,
           x.rate_limit, x.location);
}

// A registered worker's actors, as the driver's engine uses them.
struct worker_home {
  std::string node_id;
  caf::actor task_server;
  caf::actor receiver_host;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_home& x) {
  return f(caf::meta::type_name("rill::worker_home"), x.node_id, x.task_server, x.receiver_host);
}

// driver's tracker -> a worker's receiver host: run the receiver of a
// stream there, numbering its blocks from block_id_base, reporting to `tracker`.
struct receiver_start_msg {
  int32_t stream_id = 0;
  int64_t block_id_base = 0;
  int64_t initial_rate = 0;
  caf::actor tracker;
  // Where copies of its blocks go (a receiver with a _2 storage level): the
  // first of these that takes them.
  std::vector<worker_home> replica_homes;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, receiver_start_msg& x) {
  return f(caf::meta::type_name("rill::receiver_start_msg"), x.stream_id, x.block_id_base, x.initial_rate,
           x.tracker, x.replica_homes);
}

// driver -> worker: the blocks the driver allocated to a batch, per stream.
// A block the driver holds travels as its payload (as the write-ahead log
// encodes it, framed); a block a worker holds, as its meta only.
struct shipped_block {
  int64_t id = 0;
  std::string payload;  // empty when meta.holder holds it
  block_meta meta;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shipped_block& x) {
  return f(caf::meta::type_name("rill::shipped_block"), x.id, x.payload, x.meta);
}
struct shipped_stream_blocks {
  int32_t stream = 0;
  std::vector<shipped_block> blocks;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shipped_stream_blocks& x) {
  return f(caf::meta::type_name("rill::shipped_stream_blocks"), x.stream, x.blocks);
}
// A stream's RDD at a batch time that only the driver can make, as the
// stream describes it (DStreamBase::describe_batch).
struct described_stream_batch {
  int32_t stream = 0;
  std::string description;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, described_stream_batch& x) {
  return f(caf::meta::type_name("rill::described_stream_batch"), x.stream, x.description);
}
struct batch_inputs_msg {
  int64_t time_ms = 0;
  std::vector<shipped_stream_blocks> streams;
  std::vector<described_stream_batch> described;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, batch_inputs_msg& x) {
  return f(caf::meta::type_name("rill::batch_inputs_msg"), x.time_ms, x.streams, x.described);
}

// executor -> task dispatcher (local): batch inputs to send first, then each
// task to its worker; the reply holds the results in task order.
struct dispatch_msg {
  std::vector<batch_inputs_msg> inputs;
  std::vector<named_task_msg> tasks;
  std::vector<caf::actor> destinations;  // [task]
  std::vector<int8_t> speculatable;      // [task]: 1 when a copy may run elsewhere (missing: 0)
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatch_msg& x) {
  return f(caf::meta::type_name("rill::dispatch_msg"), x.inputs, x.tasks, x.destinations, x.speculatable);
}
struct dispatch_result {
  std::vector<named_task_result> results;
  std::vector<caf::actor> ran_on;  // [task]: the worker whose attempt answered
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dispatch_result& x) {
  return f(caf::meta::type_name("rill::dispatch_result"), x.results, x.ran_on);
}

// Registers the cross-process message types above (the same names on every node).
inline void register_cluster_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<node_info>("rill::node_info");
  cfg.add_message_type<std::vector<node_info>>("std::vector<rill::node_info>");
  cfg.add_message_type<block_ids_msg>("rill::block_ids_msg");
  cfg.add_message_type<block_meta>("rill::block_meta");
  cfg.add_message_type<receiver_report>("rill::receiver_report");
  cfg.add_message_type<receiver_start_msg>("rill::receiver_start_msg");
  cfg.add_message_type<worker_home>("rill::worker_home");
  cfg.add_message_type<std::vector<worker_home>>("std::vector<rill::worker_home>");
  cfg.add_message_type<registration_msg>("rill::registration_msg");
  cfg.add_message_type<registration_reply>("rill::registration_reply");
  cfg.add_message_type<wire_rdd_name>("rill::wire_rdd_name");
  cfg.add_message_type<map_output_locations>("rill::map_output_locations");
  cfg.add_message_type<named_task_msg>("rill::named_task_msg");
  cfg.add_message_type<named_task_result>("rill::named_task_result");
  cfg.add_message_type<shipped_block>("rill::shipped_block");
  cfg.add_message_type<shipped_stream_blocks>("rill::shipped_stream_blocks");
  cfg.add_message_type<described_stream_batch>("rill::described_stream_batch");
  cfg.add_message_type<batch_inputs_msg>("rill::batch_inputs_msg");
}

}  // namespace rill

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::task_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::task_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::stage_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::stage_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::job_set_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::job_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::job_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::chunk_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::block_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::allocation_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::batch_done_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::listener_event)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::listener_msg)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(rill::MetadataCheckpoint)
