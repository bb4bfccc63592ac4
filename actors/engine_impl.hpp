// Engine::Impl: the actors of one context's engine and their wiring, shared
// by engine.cpp (start and stop), driver_role.cpp (serving worker processes)
// and worker_role.cpp (joining a driver). Only those include it.
#pragma once
#include <spdlog/spdlog.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "actors/actor_system_config.hpp"
#include "actors/actors.hpp"
#include "actors/blocking_request.hpp"
#include "actors/engine.hpp"
#include "actors/local_executor.hpp"
#include "actors/map_output_store.hpp"
#include "actors/remote_blocks.hpp"
#include "actors/remote_stages.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

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
    executor = std::make_shared<LocalExecutor>(sys, gateway, caf::actor_cast<caf::actor>(scheduler), parallelism);
    block_manager = watch(spawn_block_manager(sys, received), "block_manager");
  }

  // Has the engine monitor watch `a` (a caf::actor or a typed handle).
  template <class Handle>
  Handle watch(Handle a, const std::string& name) {
    caf::anon_send(monitor, watch_atom::value, caf::actor_cast<caf::actor>(a), name);
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
  template <class T, class Handle, class... Ts>
  T ask(const Handle& dest, const char* what, T fallback, Ts... xs) {
    auto reply = blocking_request<T>(gateway, caf::actor_cast<caf::actor>(dest), xs...);
    if (reply) return std::move(*reply);
    spdlog::warn("{}: {}", what, sys.render(reply.error()));
    return fallback;
  }

  void start(Time first, std::optional<Engine::Checkpointing> checkpointing) {
    ReceiverTrackerSetup rt;
    rt.graph = &graph;
    rt.config = &conf;
    rt.received = received;
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
    jg.blocks = std::make_shared<const BlockSource>(sys, gateway, received, graph);
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
    caf::anon_send(scheduler, batch_done_atom::value, batch_done_listener_actor{generator});
    caf::anon_send(scheduler, batch_done_atom::value, batch_done_listener_actor{tracker});
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
        return ask<unallocated_blocks>(tracker, "asking for unallocated blocks", unallocated_blocks{},
                                       pending_atom::value);
      };
      auto waiting = pending();
      spdlog::info("graceful stop: receivers stopped; waiting for {} received blocks ({} records) to be put in "
                   "batches, and for those batches to be processed (at most {} ms: "
                   "rill.streaming.gracefulStopTimeout)",
                   waiting.blocks, waiting.records, timeout_ms);
      while (waiting.blocks > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        waiting = pending();
      }
      // Then until every batch due by now has been generated (the last
      // allocation among them).
      while (!ask<bool>(generator, "asking whether batch generation is idle", true, idle_atom::value) &&
             std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      if (waiting.blocks > 0)
        spdlog::warn("graceful stop: gave up after {} ms (rill.streaming.gracefulStopTimeout): {} received blocks "
                     "({} records) were never put in a batch and are dropped",
                     timeout_ms, waiting.blocks, waiting.records);
    }
    if (manual && observer >= 0) manual->remove_observer(observer);
    ask<int64_t>(generator, "stopping batch generation", 0, stop_atom::value);
    if (!graceful) caf::anon_send(scheduler, stop_atom::value);
    spdlog::debug("stopping: waiting for running jobs");
    ask<bool>(scheduler, "waiting for running jobs", true, idle_atom::value);
    if (checkpoint_writer)
      ask<bool>(generator, "writing the last metadata checkpoint", false, checkpoint_atom::value);
    ask<bool>(caf::actor_cast<caf::actor>(listener_bus), "delivering listener events", true, caf::get_atom::value);
    if (graceful && !manual)
      spdlog::info("graceful stop: every batch processed, {} ms after the stop began",
                   std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                         stop_started)
                       .count());
  }

  void shutdown() {
    executor->close();
    for (auto* a : {&cluster_master, &worker_agent, &task_server, &receiver_host})
      if (*a) caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    if (task_dispatcher) caf::anon_send_exit(task_dispatcher, caf::exit_reason::user_shutdown);
    cluster_master = worker_agent = task_server = receiver_host = nullptr;
    task_dispatcher = task_dispatcher_actor{};
    if (monitor) caf::anon_send_exit(monitor, caf::exit_reason::user_shutdown);
    if (gateway) caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
    if (scheduler) caf::anon_send_exit(scheduler, caf::exit_reason::user_shutdown);
    if (generator) caf::anon_send_exit(generator, caf::exit_reason::user_shutdown);
    if (tracker) caf::anon_send_exit(tracker, caf::exit_reason::user_shutdown);
    if (block_manager) caf::anon_send_exit(block_manager, caf::exit_reason::user_shutdown);
    if (checkpoint_writer) caf::anon_send_exit(checkpoint_writer, caf::exit_reason::user_shutdown);
    if (listener_bus) caf::anon_send_exit(listener_bus, caf::exit_reason::user_shutdown);
    for (auto& w : workers) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    for (auto& r : runners) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    gateway = nullptr;
    scheduler = job_scheduler_actor{};
    generator = job_generator_actor{};
    tracker = receiver_tracker_actor{};
    monitor = engine_monitor_actor{};
    block_manager = block_manager_actor{};
    checkpoint_writer = checkpoint_writer_actor{};
    listener_bus = listener_bus_actor{};
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
  caf::actor gateway;
  job_scheduler_actor scheduler;
  job_generator_actor generator;
  receiver_tracker_actor tracker;
  engine_monitor_actor monitor;
  block_manager_actor block_manager;
  checkpoint_writer_actor checkpoint_writer;
  listener_bus_actor listener_bus;
  caf::actor cluster_master;   // a driver of worker processes
  task_dispatcher_actor task_dispatcher;  // a driver of worker processes
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

}  // namespace rill
