#include "actors/engine.hpp"

#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <future>
#include <map>
#include <optional>
#include <set>

#include <atomic>
#include <thread>

#include "actors/actors.hpp"
#include "actors/blocking_request.hpp"
#include "actors/lineage.hpp"
#include "actors/map_output_store.hpp"
#include "actors/remote_blocks.hpp"
#include "actors/remote_stages.hpp"
#include "operators/dstream/dstream_base.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/block_store.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/task_placement.hpp"

namespace rill {

namespace {

// Runs stages on the job scheduler from any thread, blocking the caller.
class LocalExecutor : public Executor {
 public:
  LocalExecutor(caf::actor_system& sys, caf::actor gateway, caf::actor scheduler, int parallelism)
      : sys_(sys), gateway_(std::move(gateway)), scheduler_(std::move(scheduler)), parallelism_(parallelism) {}

  // Runs a stage elsewhere when it can (the workers of a cluster): returns
  // nothing to have it run here.
  using RemoteRunner = std::function<std::optional<std::vector<TaskOutput>>(std::vector<TaskPtr>&)>;

  std::vector<TaskOutput> run_stage(std::vector<TaskPtr> tasks) override {
    if (closed_.load()) throw IllegalStateError("the StreamingContext of this RDD has been destroyed");
    if (tasks.empty()) return {};
    if (remote_)
      if (auto outputs = remote_(tasks)) return std::move(*outputs);
    auto reply = blocking_request<stage_result>(gateway_, scheduler_, run_stage_atom::value, stage_msg{std::move(tasks)});
    if (!reply) throw JobFailedError("job scheduler failed: " + sys_.render(reply.error()));
    if (!reply->error.empty()) throw JobFailedError(reply->error);
    return std::move(reply->outputs);
  }

  std::optional<TaskOutput> run_elsewhere(const TaskPtr& task) override {
    if (!remote_ || closed_.load()) return std::nullopt;
    std::vector<TaskPtr> tasks{task};
    auto outputs = remote_(tasks);
    if (!outputs) return std::nullopt;
    return std::move(outputs->at(0));
  }

  bool has_elsewhere() const override { return remote_ && !closed_.load(); }

  int default_parallelism() const override { return parallelism_.load(); }
  void set_default_parallelism(int n) { parallelism_ = n; }
  void set_remote_runner(RemoteRunner r) { remote_ = std::move(r); }
  BlockStore& block_store() override { return *store_; }
  const std::shared_ptr<BlockStore>& store() const { return store_; }
  void close() { closed_ = true; }

 private:
  caf::actor_system& sys_;
  caf::actor gateway_;
  caf::actor scheduler_;
  std::atomic<int> parallelism_;
  RemoteRunner remote_;  // set before any stage runs (serve_workers), then only read
  std::shared_ptr<BlockStore> store_ = std::make_shared<BlockStore>();
  std::atomic<bool> closed_{false};
};

// The heartbeat settings of a networked process: a peer silent for the
// timeout is disconnected, which ends its proxies with a down message.
std::pair<Duration, Duration> heartbeats(const Config& conf) {
  const Duration interval = conf.get(keys::heartbeat_interval);
  const Duration timeout = conf.get(keys::heartbeat_timeout);
  if (timeout.milliseconds() <= 2 * interval.milliseconds())
    throw ConfigError("rill.cluster.heartbeatTimeout (" + std::to_string(timeout.milliseconds()) +
                      " ms) must be more than twice rill.cluster.heartbeatInterval (" +
                      std::to_string(interval.milliseconds()) + " ms), or a live peer could be declared lost");
  return {interval, timeout};
}

caf::actor_system_config make_config(const Config& conf, int workers, bool networked) {
  caf::actor_system_config cfg;
  register_cluster_types(cfg);
  if (networked) {
    cfg.load<caf::io::middleman>();
    const auto [interval, timeout] = heartbeats(conf);
    cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(interval.milliseconds())});
    cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds(timeout.milliseconds())});
  }
  // Pooled actors (scheduler, generator, tracker) need few threads: the heavy
  // work runs on detached partition workers and job runners. A bounded
  // max-throughput keeps timers from being starved (measured on CAF 0.17).
  cfg.set("scheduler.max-threads", std::max(2, std::min(workers, 4)));
  cfg.set("scheduler.max-throughput", 64);
  // Work sharing: an idle pool thread blocks on a condition variable. Work
  // stealing's idle threads poll with 50 us sleeps, which on a machine with
  // as many busy threads as cores took a third of the CPU from the partition
  // workers (bench/RESULTS.md, "scheduler policy"); a request round trip is
  // also 4x faster with sharing (measured on CAF 0.17). Measured: bench/RESULTS.md,
  // the cluster rows of 2026-12-02.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  return cfg;
}

}  // namespace

