// The engine as a worker process: it serves named tasks (task_server), hosts
// the receivers the driver places here (receiver_host), and keeps its link to
// the driver (worker_agent).
#include <caf/io/middleman.hpp>
#include <unistd.h>

#include <future>

#include "actors/engine.hpp"
#include "actors/engine_impl.hpp"

namespace rill {

void Engine::join_driver(const std::string& host, uint16_t port, uint64_t fingerprint, Duration timeout,
                         const std::string& peer_bind, std::function<void()> on_stop,
                         std::function<void(const std::string&)> on_lost) {
  node_info self;
  self.host = this_host_name();
  self.pid = static_cast<int32_t>(getpid());
  self.node_id = self.host + "/" + std::to_string(self.pid);
  self.cores = impl_->cores;
  self.fingerprint = fingerprint;
  auto registered = std::make_shared<std::promise<std::pair<std::string, registration_reply>>>();
  auto outcome = registered->get_future();
  auto graph_started = std::make_shared<std::atomic<bool>>(false);
  TaskServerSetup server;
  server.stats = impl_->served;
  server.graph = &impl_->graph;
  server.scheduler = impl_->scheduler;
  server.gateway = impl_->gateway;
  server.map_outputs = impl_->map_outputs;
  server.received = impl_->received;
  server.graph_started = graph_started;
  impl_->task_server = impl_->watch(spawn_task_server(impl_->sys, std::move(server)), "task_server");
  ReceiverHostSetup receivers;
  receivers.graph = &impl_->graph;
  receivers.config = &impl_->conf;
  receivers.gateway = impl_->gateway;
  receivers.received = impl_->received;
  receivers.task_server = impl_->task_server;
  receivers.node_id = self.node_id;
  receivers.stats = impl_->served;
  impl_->receiver_host = impl_->watch(spawn_receiver_host(impl_->sys, std::move(receivers)), "receiver_host");
  // Other workers connect here directly (worker_agent.cpp says why).
  auto peer_port = impl_->sys.middleman().publish(impl_->task_server, 0, peer_bind.c_str(), true);
  if (!peer_port)
    throw RillError("this worker cannot listen for other workers on " + peer_bind + ": " +
                    impl_->sys.render(peer_port.error()));
  self.peer_host = peer_bind == "0.0.0.0" ? self.host : peer_bind;
  self.peer_port = *peer_port;
  WorkerAgentSetup setup;
  setup.task_server = impl_->task_server;
  setup.receiver_host = impl_->receiver_host;
  setup.driver_host = host;
  setup.driver_port = port;
  setup.secret = impl_->conf.get(keys::authenticate_secret);
  setup.connect_within = std::chrono::milliseconds(timeout.milliseconds());
  setup.on_registered = [registered](const std::string& error, const registration_reply& reply) {
    registered->set_value({error, reply});
  };
  setup.on_stop = std::move(on_stop);
  setup.on_driver_lost = std::move(on_lost);
  impl_->worker_agent = impl_->watch(spawn_worker_agent(impl_->sys, std::move(setup), self), "worker_agent");
  const auto [error, reply] = outcome.get();
  if (error.empty()) {
    // The driver's batch times and partition counts, so that this node's
    // lineage of every batch is the driver's.
    impl_->executor->set_default_parallelism(reply.default_parallelism);
    impl_->parallelism = reply.default_parallelism;
    impl_->graph.start(Time(reply.zero_time_ms));
    graph_started->store(true);
    return;
  }
  if (!reply.error.empty()) throw ConfigError(error);  // the driver refused it: a setting to fix
  throw RillError(error);
}

}  // namespace rill
