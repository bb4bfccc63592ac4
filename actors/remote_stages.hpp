// A cluster driver's stages on its workers: which stages can run there (every
// task nameable and computable from the workers' copy of the graph), where
// each task goes (runtime/base/task_placement.hpp), the batch inputs sent
// ahead of the tasks (blocks, and descriptions of RDDs only the driver can
// make), and the map-output tracker (which worker holds each map partition
// of each shuffle). Thread-safe: job runners call it concurrently.
//
// Workers may be lost. A task that failed (its worker died or hung past the
// heartbeat timeout, a fetch from a dead node failed, or user code threw)
// runs again on a live worker, up to rill.task.maxFailures attempts in all;
// map outputs a lost worker held are made again by running just those map
// tasks again, before the tasks that read them. A state slot a lost worker
// kept is computed again by its new owner from the newest state checkpoint
// and the batches since (recompute_lost_slots).
#pragma once
#include <caf/all.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/protocol.hpp"
#include "runtime/base/rdd_name.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/task_placement.hpp"
#include "runtime/base/time.hpp"

namespace rill {

class DStreamGraph;

class RemoteStages {
 public:
  // cluster_master: the registry of workers; task_dispatcher: sends inputs,
  // then tasks, to the workers' task servers (actors/actors.hpp).
  // max_failures: attempts per task before its job fails (>= 1);
  // liveness_timeout: how long a worker may take to answer "still there?".
  RemoteStages(caf::actor_system& sys, caf::actor gateway, caf::actor cluster_master,
               task_dispatcher_actor task_dispatcher,
               DStreamGraph& graph, int max_failures, std::chrono::milliseconds liveness_timeout)
      : sys_(sys), gateway_(std::move(gateway)), cluster_master_(std::move(cluster_master)),
        task_dispatcher_(std::move(task_dispatcher)), graph_(graph), max_failures_(max_failures),
        liveness_timeout_(liveness_timeout) {}

  // Runs the stage on the workers when every task can run by name there and
  // what it reads is there (or sent with it); nothing when it must run here.
  // A task that failed on a worker throws JobFailedError naming the worker.
  std::optional<std::vector<TaskOutput>> run(std::vector<TaskPtr>& tasks);
  // Counts a stage that ran on the driver although it has workers, by the
  // stream that made its target ("other" for RDDs made outside streams).
  void note_driver_stage(const Task& t);
  // The driver's graph forgot batches through t: so do the workers (told at
  // once) and this object (the next stage forgets, under the lock). It never
  // waits: the job generator, the batch clock, calls it, and the lock may be
  // held across a dispatch to the workers.
  void forget_through(Time t);

  // The registered workers: their node ids, task servers and receiver hosts.
  std::vector<worker_home> worker_homes() const;

  // "N tasks ran on workers; B bytes of batch inputs sent to them, R bytes of
  // results back; stages run on the driver: ...", and when workers were
  // lost, the tasks run again (for the driver's log).
  std::string summary() const;

 private:
  // What it takes to run a map task again: its message (the holders of the
  // shuffles it reads are filled in at each dispatch) and its input's place.
  struct MapStage {
    std::vector<named_task_msg> tasks;  // [map partition]
    std::vector<TaskInput> inputs;      // [map partition]
    std::vector<caf::actor> holders;    // [map partition]: the task server holding its output
  };
  // One task as dispatched: its message, where its input lives, and what
  // to say about it in errors.
  struct Attempt {
    named_task_msg msg;
    TaskInput input;
    std::string what;
    const RDDBase* reads = nullptr;  // the RDD whose partition it computes (null: a map task run again)
    int slot_stream = -1;            // the stream keeping its state slot (input.slot), when it has one
    bool recomputes_slot = false;    // that slot's keeper was lost (see recompute_lost_slots)
  };

  // Runs `tasks` on live workers until each has succeeded, running a failed
  // one again elsewhere; throws JobFailedError when one has failed
  // max_failures_ times or no worker is left. `first_inputs` go with the
  // first dispatch. Returns each task's result and the task server it ran on;
  // `tasks` are left as last sent (the holders of the shuffles they read).
  std::vector<std::pair<named_task_result, caf::actor>> run_attempts(std::vector<Attempt>& tasks,
                                                                     std::vector<batch_inputs_msg> first_inputs);
  // Tasks of state slots whose keeper is not among `nodes` (it was lost): the
  // new owner computes the partition again from the newest state checkpoint
  // and the batches since, so each such task reads every shuffle of those
  // batches (added to its message). Returns the checkpoints' descriptions
  // to send first; empty when no slot moved.
  std::vector<batch_inputs_msg> recompute_lost_slots(std::vector<Attempt>& tasks, const std::vector<size_t>& which,
                                                     const std::vector<std::string>& nodes);
  // Makes again the map outputs of `shuffle` that lost workers held
  // (upstream shuffles first); nothing when none was lost.
  void recover_map_outputs(const RddName& shuffle, const std::set<caf::actor_addr>& live);
  // Registered workers minus those found lost since.
  std::vector<worker_home> live_homes();
  // Asks each of `servers` whether it is still there; marks those that do
  // not answer within liveness_timeout_ as lost.
  void check_alive(const std::vector<caf::actor>& servers);

  // The blocks of every batch up to `through` not yet sent to the workers,
  // and the descriptions of the RDDs only the driver can make (described
  // once per stream and batch time, in time order).
  std::vector<batch_inputs_msg> inputs_to_send(Time through);
  // Drops the map stages and sent inputs forget_through has released.
  // REQUIRES: remote_mutex_ held.
  void apply_forget();

  caf::actor_system& sys_;
  const caf::actor gateway_, cluster_master_;
  const task_dispatcher_actor task_dispatcher_;
  DStreamGraph& graph_;
  const int max_failures_;
  const std::chrono::milliseconds liveness_timeout_;

  mutable std::mutex remote_mutex_;  // guards what follows, and orders dispatches
  std::map<RddName, MapStage> map_stages_;                          // shuffles whose map stage ran on workers
  std::set<caf::actor_addr> lost_;                                  // task servers found gone
  std::map<int, std::string> slot_owners_;                          // state slot -> node id computing it
  std::map<std::pair<int, int>, std::string> slot_keepers_;         // (stream, slot) -> node id that computed it
  std::set<std::pair<int, int64_t>> inputs_sent_;                  // (stream, batch ms)
  std::map<int, Time> described_through_;                          // stream -> last batch described
  std::map<std::string, int64_t> driver_stages_;                   // stages run here anyway, by stream name
  std::atomic<int64_t> remote_tasks_{0}, bytes_to_workers_{0}, bytes_from_workers_{0};
  std::atomic<int64_t> tasks_rerun_{0}, map_outputs_remade_{0}, slots_recomputed_{0};
  // Batches at or before it are forgotten (ms); only grows. Written without
  // the lock by forget_through, applied under it by apply_forget.
  std::atomic<int64_t> forget_cutoff_ms_{std::numeric_limits<int64_t>::min()};
};

}  // namespace rill