struct Engine::Impl {
  Impl(const Config& conf, DStreamGraph& graph, Clock& clock, ErrorHandler on_error)
      : conf(conf), graph(graph), clock(clock), on_error(std::move(on_error)),
        cores(conf.local_cores()),
        parallelism(static_cast<int>(conf.get_or(keys::default_parallelism, cores))),
        cfg(make_config(conf, cores, conf.is_worker() || conf.is_cluster_driver())), sys(cfg) {
    monitor = spawn_engine_monitor(sys, [this](const std::string& message) { fail(message); });
    gateway = watch(spawn_request_gateway(sys), "request_gateway");
    for (int i = 0; i < cores; ++i) workers.push_back(watch(spawn_partition_worker(sys, i), "partition_worker " + std::to_string(i)));
    int concurrent = static_cast<int>(conf.get(keys::concurrent_jobs));
    for (int i = 0; i < concurrent; ++i) runners.push_back(watch(spawn_job_runner(sys), "job_runner " + std::to_string(i)));
    listener_bus = watch(spawn_listener_bus(sys), "listener_bus");
    JobSchedulerSetup js;
    js.workers = workers;
    js.job_runners = runners;
    js.listener_bus = listener_bus;
    js.on_job_error = [this](const std::string& batch, const std::string& error) {
      report("job for batch " + batch + " failed: " + error);
    };
    scheduler = watch(spawn_job_scheduler(sys, std::move(js)), "job_scheduler");
    executor = std::make_shared<LocalExecutor>(sys, gateway, scheduler, parallelism);
    block_manager = watch(spawn_block_manager(sys, executor->store(), received), "block_manager");
  }

  caf::actor watch(caf::actor a, const std::string& name) {
    caf::anon_send(monitor, watch_atom::value, a, name);
    return a;
  }

  void report(const std::string& message) {
    if (on_error) on_error(std::make_exception_ptr(JobFailedError(message)));
  }
  // An engine actor died: the context fails with `message`.
  void fail(const std::string& message) {
    if (on_error) on_error(std::make_exception_ptr(RillError(message)));
  }

  // Asks an engine actor and waits for the reply; when the actor is gone or
  // fails, logs why and returns `fallback` (stop() must go on regardless).
  template <class T, class... Ts>
  T ask(const caf::actor& dest, const char* what, T fallback, Ts... xs) {
    auto reply = blocking_request<T>(gateway, dest, xs...);
    if (reply) return std::move(*reply);
    spdlog::warn("{}: {}", what, sys.render(reply.error()));
    return fallback;
  }

