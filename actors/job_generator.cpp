// job_generator: the batch clock. For each batch time t, in order, it asks
// the receiver tracker to allocate the blocks received so far to t, has the
// graph generate the jobs of every output operation, and submits them to the
// job scheduler. When the scheduler reports a batch done, it clears the data
// no window or remember duration needs any more.
//
// System clock: absolute timers at each batch time (no drift). Manual clock:
// the clock's observer sends the new time; every due batch runs, one after
// the other.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "receivers/receiver_stream.hpp"

namespace rill {

namespace {
struct job_generator_state {
  JobGeneratorSetup setup;
  int64_t next_ms = 0;      // next batch time to generate
  int64_t target_ms = -1;   // generate every batch time up to this
  bool generating = false;  // an allocation request is out
  bool started = false;
  bool stopped = false;
};
using generator_actor = caf::stateful_actor<job_generator_state>;

void generate_due(generator_actor* self);

void generate_batch(generator_actor* self, int64_t t, BlockAllocation blocks, std::map<int, InputFlowInfo> flow) {
  auto& st = self->state;
  Time time(t);
  job_set_msg msg;
  msg.time = time;
  msg.submission_time_ms = wall_clock_ms();
  msg.flow_per_stream = std::move(flow);
  for (const auto& stream : st.setup.graph->receiver_streams())
    msg.records_per_stream[stream->stream_id()] = 0;
  for (const auto& kv : blocks)
    for (const auto& b : kv.second) msg.records_per_stream[kv.first] += b->num_records;
  if (spdlog::should_log(spdlog::level::debug)) {
    size_t n = 0;
    for (const auto& kv : blocks) n += kv.second.size();
    spdlog::debug("generating batch {} ms: {} blocks allocated", t, n);
  }
  st.setup.graph->blocks().put(time, blocks);
  try {
    msg.jobs = st.setup.graph->generate_jobs(time);
  } catch (const std::exception& e) {
    spdlog::error("generating the jobs of batch {} ms failed: {}", t, e.what());
    if (st.setup.on_error) st.setup.on_error(std::to_string(t) + " ms", e.what());
    msg.jobs.clear();
  }
  self->send(st.setup.scheduler, job_set_atom::value, std::move(msg));
}

void schedule_tick(generator_actor* self) {
  auto& st = self->state;
  int64_t delay = st.next_ms - st.setup.clock->now_ms();
  auto when = self->clock().now() + std::chrono::milliseconds(std::max<int64_t>(0, delay));
  self->scheduled_send(self, when, batch_tick_atom::value, st.next_ms);
}

// Generates the next due batch; its allocation reply triggers the one after.
void generate_due(generator_actor* self) {
  auto& st = self->state;
  if (st.generating || st.stopped || st.next_ms > st.target_ms) return;
  st.generating = true;
  int64_t t = st.next_ms;
  // The tracker is local and monitored by the engine: if it dies, the
  // request fails at once and the engine monitor fails the context.
  self->request(st.setup.tracker, caf::infinite, allocate_atom::value, t)
      .then(
          [=](allocation_msg& a) {
            auto& st = self->state;
            st.generating = false;
            if (st.stopped) return;
            generate_batch(self, t, std::move(a.blocks), std::move(a.flow));
            st.next_ms = t + st.setup.batch.milliseconds();
            generate_due(self);
          },
          [=](caf::error& e) {
            auto& st = self->state;
            st.generating = false;
            std::string why = "allocating blocks to the batch failed: " + self->system().render(e);
            spdlog::error("batch {} ms: {}", t, why);
            if (st.setup.on_error) st.setup.on_error(std::to_string(t) + " ms", why);
          });
}

caf::behavior job_generator(generator_actor* self, JobGeneratorSetup setup) {
  name_failures(self, "job_generator");
  self->state.setup = std::move(setup);
  return {
      [=](start_atom, int64_t first_ms) {
        auto& st = self->state;
        st.next_ms = first_ms;
        st.started = true;
        if (!st.setup.clock->is_manual()) schedule_tick(self);
      },
      [=](batch_tick_atom, int64_t t) {
        auto& st = self->state;
        if (st.stopped) return;
        st.target_ms = std::max(st.target_ms, t);
        generate_due(self);
        // The next tick: the first batch time after the one just due.
        int64_t next_due = st.target_ms + st.setup.batch.milliseconds();
        int64_t delay = next_due - st.setup.clock->now_ms();
        self->scheduled_send(self, self->clock().now() + std::chrono::milliseconds(std::max<int64_t>(0, delay)),
                             batch_tick_atom::value, next_due);
      },
      [=](clock_atom, int64_t now) {
        auto& st = self->state;
        if (!st.started || st.stopped) return;
        st.target_ms = std::max(st.target_ms, now);
        generate_due(self);
      },
      [=](batch_done_atom, const batch_done_msg& m) {
        try {
          self->state.setup.graph->clear_metadata(m.info.batch_time);
        } catch (const std::exception& e) {
          spdlog::warn("clearing metadata after batch {} failed: {}", m.info.batch_time.to_string(), e.what());
        }
      },
      // Stops generating; replies with the next batch time that was not generated.
      [=](stop_atom) -> int64_t {
        self->state.stopped = true;
        return self->state.next_ms;
      },
      // Replies true when every batch up to the last due one was generated.
      [=](idle_atom) -> bool {
        auto& st = self->state;
        return !st.generating;
      },
  };
}
}  // namespace

caf::actor spawn_job_generator(caf::actor_system& sys, JobGeneratorSetup setup) {
  return sys.spawn(job_generator, std::move(setup));
}

}  // namespace rill
