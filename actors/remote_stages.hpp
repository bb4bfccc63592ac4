// A cluster driver's stages on its workers: which stages can run there (every
// task nameable and computable from the workers' copy of the graph), where
// each task goes (runtime/base/task_placement.hpp), the batch inputs sent
// ahead of the tasks (blocks, and descriptions of RDDs only the driver can
// make), and the map-output tracker (which worker holds each map partition
// of each shuffle). Thread-safe: job runners call it concurrently.
#pragma once
#include <caf/all.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actors/messages.hpp"
#include "runtime/base/rdd_name.hpp"
#include "runtime/base/task.hpp"
#include "runtime/base/time.hpp"

namespace rill {

class DStreamGraph;

class RemoteStages {
 public:
  // cluster_master: the registry of workers; task_dispatcher: sends inputs,
  // then tasks, to the workers' task servers (actors/actors.hpp).
  RemoteStages(caf::actor_system& sys, caf::actor gateway, caf::actor cluster_master, caf::actor task_dispatcher,
               DStreamGraph& graph)
      : sys_(sys), gateway_(std::move(gateway)), cluster_master_(std::move(cluster_master)),
        task_dispatcher_(std::move(task_dispatcher)), graph_(graph) {}

  // Runs the stage on the workers when every task can run by name there and
  // what it reads is there (or sent with it); nothing when it must run here.
  // A task that failed on a worker throws JobFailedError naming the worker.
  std::optional<std::vector<TaskOutput>> run(std::vector<TaskPtr>& tasks);
  // Counts a stage that ran on the driver although it has workers, by the
  // stream that made its target ("other" for RDDs made outside streams).
  void note_driver_stage(const Task& t);
  // The driver's graph forgot batches through t: so do the tracker and the workers.
  void forget_through(Time t);

  // The registered workers, and their task servers.
  std::vector<worker_home> worker_homes() const;
  std::vector<caf::actor> task_servers() const;

  // "N tasks ran on workers; B bytes of batch inputs sent to them, R bytes of
  // results back; stages run on the driver: ..." (for the driver's log).
  std::string summary() const;

 private:
  // The blocks of every batch up to `through` not yet sent to the workers,
  // and the descriptions of the RDDs only the driver can make (described
  // once per stream and batch time, in time order).
  std::vector<batch_inputs_msg> inputs_to_send(Time through);

  caf::actor_system& sys_;
  const caf::actor gateway_, cluster_master_, task_dispatcher_;
  DStreamGraph& graph_;

  mutable std::mutex remote_mutex_;  // guards what follows, and orders dispatches
  std::map<RddName, std::vector<caf::actor>> map_output_holders_;  // shuffle -> [map partition]
  std::set<std::pair<int, int64_t>> inputs_sent_;                  // (stream, batch ms)
  std::map<int, Time> described_through_;                          // stream -> last batch described
  std::map<std::string, int64_t> driver_stages_;                   // stages run here anyway, by stream name
  std::atomic<int64_t> remote_tasks_{0}, bytes_to_workers_{0}, bytes_from_workers_{0};
};

}  // namespace rill