  void start(Time first, std::optional<Engine::Checkpointing> checkpointing) {
    ReceiverTrackerSetup rt;
    rt.graph = &graph;
    rt.config = &conf;
    rt.block_manager = block_manager;
    rt.listener_bus = listener_bus;
    rt.gateway = gateway;
    if (checkpointing && conf.get(keys::wal_enable))
      rt.write_ahead_log_root = checkpointing->directory;
    if (remote) {
      rt.workers = remote->worker_homes();
      rt.cluster_master = cluster_master;
    }
    tracker = watch(spawn_receiver_tracker(sys, std::move(rt)), "receiver_tracker");
    JobGeneratorSetup jg;
    jg.graph = &graph;
    jg.clock = &clock;
    jg.batch = graph.batch_duration();
    jg.scheduler = scheduler;
    jg.tracker = tracker;
    jg.on_error = [this](const std::string& batch, const std::string& error) {
      report("generating batch " + batch + " failed: " + error);
    };
    if (checkpointing) {
      CheckpointWriterSetup cw;
      cw.directory = checkpointing->directory;
      cw.on_error = [this](const std::string& batch, const std::string& error) {
        report("the metadata checkpoint after batch " + batch + " failed: " + error);
      };
      checkpoint_writer = watch(spawn_checkpoint_writer(sys, std::move(cw)), "checkpoint_writer");
      jg.checkpoint_writer = checkpoint_writer;
      jg.checkpoint_base = std::move(checkpointing->base);
    }
    generator = watch(spawn_job_generator(sys, std::move(jg)), "job_generator");
    caf::anon_send(scheduler, batch_done_atom::value, generator);
    caf::anon_send(scheduler, batch_done_atom::value, tracker);
    // Blocks no batch needs: this node's go from its block manager; a
    // driver also tells the workers holding the others.
    const bool driver = static_cast<bool>(cluster_master);
    graph.set_block_release_handler([bm = block_manager, driver](const std::vector<ReceivedBlockPtr>& blocks) {
      block_ids_msg here;
      std::map<caf::actor, block_ids_msg> elsewhere;
      for (const auto& b : blocks) {
        if (const block_meta* meta = held_elsewhere(*b)) {
          if (driver) {
            elsewhere[meta->holder].ids.push_back(b->id);
            if (meta->replica) elsewhere[meta->replica].ids.push_back(b->id);
          }
        } else if (!b->remote) {
          here.ids.push_back(b->id);
        }
      }
      if (!here.ids.empty()) caf::anon_send(bm, drop_atom::value, std::move(here));
      for (auto& [holder, ids] : elsewhere) caf::anon_send(holder, drop_atom::value, std::move(ids));
    });
    auto started_at = wall_clock_ms();
    caf::anon_send(listener_bus, event_atom::value,
                   listener_event{[started_at](StreamingListener& l) { l.on_streaming_started(started_at); }});
    caf::anon_send(tracker, start_atom::value);
    caf::anon_send(generator, start_atom::value, first.milliseconds());
    if (auto* manual = dynamic_cast<ManualClock*>(&clock)) {
      auto gen = generator;
      observer = manual->add_observer([gen](int64_t now) { caf::anon_send(gen, clock_atom::value, now); });
      caf::anon_send(generator, clock_atom::value, manual->now_ms());
    }
    running = true;
  }

  void stop(bool graceful) {
    if (!running.exchange(false)) return;
    spdlog::debug("stopping: receivers first");
    ask<bool>(tracker, "stopping the receivers", true, stop_atom::value);  // their last blocks reported
    auto* manual = dynamic_cast<ManualClock*>(&clock);
    const auto stop_started = std::chrono::steady_clock::now();
    if (graceful && !manual) {
      // Keep generating batches until every received block is in one, for at
      // most rill.streaming.gracefulStopTimeout (Spark's rule: by default ten
      // batch intervals; here plus 10 s, for short batches).
      const int64_t timeout_ms =
          conf.get_or(keys::graceful_stop_timeout, Milliseconds(10 * graph.batch_duration().milliseconds() + 10000))
              .milliseconds();
      auto deadline = stop_started + std::chrono::milliseconds(timeout_ms);
      auto pending = [&] {
        return ask<std::vector<int64_t>>(tracker, "asking for unallocated blocks", std::vector<int64_t>{0, 0},
                                         pending_atom::value);
      };
      auto waiting = pending();
      spdlog::info("graceful stop: receivers stopped; waiting for {} received blocks ({} records) to be put in "
                   "batches, and for those batches to be processed (at most {} ms: "
                   "rill.streaming.gracefulStopTimeout)",
                   waiting.at(0), waiting.at(1), timeout_ms);
      while (waiting.at(0) > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        waiting = pending();
      }
      // Then until every batch due by now has been generated (the last
      // allocation among them).
      while (!ask<bool>(generator, "asking whether batch generation is idle", true, idle_atom::value) &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (waiting.at(0) > 0)
        spdlog::warn("graceful stop: gave up after {} ms (rill.streaming.gracefulStopTimeout): {} received blocks "
                     "({} records) were never put in a batch and are dropped",
                     timeout_ms, waiting.at(0), waiting.at(1));
    }
    if (manual && observer >= 0) manual->remove_observer(observer);
    ask<int64_t>(generator, "stopping batch generation", 0, stop_atom::value);
    if (!graceful) caf::anon_send(scheduler, stop_atom::value);
    spdlog::debug("stopping: waiting for running jobs");
    ask<bool>(scheduler, "waiting for running jobs", true, idle_atom::value);
    if (checkpoint_writer)
      ask<bool>(generator, "writing the last metadata checkpoint", false, checkpoint_atom::value);
    ask<bool>(listener_bus, "delivering listener events", true, caf::get_atom::value);
    if (graceful && !manual)
      spdlog::info("graceful stop: every batch processed, {} ms after the stop began",
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                         stop_started)
                       .count());
  }

