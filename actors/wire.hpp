// The messages that cross processes (driver <-> workers, worker <-> worker):
// plain data with an inspect() each, so CAF serializes them, registered with
// the actor system by register_cluster_types. The atoms that name them, and
// the messages that stay in one process, are in actors/protocol.hpp.
#pragma once
#include <caf/all.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "runtime/base/received_block.hpp"

namespace rill {

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

// The receiver tracker's answer to pending_atom: received blocks (and their
// records) not yet allocated to a batch.
struct unallocated_blocks {
  int64_t blocks = 0;
  int64_t records = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, unallocated_blocks& x) {
  return f(caf::meta::type_name("rill::unallocated_blocks"), x.blocks, x.records);
}

// Received blocks to forget (driver -> block holders; in a node, to its block manager).
struct block_ids_msg {
  std::vector<int64_t> ids;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, block_ids_msg& x) {
  return f(caf::meta::type_name("rill::block_ids_msg"), x.ids);
}

// A received block's info: its shape, and who holds its records. The
// tracker, the allocations and the batch inputs a driver ships carry these,
// never the records; actors/block_source.hpp finds the records from them.
// A null holder means the node that reported it holds it (a driver's or a
// local-mode receiver); a worker's receiver host names its task server.
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
inline int64_t block_bytes(const block_meta& m) {
  int64_t bytes = 0;
  for (auto b : m.chunk_bytes) bytes += b;
  return bytes;
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
  cfg.add_message_type<unallocated_blocks>("rill::unallocated_blocks");
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
