// Engine: the CAF side of a StreamingContext. It owns the actor system and
// the actors of docs/design.md (job generator, job scheduler, receiver tracker,
// receiver supervisors, block generators, block manager, partition workers,
// listener bus) and exposes them to the typed runtime through plain C++:
// an Executor for RDD jobs, start and stop. No CAF type appears here.
#pragma once
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operators/dstream/dstream_graph.hpp"
#include "runtime/base/clock.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/listener.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/task.hpp"

namespace rill {

class Engine {
 public:
  using ErrorHandler = std::function<void(std::exception_ptr)>;

  // Starts the actor system and the partition workers (so RDD jobs can run
  // before start()). `on_error` is called for every failed batch job.
  Engine(const Config& conf, DStreamGraph& graph, Clock& clock, ErrorHandler on_error);
  // Stops everything still running.
  ~Engine();

  std::shared_ptr<Executor> executor() const;
  int parallelism() const;
  void add_listener(std::shared_ptr<StreamingListener> listener);

  // Metadata checkpoints: where, and what every checkpoint carries besides
  // the batch times and the streams' data (configuration, fingerprint, zero time).
  struct Checkpointing {
    std::string directory;
    MetadataCheckpoint base;
  };

  // Starts the receivers and batch generation; the first batch is at `first`.
  // With `checkpointing`, a metadata checkpoint follows every completed batch
  // and the last one is written by stop().
  void start(Time first, std::optional<Checkpointing> checkpointing = std::nullopt);
  // Stops receivers and batch generation. Graceful: first processes all data
  // received so far (and every batch already generated). Not graceful: drops
  // batches not yet started and waits for the running job only.
  void stop(bool graceful);

  // -- worker processes (--master rill://..., local-cluster[w,c], --worker) ----------

  struct WorkerInfo {
    std::string node_id;  // "host/pid"
    std::string host;
    int pid = 0;
    int cores = 0;
  };
  // Driver: accepts workers at bind_address:port (0: any free port) whose
  // graph fingerprint is `fingerprint`, telling each the graph's zero time;
  // returns the port. From then on, stages whose tasks a worker can run by
  // name run on the workers. Throws RillError when it cannot listen there.
  uint16_t serve_workers(const std::string& bind_address, uint16_t port, uint64_t fingerprint, Time zero_time);
  // Waits until at least n workers have registered; after `timeout`, throws
  // RillError saying how many came.
  void wait_for_workers(int n, Duration timeout);
  std::vector<WorkerInfo> workers() const;
  // Tells every registered worker to stop and waits (at most 10 s) until they
  // are gone; returns how many went.
  int stop_workers();
  // Worker: registers with the driver at host:port, trying to reach it for
  // `timeout`, then starts the graph at the driver's zero time and serves
  // the driver's tasks. Throws ConfigError when the driver refuses (another program,
  // another secret) and RillError when it cannot be reached. Once registered,
  // on_stop runs when the driver says stop and on_lost when the driver is
  // gone; both on an engine thread, so they must not block. Other workers
  // connect to this one directly at peer_bind (an address of this host; an
  // ephemeral port).
  void join_driver(const std::string& host, uint16_t port, uint64_t fingerprint, Duration timeout,
                   const std::string& peer_bind, std::function<void()> on_stop,
                   std::function<void(const std::string&)> on_lost);

  // What this node did for a cluster, for the log: a worker's tasks run and
  // map output bytes served; a driver's tasks run on workers and bytes
  // exchanged with them.
  std::string cluster_summary() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rill
