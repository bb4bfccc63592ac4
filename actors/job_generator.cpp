// job_generator: the batch clock. For each batch time t, in order, it asks
// the receiver tracker to allocate the blocks received so far to t, has the
// graph generate the jobs of every output operation, and submits them to the
// job scheduler. When the scheduler reports a batch done, it clears the data
// no window or remember duration needs any more.
//
// System clock: absolute timers at each batch time (no drift). Manual clock:
// the clock's observer sends the new time; every due batch runs, one after
// the other.
//
// With a checkpoint directory, a metadata checkpoint goes to the checkpoint
// writer after each batch is generated (its allocation recorded before its
// jobs run) and each time the completed prefix of batches grows (every batch
// at or before time C has completed): C, the batches generated but not
// completed, and every stream's recovery data (runtime/base/metadata_checkpoint.hpp).
#include <spdlog/spdlog.h>

#include <set>

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
  std::set<int64_t> in_flight;  // generated, not completed
  int64_t checkpointed_ms = -1; // the completed time of the last checkpoint sent
};
using generator_actor = job_generator_actor::stateful_base<job_generator_state>;

void generate_due(generator_actor* self);
std::optional<MetadataCheckpoint> make_checkpoint(generator_actor* self);

void generate_batch(generator_actor* self, int64_t t, allocation_msg allocation) {
  auto& st = self->state;
  Time time(t);
  job_set_msg msg;
  msg.time = time;
  msg.submission_time_ms = wall_clock_ms();
  msg.flow_per_stream = std::move(allocation.flow);
  for (const auto& stream : st.setup.graph->receiver_streams())
    msg.records_per_stream[stream->stream_id()] = 0;
  for (const auto& kv : allocation.blocks)
    for (const auto& b : kv.second) msg.records_per_stream[kv.first] += b.records;
  if (spdlog::should_log(spdlog::level::debug)) {
    size_t n = 0;
    for (const auto& kv : allocation.blocks) n += kv.second.size();
    spdlog::debug("generating batch {} ms: {} blocks allocated", t, n);
  }
  st.in_flight.insert(t);
  try {
    st.setup.graph->blocks().put(time, st.setup.blocks->resolve(allocation.blocks));
    msg.jobs = st.setup.graph->generate_jobs(time);
  } catch (const std::exception& e) {
    spdlog::error("generating the jobs of batch {} ms failed: {}", t, e.what());
    if (st.setup.on_error) st.setup.on_error(std::to_string(t) + " ms", e.what());
    msg.jobs.clear();
  }
  self->send(st.setup.scheduler, job_set_atom::value, std::move(msg));
  // As Spark does, a checkpoint after generating too: it records this
  // batch's allocation (its blocks, its files) before any of its jobs run,
  // so a restart regenerates it with the same input.
  if (st.setup.checkpoint_writer)
    if (auto c = make_checkpoint(self)) self->send(st.setup.checkpoint_writer, checkpoint_atom::value, std::move(*c));
}

// Every batch at or before this time has completed.
int64_t completed_ms(generator_actor* self) {
  auto& st = self->state;
  int64_t first_open = st.in_flight.empty() ? st.next_ms : *st.in_flight.begin();
  return first_open - st.setup.batch.milliseconds();
}

std::optional<MetadataCheckpoint> make_checkpoint(generator_actor* self) {
  auto& st = self->state;
  MetadataCheckpoint c = st.setup.checkpoint_base;
  c.time_ms = completed_ms(self);
  c.pending_batches.assign(st.in_flight.begin(), st.in_flight.end());
  try {
    st.setup.graph->add_checkpoint_data(c, Time(c.time_ms));
  } catch (const std::exception& e) {
    spdlog::error("collecting the metadata checkpoint of batch {} ms failed: {}", c.time_ms, e.what());
    if (st.setup.on_error) st.setup.on_error(std::to_string(c.time_ms) + " ms", e.what());
    return std::nullopt;
  }
  return c;
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
  self->request(st.setup.tracker, kNoDeadlineInEngine, allocate_atom::value, t)
      .then(
          [=](allocation_msg& a) {
            auto& st = self->state;
            st.generating = false;
            if (st.stopped) return;
            generate_batch(self, t, std::move(a));
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

job_generator_actor::behavior_type job_generator(generator_actor* self, JobGeneratorSetup setup) {
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
        auto& st = self->state;
        st.in_flight.erase(m.info.batch_time.milliseconds());
        if (st.setup.checkpoint_writer && completed_ms(self) > st.checkpointed_ms) {
          if (auto c = make_checkpoint(self)) {
            st.checkpointed_ms = c->time_ms;
            self->send(st.setup.checkpoint_writer, checkpoint_atom::value, std::move(*c));
          }
        }
        try {
          st.setup.graph->clear_metadata(m.info.batch_time);
        } catch (const std::exception& e) {
          spdlog::warn("clearing metadata after batch {} failed: {}", m.info.batch_time.to_string(), e.what());
        }
      },
      // Writes a checkpoint now (the last one of a stop); replies true once
      // it is on disk, or at once when there is no checkpoint directory.
      [=](checkpoint_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.setup.checkpoint_writer) return true;
        auto c = make_checkpoint(self);
        if (!c) return false;
        st.checkpointed_ms = c->time_ms;
        auto promise = self->make_response_promise<bool>();
        // The writer is local and watched by the engine monitor: if it dies,
        // the request fails at once.
        self->request(st.setup.checkpoint_writer, kNoDeadlineInEngine, checkpoint_atom::value, std::move(*c), true)
            .then([promise](bool written) mutable { promise.deliver(written); },
                  [promise](caf::error&) mutable { promise.deliver(false); });
        return promise;
      },
      // Stops generating; replies with the next batch time that was not generated.
      [=](stop_atom) -> int64_t {
        self->state.stopped = true;
        return self->state.next_ms;
      },
      // Replies true when every batch due by the clock's time now was
      // generated. (Not only the ticks seen: a restarted driver stopped at
      // once has batches due whose ticks have not fired yet, and a graceful
      // stop runs those too, as Spark's does up to its stop time.)
      [=](idle_atom) -> bool {
        auto& st = self->state;
        return !st.generating && (!st.started || st.stopped || st.next_ms > st.setup.clock->now_ms());
      },
  };
}
}  // namespace

job_generator_actor spawn_job_generator(caf::actor_system& sys, JobGeneratorSetup setup) {
  return sys.spawn(job_generator, std::move(setup));
}

}  // namespace rill
