// job_scheduler: runs stages of tasks on the partition workers (each worker
// gets one task at a time, so a free worker takes the next task: dynamic load
// balancing, and no worker mailbox grows), and runs each batch's jobs on the
// job runners in output-operation order, rill.streaming.concurrentJobs at a
// time. Records each batch's submission, start and end times and publishes
// them to the listener bus; logs one line per completed batch.
#include <spdlog/spdlog.h>

#include <deque>
#include <map>

#include "actors/actors.hpp"

namespace rill {

namespace {

struct stage_state {
  caf::response_promise promise;
  std::vector<TaskPtr> tasks;
  std::vector<TaskOutput> outputs;
  size_t remaining = 0;   // tasks not yet finished
  size_t in_flight = 0;   // tasks running on a worker
  std::string error;      // the first failure; no task starts after it
};

struct batch_state {
  BatchInfo info;
  size_t remaining_jobs = 0;
};

struct queued_job {
  std::shared_ptr<const Job> job;
};

struct job_scheduler_state {
  JobSchedulerSetup setup;
  // Tasks.
  std::deque<size_t> idle_workers;
  std::deque<std::pair<uint64_t, size_t>> pending_tasks;  // (stage, task index)
  std::map<uint64_t, stage_state> stages;
  uint64_t next_stage = 0;
  // Jobs.
  std::deque<size_t> idle_runners;
  std::deque<queued_job> job_queue;
  size_t running_jobs = 0;
  std::map<int64_t, batch_state> batches;
  std::vector<caf::actor> batch_done_subscribers;
  std::vector<caf::response_promise> idle_waiters;
};

using scheduler_actor = caf::stateful_actor<job_scheduler_state>;

void publish(scheduler_actor* self, std::function<void(StreamingListener&)> fn) {
  self->send(self->state.setup.listener_bus, event_atom::value, listener_event{std::move(fn)});
}

void dispatch_tasks(scheduler_actor* self);

void finish_task(scheduler_actor* self, size_t worker, uint64_t stage_id, size_t index,
                 task_result& r) {
  auto& st = self->state;
  st.idle_workers.push_back(worker);
  auto it = st.stages.find(stage_id);
  if (it != st.stages.end()) {
    auto& stage = it->second;
    --stage.in_flight;
    --stage.remaining;
    if (!r.error.empty() && stage.error.empty()) stage.error = r.error;
    if (r.error.empty() && stage.error.empty()) stage.outputs[index] = std::move(r.output);
    // A failed stage starts no more tasks, but its result waits for the
    // tasks still running: they use the stage's RDDs and shuffles, which the
    // caller may free as soon as it has the result. A finished stage is
    // erased before its result is delivered, for the same reason.
    bool done = stage.error.empty() ? stage.remaining == 0 : stage.in_flight == 0;
    if (done) {
      auto promise = std::move(stage.promise);
      stage_result result{{}, stage.error};
      if (stage.error.empty()) result.outputs = std::move(stage.outputs);
      st.stages.erase(it);
      promise.deliver(std::move(result));
    }
  }
  dispatch_tasks(self);
}

void dispatch_tasks(scheduler_actor* self) {
  auto& st = self->state;
  while (!st.idle_workers.empty() && !st.pending_tasks.empty()) {
    auto [stage_id, index] = st.pending_tasks.front();
    st.pending_tasks.pop_front();
    auto it = st.stages.find(stage_id);
    if (it == st.stages.end() || !it->second.error.empty()) continue;  // the stage failed meanwhile
    size_t worker = st.idle_workers.front();
    st.idle_workers.pop_front();
    ++it->second.in_flight;
    spdlog::debug("stage {}: task for partition {} on partition worker {}", stage_id,
                  it->second.tasks[index]->partition, worker);
    self->request(st.setup.workers[worker], caf::infinite, run_task_atom::value,
                  task_msg{it->second.tasks[index]})
        .then(
            [=](task_result& r) { finish_task(self, worker, stage_id, index, r); },
            [=](caf::error& e) {
              task_result r{{}, "partition worker " + std::to_string(worker) +
                                    " failed: " + self->system().render(e)};
              finish_task(self, worker, stage_id, index, r);
            });
  }
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
    self->request(st.setup.job_runners[runner], caf::infinite, run_job_atom::value, job_msg{job})
        .then([=](const job_result& r) { finish_job(self, runner, job, op, r); },
              [=](caf::error& e) {
                finish_job(self, runner, job, op,
                           job_result{0, wall_clock_ms(), "job runner failed: " + self->system().render(e)});
              });
  }
}

caf::behavior job_scheduler(scheduler_actor* self, JobSchedulerSetup setup) {
  name_failures(self, "job_scheduler");
  auto& st = self->state;
  st.setup = std::move(setup);
  for (size_t i = 0; i < st.setup.workers.size(); ++i) st.idle_workers.push_back(i);
  for (size_t i = 0; i < st.setup.job_runners.size(); ++i) st.idle_runners.push_back(i);
  return {
      [=](run_stage_atom, stage_msg& m) -> caf::result<stage_result> {
        auto& st = self->state;
        if (m.tasks.empty()) return stage_result{};
        uint64_t id = st.next_stage++;
        auto& stage = st.stages[id];
        stage.promise = self->make_response_promise();
        stage.outputs.resize(m.tasks.size());
        stage.remaining = m.tasks.size();
        stage.tasks = std::move(m.tasks);
        for (size_t i = 0; i < stage.tasks.size(); ++i) st.pending_tasks.emplace_back(id, i);
        dispatch_tasks(self);
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
      [=](batch_done_atom, const caf::actor& subscriber) {
        self->state.batch_done_subscribers.push_back(subscriber);
      },
      // Replies true once no job is queued or running.
      [=](idle_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (is_idle(st)) return true;
        st.idle_waiters.push_back(self->make_response_promise());
        return caf::delegated<bool>();
      },
      // Drops jobs not yet started (non-graceful stop).
      [=](stop_atom) {
        auto& st = self->state;
        for (auto& q : st.job_queue) st.batches.erase(q.job->time.milliseconds());
        st.job_queue.clear();
        notify_if_idle(self);
      },
  };
}
}  // namespace

caf::actor spawn_job_scheduler(caf::actor_system& sys, JobSchedulerSetup setup) {
  return sys.spawn(job_scheduler, std::move(setup));
}

}  // namespace rill
