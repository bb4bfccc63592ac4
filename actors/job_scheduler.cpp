// job_scheduler: runs jobs and stages of tasks on the partition workers, and
// each batch's jobs on the job runners in output-operation order,
// rill.streaming.concurrentJobs at a time. Records each batch's submission,
// start and end times and publishes them to the listener bus; logs one line
// per completed batch.
//
// A job (an action, submit_job) arrives once, whole: this actor walks its
// lineage for the shuffles whose map stage has not run (Spark's
// DAGScheduler), runs those stages one after another, then the job's own
// tasks, and answers once. A map stage two jobs need at once runs once: the
// second job waits for it. The submitting thread blocks once per job, not
// once per stage.
//
// Tasks go to free workers first (dynamic load balancing); when every worker
// is busy, each also holds the next task in its mailbox, so that it starts it
// without a round trip through this actor (on 2 cores that round trip waits
// for a core; grep over 4 MiB blocks gained ~10 % capacity). A task
// queued behind a long one is not stuck there: a worker that falls idle with
// nothing left to start is sent a copy, and the two copies share a claim, so
// that whichever worker starts first runs it and the other skips it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <optional>

#include "actors/actors.hpp"

namespace rill {

namespace {

struct stage_state {
  std::function<void(stage_result&)> done;  // called once, with the outputs or the error
  std::vector<TaskPtr> tasks;
  std::vector<TaskOutput> outputs;
  std::vector<bool> finished;  // [task] ran (or failed) on some worker
  size_t remaining = 0;   // tasks not yet finished
  size_t in_flight = 0;   // task copies sent to workers, not yet answered
  std::string error;      // the first failure; no task starts after it
};

struct batch_state {
  BatchInfo info;
  size_t remaining_jobs = 0;
};

struct queued_job {
  std::shared_ptr<const Job> job;
};

// A submitted job on its way through its map stages to its own tasks.
struct running_job {
  caf::response_promise promise;
  std::vector<ShuffleDependencyBase*> map_stages;  // those missing when it came, in the order they run
  size_t next = 0;                                 // the first not known to have run
  std::vector<TaskPtr> tasks;
};

// Tasks sent to one partition worker and not yet answered, at most: the one
// it runs and the one it starts next.
constexpr int kTasksPerWorker = 2;

// A task sent to a busy worker, which may not have started it yet.
struct queued_task {
  uint64_t stage = 0;
  size_t index = 0;
  std::shared_ptr<std::atomic<bool>> claim;
};

struct job_scheduler_state {
  JobSchedulerSetup setup;
  // Tasks.
  std::deque<size_t> idle_workers;         // running nothing, the longest idle first
  std::vector<int> sent;                   // [worker] tasks sent, not yet answered
  size_t next_queued = 0;                  // where the search for a busy worker to queue at starts
  std::deque<queued_task> queued;          // oldest first; entries go once claimed
  std::deque<std::pair<uint64_t, size_t>> pending_tasks;  // (stage, task index)
  std::map<uint64_t, stage_state> stages;
  uint64_t next_stage = 0;
  // Submitted jobs, and the map stages running for them: by shuffle, the
  // jobs waiting for it (the first started it).
  std::map<uint64_t, running_job> running_jobs_by_id;
  uint64_t next_job = 0;
  std::map<const ShuffleDependencyBase*, std::vector<uint64_t>> map_stages_running;
  // Jobs.
  std::deque<size_t> idle_runners;
  std::deque<queued_job> job_queue;
  size_t running_jobs = 0;
  std::map<int64_t, batch_state> batches;
  std::vector<batch_done_listener_actor> batch_done_subscribers;
  std::vector<caf::response_promise> idle_waiters;
};

using scheduler_actor = caf::stateful_actor<job_scheduler_state, job_scheduler_actor::base>;

// Queues `tasks` as a stage; `done` gets its outputs or error.
void add_stage(scheduler_actor* self, std::vector<TaskPtr> tasks, std::function<void(stage_result&)> done);
void dispatch_tasks(scheduler_actor* self);

// Runs job `id` on from where it stands: its next map stage (or waits for
// it, when another job started it), else its own tasks.
void advance_job(scheduler_actor* self, uint64_t id) {
  auto& st = self->state;
  auto it = st.running_jobs_by_id.find(id);
  if (it == st.running_jobs_by_id.end()) return;
  running_job& job = it->second;
  while (job.next < job.map_stages.size()) {
    ShuffleDependencyBase* shuffle = job.map_stages[job.next];
    if (shuffle->has_map_outputs()) {
      ++job.next;
      continue;
    }
    auto running = st.map_stages_running.find(shuffle);
    if (running != st.map_stages_running.end()) {
      spdlog::debug("job {} waits for the map stage of shuffle {}, which another job started", id,
                    shuffle->name().to_string());
      running->second.push_back(id);
      return;
    }
    st.map_stages_running[shuffle] = {id};
    add_stage(self, map_stage_tasks(shuffle), [=](stage_result& r) {
      auto& st = self->state;
      auto waiting = std::move(st.map_stages_running[shuffle]);
      st.map_stages_running.erase(shuffle);
      if (r.error.empty()) shuffle->set_map_outputs(std::move(r.outputs));
      for (uint64_t job_id : waiting) {
        if (r.error.empty()) {
          advance_job(self, job_id);
          continue;
        }
        auto j = st.running_jobs_by_id.find(job_id);
        if (j == st.running_jobs_by_id.end()) continue;
        auto promise = std::move(j->second.promise);
        st.running_jobs_by_id.erase(j);
        promise.deliver(stage_result{{}, r.error});
      }
    });
    return;
  }
  auto promise = job.promise;
  auto tasks = std::move(job.tasks);
  st.running_jobs_by_id.erase(it);
  if (tasks.empty()) {
    promise.deliver(stage_result{});
    return;
  }
  add_stage(self, std::move(tasks), [promise](stage_result& r) mutable { promise.deliver(std::move(r)); });
}

void publish(scheduler_actor* self, std::function<void(StreamingListener&)> fn) {
  self->send(self->state.setup.listener_bus, event_atom::value, listener_event{std::move(fn)});
}

void finish_task(scheduler_actor* self, size_t worker, uint64_t stage_id, size_t index,
                 task_result& r) {
  auto& st = self->state;
  if (--st.sent[worker] == 0) st.idle_workers.push_back(worker);
  auto it = st.stages.find(stage_id);
  if (it != st.stages.end()) {
    auto& stage = it->second;
    --stage.in_flight;
    if (!r.not_run && !stage.finished[index]) {
      stage.finished[index] = true;
      --stage.remaining;
      if (!r.error.empty() && stage.error.empty()) {
        stage.error = r.error;
        // Its tasks queued at workers are skipped there: claimed here.
        for (auto& q : st.queued)
          if (q.stage == stage_id) q.claim->store(true);
      }
      if (r.error.empty() && stage.error.empty()) stage.outputs[index] = std::move(r.output);
    }
    // A failed stage starts no more tasks, but its result waits for the
    // tasks still running: they use the stage's RDDs and shuffles, which the
    // caller may free as soon as it has the result. A finished stage is
    // erased before its result is delivered, for the same reason. (A copy
    // still queued then never runs: its claim is taken.)
    bool done = stage.error.empty() ? stage.remaining == 0 : stage.in_flight == 0;
    if (done) {
      auto on_done = std::move(stage.done);
      stage_result result{{}, stage.error};
      if (stage.error.empty()) result.outputs = std::move(stage.outputs);
      st.stages.erase(it);
      on_done(result);
    }
  }
  st.queued.erase(std::remove_if(st.queued.begin(), st.queued.end(),
                                 [](const queued_task& q) { return q.claim->load(); }),
                  st.queued.end());
  dispatch_tasks(self);
}

// A worker for the next task: an idle one (the longest idle), else a busy
// one with room in its mailbox (taking turns).
std::optional<size_t> pick_worker(job_scheduler_state& st) {
  if (!st.idle_workers.empty()) {
    size_t worker = st.idle_workers.front();
    st.idle_workers.pop_front();
    return worker;
  }
  const size_t n = st.sent.size();
  for (size_t k = 0; k < n; ++k) {
    size_t worker = (st.next_queued + k) % n;
    if (st.sent[worker] < kTasksPerWorker) {
      st.next_queued = (worker + 1) % n;
      return worker;
    }
  }
  return std::nullopt;
}

void send_task(scheduler_actor* self, size_t worker, uint64_t stage_id, size_t index,
               std::shared_ptr<std::atomic<bool>> claim) {
  auto& st = self->state;
  auto& stage = st.stages.at(stage_id);
  ++st.sent[worker];
  ++stage.in_flight;
  spdlog::debug("stage {}: task for partition {} on partition worker {}{}", stage_id,
                stage.tasks[index]->partition, worker, claim ? " (may be claimed elsewhere)" : "");
  self->request(st.setup.workers[worker], kNoDeadlineInEngine, run_task_atom::value,
                task_msg{stage.tasks[index], std::move(claim)})
      .then(
          [=](task_result& r) { finish_task(self, worker, stage_id, index, r); },
          [=](caf::error& e) {
            task_result r{{}, "partition worker " + std::to_string(worker) +
                                  " failed: " + self->system().render(e)};
            finish_task(self, worker, stage_id, index, r);
          });
}

bool stage_open(const job_scheduler_state& st, uint64_t stage_id) {
  auto it = st.stages.find(stage_id);
  return it != st.stages.end() && it->second.error.empty();
}

void dispatch_tasks(scheduler_actor* self) {
  auto& st = self->state;
  while (!st.pending_tasks.empty()) {
    auto [stage_id, index] = st.pending_tasks.front();
    if (!stage_open(st, stage_id)) {  // the stage failed meanwhile
      st.pending_tasks.pop_front();
      continue;
    }
    auto picked = pick_worker(st);
    if (!picked) break;
    st.pending_tasks.pop_front();
    std::shared_ptr<std::atomic<bool>> claim;
    if (st.sent[*picked] > 0) {  // queued behind a running task
      claim = std::make_shared<std::atomic<bool>>(false);
      st.queued.push_back({stage_id, index, claim});
    }
    send_task(self, *picked, stage_id, index, std::move(claim));
  }
  // Nothing left to start: idle workers take over queued tasks not started yet.
  while (!st.idle_workers.empty() && !st.queued.empty()) {
    queued_task q = std::move(st.queued.front());
    st.queued.pop_front();
    if (q.claim->load() || !stage_open(st, q.stage)) continue;
    size_t worker = st.idle_workers.front();
    st.idle_workers.pop_front();
    send_task(self, worker, q.stage, q.index, std::move(q.claim));
  }
}

void add_stage(scheduler_actor* self, std::vector<TaskPtr> tasks, std::function<void(stage_result&)> done) {
  auto& st = self->state;
  if (tasks.empty()) {  // an RDD of no partitions: nothing to run
    stage_result none;
    done(none);
    return;
  }
  uint64_t id = st.next_stage++;
  auto& stage = st.stages[id];
  stage.done = std::move(done);
  stage.outputs.resize(tasks.size());
  stage.finished.assign(tasks.size(), false);
  stage.remaining = tasks.size();
  stage.tasks = std::move(tasks);
  for (size_t i = 0; i < stage.tasks.size(); ++i) st.pending_tasks.emplace_back(id, i);
  dispatch_tasks(self);
}

bool is_idle(const job_scheduler_state& st) {
  return st.job_queue.empty() && st.running_jobs == 0;
}

void notify_if_idle(scheduler_actor* self) {
  auto& st = self->state;
  if (!is_idle(st)) return;
  for (auto& p : st.idle_waiters) p.deliver(true);
  st.idle_waiters.clear();
}

void complete_batch(scheduler_actor* self, int64_t time_ms) {
  auto& st = self->state;
  auto it = st.batches.find(time_ms);
  if (it == st.batches.end()) return;
  BatchInfo info = std::move(it->second.info);
  st.batches.erase(it);
  if (!info.processing_start_time_ms) info.processing_start_time_ms = wall_clock_ms();
  info.processing_end_time_ms = wall_clock_ms();
  spdlog::info("batch {} ms: {} records, scheduling delay {} ms, processing time {} ms, total delay {} ms",
               time_ms, info.num_records(), info.scheduling_delay().value_or(0),
               info.processing_delay().value_or(0), info.total_delay().value_or(0));
  publish(self, [info](StreamingListener& l) { l.on_batch_completed(info); });
  for (auto& sub : st.batch_done_subscribers) self->send(sub, batch_done_atom::value, batch_done_msg{info});
}

void start_jobs(scheduler_actor* self);

void finish_job(scheduler_actor* self, size_t runner, std::shared_ptr<const Job> job,
                OutputOperationInfo op, const job_result& r) {
  auto& st = self->state;
  st.idle_runners.push_back(runner);
  --st.running_jobs;
  op.start_time_ms = r.start_ms;
  op.end_time_ms = r.end_ms;
  int64_t t = job->time.milliseconds();
  auto it = st.batches.find(t);
  if (!r.error.empty()) {
    op.failure = r.error;
    spdlog::error("job of output operation {} ({}) for batch {} ms failed: {}", op.id, op.name, t,
                  r.error);
    if (it != st.batches.end() && !it->second.info.failure) it->second.info.failure = r.error;
    if (st.setup.on_job_error) st.setup.on_job_error(std::to_string(t) + " ms", r.error);
  }
  publish(self, [op](StreamingListener& l) { l.on_output_operation_completed(op); });
  if (it != st.batches.end() && --it->second.remaining_jobs == 0) complete_batch(self, t);
  start_jobs(self);
  notify_if_idle(self);
}

void start_jobs(scheduler_actor* self) {
  auto& st = self->state;
  while (!st.job_queue.empty() && !st.idle_runners.empty()) {
    auto job = st.job_queue.front().job;
    st.job_queue.pop_front();
    size_t runner = st.idle_runners.front();
    st.idle_runners.pop_front();
    ++st.running_jobs;
    int64_t t = job->time.milliseconds();
    auto it = st.batches.find(t);
    if (it != st.batches.end() && !it->second.info.processing_start_time_ms) {
      it->second.info.processing_start_time_ms = wall_clock_ms();
      BatchInfo info = it->second.info;
      publish(self, [info](StreamingListener& l) { l.on_batch_started(info); });
    }
    OutputOperationInfo op;
    op.batch_time = job->time;
    op.id = job->output_id;
    op.name = job->name;
    op.start_time_ms = wall_clock_ms();
    publish(self, [op](StreamingListener& l) { l.on_output_operation_started(op); });
    self->request(st.setup.job_runners[runner], kNoDeadlineInEngine, run_job_atom::value, job_msg{job})
        .then([=](const job_result& r) { finish_job(self, runner, job, op, r); },
              [=](caf::error& e) {
                finish_job(self, runner, job, op,
                           job_result{0, wall_clock_ms(), "job runner failed: " + self->system().render(e)});
              });
  }
}

job_scheduler_actor::behavior_type job_scheduler(scheduler_actor* self, JobSchedulerSetup setup) {
  name_failures(self, "job_scheduler");
  auto& st = self->state;
  st.setup = std::move(setup);
  for (size_t i = 0; i < st.setup.workers.size(); ++i) st.idle_workers.push_back(i);
  st.sent.assign(st.setup.workers.size(), 0);
  for (size_t i = 0; i < st.setup.job_runners.size(); ++i) st.idle_runners.push_back(i);
  return {
      [=](submit_job_atom, job_submission& m) -> caf::result<stage_result> {
        auto& st = self->state;
        uint64_t id = st.next_job++;
        running_job& job = st.running_jobs_by_id[id];
        job.promise = self->make_response_promise();
        job.map_stages = missing_shuffles(*m.final);
        job.tasks = std::move(m.tasks);
        advance_job(self, id);
        return caf::delegated<stage_result>();
      },
      [=](run_stage_atom, stage_msg& m) -> caf::result<stage_result> {
        if (m.tasks.empty()) return stage_result{};
        auto promise = self->make_response_promise();
        add_stage(self, std::move(m.tasks), [promise](stage_result& r) mutable { promise.deliver(std::move(r)); });
        return caf::delegated<stage_result>();
      },
      [=](job_set_atom, job_set_msg& m) {
        auto& st = self->state;
        int64_t t = m.time.milliseconds();
        auto& batch = st.batches[t];
        batch.info.batch_time = m.time;
        batch.info.records_per_stream = m.records_per_stream;
        batch.info.flow_per_stream = m.flow_per_stream;
        batch.info.submission_time_ms = m.submission_time_ms;
        batch.info.num_output_operations = static_cast<int>(m.jobs.size());
        batch.remaining_jobs = m.jobs.size();
        BatchInfo info = batch.info;
        publish(self, [info](StreamingListener& l) { l.on_batch_submitted(info); });
        if (m.jobs.empty()) {
          complete_batch(self, t);
          return;
        }
        for (auto& job : m.jobs) st.job_queue.push_back({std::make_shared<const Job>(std::move(job))});
        start_jobs(self);
      },
      [=](batch_done_atom, const batch_done_listener_actor& subscriber) {
        self->state.batch_done_subscribers.push_back(subscriber);
      },
      // Replies true once no job is queued or running.
      [=](idle_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (is_idle(st)) return true;
        st.idle_waiters.push_back(self->make_response_promise());
        return caf::delegated<bool>();
      },
      // A non-graceful stop: drops the queued jobs of every batch none of
      // whose jobs has started. A batch already under way runs to its end,
      // so a stop never leaves a batch whose outputs ran but which never
      // completed (its state checkpoint job dropped, the last metadata
      // checkpoint would not cover the output that was written).
      [=](stop_atom) {
        auto& st = self->state;
        auto under_way = [&](int64_t t) {
          auto b = st.batches.find(t);
          return b != st.batches.end() && b->second.info.processing_start_time_ms.has_value();
        };
        std::deque<queued_job> kept;
        for (auto& q : st.job_queue) {
          const int64_t t = q.job->time.milliseconds();
          if (under_way(t))
            kept.push_back(std::move(q));
          else
            st.batches.erase(t);
        }
        st.job_queue = std::move(kept);
        notify_if_idle(self);
      },
  };
}
}  // namespace

job_scheduler_actor spawn_job_scheduler(caf::actor_system& sys, JobSchedulerSetup setup) {
  return sys.spawn(job_scheduler, std::move(setup));
}

}  // namespace rill
