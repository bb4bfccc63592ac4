#include "actors/engine.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "actors/actors.hpp"
#include "runtime/block_store.hpp"
#include "runtime/errors.hpp"

namespace rill {

namespace {

// Runs stages on the job scheduler from any thread, blocking the caller.
class LocalExecutor : public Executor {
 public:
  LocalExecutor(caf::actor_system& sys, caf::actor scheduler, int parallelism)
      : sys_(sys), scheduler_(std::move(scheduler)), parallelism_(parallelism) {}

  std::vector<TaskOutput> run_stage(std::vector<TaskPtr> tasks) override {
    if (closed_.load()) throw IllegalStateError("the StreamingContext of this RDD has been destroyed");
    if (tasks.empty()) return {};
    stage_result result;
    std::string failure;
    {
      caf::scoped_actor self{sys_};
      self->request(scheduler_, caf::infinite, run_stage_atom::value, stage_msg{std::move(tasks)})
          .receive([&](stage_result& r) { result = std::move(r); },
                   [&](caf::error& e) { failure = "job scheduler failed: " + sys_.render(e); });
    }
    if (!failure.empty()) throw JobFailedError(failure);
    if (!result.error.empty()) throw JobFailedError(result.error);
    return std::move(result.outputs);
  }

  int default_parallelism() const override { return parallelism_; }
  BlockStore& block_store() override { return *store_; }
  const std::shared_ptr<BlockStore>& store() const { return store_; }
  void close() { closed_ = true; }

 private:
  caf::actor_system& sys_;
  caf::actor scheduler_;
  int parallelism_;
  std::shared_ptr<BlockStore> store_ = std::make_shared<BlockStore>();
  std::atomic<bool> closed_{false};
};

caf::actor_system_config make_config(int workers) {
  caf::actor_system_config cfg;
  // Pooled actors (scheduler, generator, tracker) need few threads: the heavy
  // work runs on detached partition workers and job runners. A bounded
  // max-throughput keeps timers from being starved (notes/caf-0.17.md).
  cfg.set("scheduler.max-threads", std::max(2, std::min(workers, 4)));
  cfg.set("scheduler.max-throughput", 64);
  return cfg;
}

}  // namespace

struct Engine::Impl {
  Impl(const Config& conf, DStreamGraph& graph, Clock& clock, ErrorHandler on_error)
      : conf(conf), graph(graph), clock(clock), on_error(std::move(on_error)),
        cores(conf.local_cores()),
        parallelism(static_cast<int>(conf.get_int("rill.default.parallelism", cores))),
        cfg(make_config(cores)), sys(cfg) {
    for (int i = 0; i < cores; ++i) workers.push_back(spawn_partition_worker(sys, i));
    int concurrent = static_cast<int>(conf.get_int("rill.streaming.concurrentJobs", 1));
    for (int i = 0; i < concurrent; ++i) runners.push_back(spawn_job_runner(sys));
    listener_bus = spawn_listener_bus(sys);
    JobSchedulerSetup js;
    js.workers = workers;
    js.job_runners = runners;
    js.listener_bus = listener_bus;
    js.on_job_error = [this](const std::string& batch, const std::string& error) {
      report("job for batch " + batch + " failed: " + error);
    };
    scheduler = spawn_job_scheduler(sys, std::move(js));
    executor = std::make_shared<LocalExecutor>(sys, scheduler, parallelism);
    block_manager = spawn_block_manager(sys, executor->store());
  }

  void report(const std::string& message) {
    if (on_error) on_error(std::make_exception_ptr(JobFailedError(message)));
  }

  template <class T, class... Ts>
  T ask(const caf::actor& dest, Ts&&... xs) {
    T out{};
    caf::scoped_actor self{sys};
    self->request(dest, caf::infinite, std::forward<Ts>(xs)...)
        .receive([&](T& v) { out = std::move(v); }, [&](caf::error& e) {
          spdlog::warn("engine request failed: {}", sys.render(e));
        });
    return out;
  }

  void start(Time first) {
    ReceiverTrackerSetup rt;
    rt.graph = &graph;
    rt.config = &conf;
    rt.block_manager = block_manager;
    rt.listener_bus = listener_bus;
    tracker = spawn_receiver_tracker(sys, std::move(rt));
    JobGeneratorSetup jg;
    jg.graph = &graph;
    jg.clock = &clock;
    jg.batch = graph.batch_duration();
    jg.scheduler = scheduler;
    jg.tracker = tracker;
    jg.on_error = [this](const std::string& batch, const std::string& error) {
      report("generating batch " + batch + " failed: " + error);
    };
    generator = spawn_job_generator(sys, std::move(jg));
    caf::anon_send(scheduler, batch_done_atom::value, generator);
    caf::anon_send(scheduler, batch_done_atom::value, tracker);
    graph.set_block_release_handler([bm = block_manager](std::vector<int64_t> ids) {
      caf::anon_send(bm, drop_atom::value, block_ids_msg{std::move(ids)});
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
    if (!running) return;
    running = false;
    ask<bool>(tracker, stop_atom::value);  // receivers stopped, last blocks reported
    auto* manual = dynamic_cast<ManualClock*>(&clock);
    if (graceful && !manual) {
      // Keep generating batches until every received block is in one.
      auto deadline = std::chrono::steady_clock::now() +
                      std::chrono::milliseconds(10 * graph.batch_duration().milliseconds() + 10000);
      while (ask<bool>(tracker, pending_atom::value) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      // One more batch time, so that the last allocation has been generated.
      while (!ask<bool>(generator, idle_atom::value) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (manual && observer >= 0) manual->remove_observer(observer);
    ask<int64_t>(generator, stop_atom::value);
    if (!graceful) caf::anon_send(scheduler, stop_atom::value);
    ask<bool>(scheduler, idle_atom::value);
    ask<bool>(listener_bus, caf::get_atom::value);  // deliver pending events
  }

  void shutdown() {
    executor->close();
    for (auto* a : {&generator, &tracker, &scheduler, &block_manager, &listener_bus})
      if (*a) caf::anon_send_exit(*a, caf::exit_reason::user_shutdown);
    for (auto& w : workers) caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
    for (auto& r : runners) caf::anon_send_exit(r, caf::exit_reason::user_shutdown);
    generator = tracker = scheduler = block_manager = listener_bus = nullptr;
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
  caf::actor listener_bus, block_manager, scheduler, tracker, generator;
  std::shared_ptr<LocalExecutor> executor;
  int observer = -1;
  bool running = false;
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

void Engine::start(Time first) { impl_->start(first); }
void Engine::stop(bool graceful) { impl_->stop(graceful); }

}  // namespace rill