  void shutdown() {
    executor->close();
    for (auto* a : {&cluster_master, &worker_agent, &task_server, &task_dispatcher, &receiver_host})
      if (*a) caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    cluster_master = worker_agent = task_server = task_dispatcher = receiver_host = nullptr;
    if (monitor) caf::anon_send_exit(monitor, caf::exit_reason::user_shutdown);
    for (auto* a : {&generator, &tracker, &scheduler, &block_manager, &listener_bus, &gateway, &checkpoint_writer})
      if (*a) caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    for (auto& w : workers) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    for (auto& r : runners) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    monitor = generator = tracker = scheduler = block_manager = listener_bus = gateway = checkpoint_writer = nullptr;
    workers.clear();
    runners.clear();
  }

  const Config& conf;
  DStreamGraph& graph;
  Clock& clock;
  ErrorHandler on_error;
  int cores;
  int parallelism;
  caf::actor_system_config cfg;
  caf::actor_system sys;
  std::vector<caf::actor> workers;
  std::vector<caf::actor> runners;
  caf::actor monitor, gateway, listener_bus, block_manager, scheduler, tracker, generator, checkpoint_writer;
  caf::actor cluster_master;   // a driver of worker processes
  caf::actor task_dispatcher;  // a driver of worker processes
  caf::actor worker_agent;     // a worker
  caf::actor task_server;      // a worker
  caf::actor receiver_host;    // a worker
  std::shared_ptr<MapOutputStore> map_outputs = std::make_shared<MapOutputStore>();
  std::shared_ptr<ReceivedBlockIndex> received = std::make_shared<ReceivedBlockIndex>();
  std::shared_ptr<TaskServerStats> served = std::make_shared<TaskServerStats>();  // a worker's

  std::unique_ptr<RemoteStages> remote;  // a driver of worker processes

  std::shared_ptr<LocalExecutor> executor;
  int observer = -1;
  std::atomic<bool> running{false};
};

Engine::Engine(const Config& conf, DStreamGraph& graph, Clock& clock, ErrorHandler on_error)
    : impl_(std::make_unique<Impl>(conf, graph, clock, std::move(on_error))) {}

Engine::~Engine() {
  impl_->stop(false);
  impl_->shutdown();
}

std::shared_ptr<Executor> Engine::executor() const { return impl_->executor; }
int Engine::parallelism() const { return impl_->parallelism; }

void Engine::add_listener(std::shared_ptr<StreamingListener> listener) {
  caf::anon_send(impl_->listener_bus, listen_atom::value, listener_msg{std::move(listener)});
}

void Engine::start(Time first, std::optional<Checkpointing> checkpointing) {
  impl_->start(first, std::move(checkpointing));
}
void Engine::stop(bool graceful) { impl_->stop(graceful); }

namespace {

std::string this_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

}  // namespace

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
  receivers.block_manager = impl_->block_manager;
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
  impl_->worker_agent = spawn_worker_agent(impl_->sys, std::move(setup), self);
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
  if (error.find("refused this worker") != std::string::npos) throw ConfigError(error);
  throw RillError(error);
}

}  // namespace rill
