// The engine as a driver of worker processes: it listens for workers
// (cluster_master), dispatches named tasks to them (task_dispatcher) and runs
// stages there first (RemoteStages).
#include <caf/io/middleman.hpp>
#include <unistd.h>

#include "actors/engine.hpp"
#include "actors/engine_impl.hpp"

namespace rill {

uint16_t Engine::serve_workers(const std::string& bind_address, uint16_t port, uint64_t fingerprint,
                               Time zero_time) {
  ClusterMasterSetup setup;
  setup.fingerprint = fingerprint;
  setup.zero_time_ms = zero_time.milliseconds();
  setup.default_parallelism = impl_->parallelism;
  setup.secret = impl_->conf.get(keys::authenticate_secret);
  setup.driver_id = this_host_name() + "/" + std::to_string(getpid());
  impl_->cluster_master = impl_->watch(spawn_cluster_master(impl_->sys, std::move(setup)), "cluster_master");
  SpeculationSettings speculation;
  const Config& conf = impl_->conf;
  speculation.enabled = conf.get(keys::speculation);
  speculation.interval =
      std::chrono::milliseconds(conf.get(keys::speculation_interval).milliseconds());
  speculation.multiplier = conf.get(keys::speculation_multiplier);
  speculation.quantile = conf.get(keys::speculation_quantile);
  speculation.min_task_runtime = std::chrono::milliseconds(
      conf.get(keys::speculation_min_task_runtime).milliseconds());
  impl_->task_dispatcher =
      impl_->watch(spawn_task_dispatcher(impl_->sys, std::chrono::minutes(10), speculation), "task_dispatcher");
  impl_->remote = std::make_unique<RemoteStages>(
      impl_->sys, impl_->gateway, impl_->cluster_master, impl_->task_dispatcher, impl_->graph,
      static_cast<int>(impl_->conf.get(keys::task_max_failures)),
      std::chrono::milliseconds(heartbeats(impl_->conf).second.milliseconds()));
  RemoteStages* remote = impl_->remote.get();
  impl_->executor->set_remote_runner([remote](std::vector<TaskPtr>& tasks) {
    auto outputs = remote->run(tasks);
    if (!outputs) remote->note_driver_stage(*tasks.front());
    return outputs;
  });
  impl_->graph.set_clear_listener([remote](Time t) { remote->forget_through(t); });
  auto bound = impl_->sys.middleman().publish(impl_->cluster_master, port, bind_address.c_str(), true);
  if (!bound)
    throw RillError("the driver cannot listen for workers on " + bind_address + ":" + std::to_string(port) + ": " +
                    impl_->sys.render(bound.error()));
  return *bound;
}

void Engine::wait_for_workers(int n, Duration timeout) {
  if (n <= 0) return;
  auto reply = blocking_request<int32_t>(impl_->gateway, impl_->cluster_master, workers_atom::value,
                                         static_cast<int32_t>(n), int64_t{timeout.milliseconds()});
  if (!reply) throw RillError("waiting for workers failed: " + impl_->sys.render(reply.error()));
  if (*reply >= n) return;
  throw RillError("waited " + timeout.to_string() + " for " + std::to_string(n) + " workers to register, " +
                  std::to_string(*reply) + " did (rill.cluster.minWorkers, rill.cluster.waitTimeout); start "
                  "workers with --worker --driver HOST:PORT, or see their logs for why they were refused");
}

std::vector<Engine::WorkerInfo> Engine::workers() const {
  std::vector<WorkerInfo> out;
  if (!impl_->cluster_master) return out;
  auto reply = blocking_request<std::vector<node_info>>(impl_->gateway, impl_->cluster_master, workers_atom::value);
  if (!reply) return out;
  for (const auto& n : *reply) out.push_back({n.node_id, n.host, n.pid, n.cores});
  return out;
}

std::string Engine::cluster_summary() const {
  if (impl_->task_server)
    return "ran " + std::to_string(impl_->served->tasks.load()) + " tasks, sent " +
           std::to_string(impl_->served->bytes_served.load()) + " bytes of map outputs and blocks to other nodes";
  return impl_->remote ? impl_->remote->summary() : "no workers served";
}

int Engine::stop_workers() {
  if (!impl_->cluster_master) return 0;
  auto reply = blocking_request<int32_t>(impl_->gateway, impl_->cluster_master, stop_atom::value);
  if (!reply) {
    spdlog::warn("stopping the workers: {}", impl_->sys.render(reply.error()));
    return 0;
  }
  return *reply;
}

}  // namespace rill
