// receiver_tracker: starts every receiver stream's receiver (here, or on a
// cluster's workers round-robin), collects the blocks they report, allocates them to batches
// when the job generator asks, and returns block credits (and their bytes) to
// each block generator once the batch its blocks went into has completed.
//
// Rates: a receiver starts at rill.streaming.receiver.maxRate (0: unlimited),
// or, with rill.streaming.backpressure.enabled, at
// rill.streaming.backpressure.initialRate capped by maxRate. With
// backpressure, after every completed batch a PIDRateEstimator per input
// stream turns the batch's records, processing delay and scheduling delay
// into a new rate, which is pushed to the receiver (capped by maxRate), as
// Spark's RateController does.
//
// A worker running receivers may be lost (the tracker monitors its receiver
// host). Each of its receivers starts again on a live worker after
// rill.streaming.receiverRestartDelay, numbering its blocks from a fresh
// base; a socket receiver connects to its source again. The blocks it had
// reported stay allocated: their batches read them from their copies.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "actors/actors.hpp"
#include "actors/remote_blocks.hpp"
#include "actors/supervisor_bridge.hpp"
#include "operators/dstream/dstream_base.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/pid_rate_estimator.hpp"

namespace rill {

namespace {

// How long the tracker waits for a worker's receiver to stop (its last block
// reported) before going on without it.
constexpr std::chrono::seconds kRemoteStopTimeout{30};

// A receiver this tracker started: here (supervisor, generator, bridge) or
// on a worker (its receiver host).
struct tracked_receiver {
  caf::actor supervisor;
  caf::actor block_generator;
  std::shared_ptr<SupervisorBridge> bridge;
  caf::actor host;           // a worker's receiver host, for a receiver placed there
  std::string location;      // "driver" or the worker's node id
  int64_t remote_rate = 0;   // the rate last given to a worker's receiver
  std::optional<PIDRateEstimator> estimator;  // with backpressure
  int64_t rate() const { return bridge ? bridge->rate() : remote_rate; }
};

struct queued {
  int64_t blocks = 0;
  int64_t bytes = 0;
};

struct receiver_tracker_state {
  ReceiverTrackerSetup setup;
  size_t next_worker = 0;  // round-robin over the workers
  int64_t placements = 0;  // receivers placed on workers so far (each numbers its blocks from its own base)
  std::map<int, tracked_receiver> receivers;
  std::map<int32_t, std::vector<block_meta>> unallocated;  // by stream, in report order
  std::map<int64_t, std::map<int, queued>> allocated;  // batch -> stream -> blocks not yet completed
  int64_t max_rate = 0;
  bool stopped = false;
};
using tracker_actor = receiver_tracker_actor::stateful_base<receiver_tracker_state>;
// A typed actor may send() only to typed actors: the one-way messages to
// the untyped receiver hosts and block generators go by anon_send (none
// is answered, and none needs to know its sender).

// Starts the receiver of `stream` on the next of `homes` (round-robin),
// its copies going to the workers after it.
void place_on_worker(tracker_actor* self, ReceiverStreamBase& stream, tracked_receiver& tracked,
                     const std::vector<worker_home>& homes, int64_t rate) {
  auto& st = self->state;
  const size_t at = st.next_worker++ % homes.size();
  const worker_home& home = homes[at];
  receiver_start_msg m;
  m.stream_id = stream.stream_id();
  // Block ids stay unique across nodes: each placement numbers its blocks
  // from its own base (the driver's own blocks are numbered below 2^40).
  m.block_id_base = (++st.placements) << 40;
  m.initial_rate = rate;
  m.tracker = caf::actor_cast<caf::actor>(self);
  for (size_t k = 1; k < homes.size(); ++k) m.replica_homes.push_back(homes[(at + k) % homes.size()]);
  caf::anon_send(home.receiver_host, receiver_atom::value, std::move(m));
  self->monitor(home.receiver_host);
  tracked.host = home.receiver_host;
  tracked.location = home.node_id;
  tracked.remote_rate = rate;
}

// The worker running these receivers is gone: each starts again elsewhere
// after the restart delay. Credits of its blocks in batches not yet done have
// no generator to go back to.
void receivers_lost(tracker_actor* self, const caf::actor_addr& host, const caf::error& reason) {
  auto& st = self->state;
  if (st.stopped) return;  // the workers are stopping with the context
  const auto delay = st.setup.config->get(keys::receiver_restart_delay);
  for (auto& [id, r] : st.receivers) {
    if (!r.host || r.host.address() != host) continue;
    spdlog::warn("receiver of stream {} lost with worker {} ({}); starting it again on another worker in {} ms", id,
                 r.location, self->system().render(reason), delay.milliseconds());
    r.host = nullptr;
    r.location = "lost";
    for (auto& [t, streams] : st.allocated) streams.erase(id);
    self->delayed_send(self, std::chrono::milliseconds(delay.milliseconds()), restart_atom::value,
                       static_cast<int32_t>(id));
  }
}

void restart_receiver(tracker_actor* self, int32_t id) {
  auto& st = self->state;
  if (st.stopped) return;
  auto r = st.receivers.find(id);
  ReceiverStreamBase* stream = st.setup.graph->receiver_stream(id);
  if (r == st.receivers.end() || r->second.host || !stream) return;
  const auto delay = st.setup.config->get(keys::receiver_restart_delay);
  self->request(st.setup.cluster_master, std::chrono::seconds(10), homes_atom::value)
      .then(
          [=](std::vector<worker_home>& homes) {
            auto& st = self->state;
            auto it = st.receivers.find(id);
            if (st.stopped || it == st.receivers.end() || it->second.host) return;
            if (homes.empty()) {
              spdlog::warn("no worker is left to run the receiver of stream {}; trying again in {} ms", id,
                           delay.milliseconds());
              self->delayed_send(self, std::chrono::milliseconds(delay.milliseconds()), restart_atom::value, id);
              return;
            }
            place_on_worker(self, *stream, it->second, homes, it->second.remote_rate);
            spdlog::info("receiver of {} started again on worker {}", stream->stream_name(), it->second.location);
          },
          [=](caf::error& e) {
            spdlog::warn("asking for the workers to restart the receiver of stream {} on failed ({}); trying again",
                         id, self->system().render(e));
            self->delayed_send(self, std::chrono::milliseconds(delay.milliseconds()), restart_atom::value, id);
          });
}

void start_receivers(tracker_actor* self) {
  auto& st = self->state;
  const Config& conf = *st.setup.config;
  st.max_rate = conf.get(keys::receiver_max_rate);
  const bool backpressure = conf.get(keys::backpressure_enabled);
  const int64_t initial_rate = initial_receiver_rate(conf);
  const int64_t batch_ms = st.setup.graph->batch_duration().milliseconds();
  // Round-robin over the workers (the guide: "receivers are allocated to
  // executors in a round robin fashion"); a write-ahead log's files are the
  // driver's, so with the log every receiver stays here.
  const bool on_workers = !st.setup.workers.empty() && st.setup.write_ahead_log_root.empty();
  if (!st.setup.workers.empty() && !on_workers)
    spdlog::info("receivers run on the driver: the receiver write-ahead log is written there");
  for (const auto& stream : st.setup.graph->receiver_streams()) {
    tracked_receiver tracked;
    if (on_workers && stream->stream().computable_by_workers()) {
      place_on_worker(self, *stream, tracked, st.setup.workers, initial_rate);
      spdlog::info("receiver of {} placed on worker {}", stream->stream_name(), tracked.location);
    } else {
      ReceiverLaunch launch;
      launch.stream = stream.get();
      launch.config = &conf;
      launch.batch = st.setup.graph->batch_duration();
      launch.gateway = st.setup.gateway;
      launch.received = st.setup.received;
      launch.tracker = caf::actor_cast<caf::actor>(self);
      launch.reporter = launch.tracker;
      launch.location = "driver";
      launch.initial_rate = initial_rate;
      launch.write_ahead_log_root = st.setup.write_ahead_log_root;
      auto launched = launch_receiver(self, launch);
      tracked.supervisor = launched.supervisor;
      tracked.block_generator = launched.block_generator;
      tracked.bridge = launched.bridge;
      tracked.location = "driver";
    }
    if (backpressure)
      tracked.estimator.emplace(batch_ms, conf.get(keys::pid_proportional),
                                conf.get(keys::pid_integral),
                                conf.get(keys::pid_derived),
                                conf.get(keys::pid_min_rate));
    st.receivers.emplace(stream->stream_id(), std::move(tracked));
    st.unallocated[stream->stream_id()];
  }
}

void set_rate(tracker_actor* self, int stream, tracked_receiver& r, int64_t rate) {
  if (r.bridge) {
    r.bridge->set_rate(rate);
    return;
  }
  r.remote_rate = rate;
  caf::anon_send(r.host, rate_atom::value, static_cast<int32_t>(stream), rate);
}

// Blocks and bytes received per stream whose batch has not completed.
std::map<int, InputFlowInfo> flow_of(const receiver_tracker_state& st) {
  std::map<int, InputFlowInfo> flow;
  for (const auto& [id, r] : st.receivers) flow[id].rate_limit = r.rate();
  for (const auto& [id, blocks] : st.unallocated)
    for (const auto& b : blocks) {
      ++flow[id].queued_blocks;
      flow[id].queued_bytes += block_bytes(b);
    }
  for (const auto& [t, streams] : st.allocated)
    for (const auto& [id, q] : streams) {
      flow[id].queued_blocks += q.blocks;
      flow[id].queued_bytes += q.bytes;
    }
  return flow;
}

// Spark's RateController: a new rate from the completed batch.
void update_rates(tracker_actor* self, const BatchInfo& info) {
  auto& st = self->state;
  if (!info.processing_end_time_ms) return;
  for (auto& [id, r] : st.receivers) {
    if (!r.estimator) continue;
    auto it = info.records_per_stream.find(id);
    int64_t records = it == info.records_per_stream.end() ? 0 : it->second;
    auto rate = r.estimator->compute(*info.processing_end_time_ms, records, info.processing_delay().value_or(0),
                                     info.scheduling_delay().value_or(0));
    if (!rate) continue;
    double capped = st.max_rate > 0 ? std::min(*rate, static_cast<double>(st.max_rate)) : *rate;
    int64_t new_rate = std::max<int64_t>(1, std::llround(capped));
    spdlog::debug("stream {}: backpressure sets the rate to {} records/s", id, new_rate);
    set_rate(self, id, r, new_rate);
  }
}

receiver_tracker_actor::behavior_type receiver_tracker(tracker_actor* self, ReceiverTrackerSetup setup) {
  name_failures(self, "receiver_tracker");
  self->state.setup = std::move(setup);
  self->set_down_handler([=](caf::down_msg& dm) { receivers_lost(self, dm.source, dm.reason); });
  return {
      [=](start_atom) { start_receivers(self); },
      [=](restart_atom, int32_t id) { restart_receiver(self, id); },
      // A block a receiver stored, here or on a worker (its info names the
      // holder): it waits for the next batch.
      [=](block_atom, block_meta& m) -> caf::result<bool> {
        auto& st = self->state;
        if (!st.receivers.count(m.stream_id)) {
          const std::string why = (m.node.empty() ? std::string("a receiver") : "worker " + m.node) +
                                  " reported block " + std::to_string(m.id) + " of stream " +
                                  std::to_string(m.stream_id) + ", which has no receiver placed there";
          spdlog::error("{}", why);
          return caf::make_error(caf::sec::invalid_argument, why);
        }
        if (m.chunk_bytes.size() != m.chunk_encodings.size()) {
          const std::string why = "block " + std::to_string(m.id) + " reported by " + m.node +
                                  " has a malformed description (chunk sizes and encodings differ in number)";
          spdlog::error("{}", why);
          return caf::make_error(caf::sec::invalid_argument, why);
        }
        st.unallocated[m.stream_id].push_back(std::move(m));
        return true;
      },
      // A receiver's listener event (from here or from a worker).
      [=](receiver_atom, const receiver_report& r) {
        ReceiverInfo info;
        info.stream_id = r.stream_id;
        info.name = r.name;
        info.active = r.active;
        info.last_error = r.last_error;
        info.rate_limit = r.rate_limit;
        info.location = r.location;
        const auto kind = r.kind;
        self->send(self->state.setup.listener_bus, event_atom::value,
                   listener_event{[info, kind](StreamingListener& l) {
                     if (kind == receiver_report::started)
                       l.on_receiver_started(info);
                     else if (kind == receiver_report::stopped)
                       l.on_receiver_stopped(info);
                     else
                       l.on_receiver_error(info);
                   }});
      },
      [=](allocate_atom, int64_t t) -> allocation_msg {
        auto& st = self->state;
        allocation_msg out;
        auto& recovered = st.setup.graph->blocks();
        // Blocks read back from the write-ahead log are this node's like any
        // other: into its index, and allocated by their infos.
        auto here = [&](const std::vector<ReceivedBlockPtr>& blocks) {
          std::vector<block_meta> infos;
          for (const auto& b : blocks) {
            st.setup.received->put(b);
            infos.push_back(describe_block(*b, caf::actor{}, "driver"));
          }
          return infos;
        };
        for (auto& [id, queue] : st.unallocated) {
          auto& blocks = out.blocks[id];
          // A batch regenerated after a restart gets the blocks it had.
          if (auto before = recovered.take_recovered_allocation(id, Time(t))) {
            blocks = here(*before);
            continue;
          }
          // Blocks logged before a restart and never allocated come first.
          blocks = here(recovered.take_recovered_unallocated(id));
          if (queue.empty()) continue;
          auto& q = st.allocated[t][id];  // credits go back to the block generator
          for (const auto& b : queue) {
            ++q.blocks;
            q.bytes += block_bytes(b);
          }
          blocks.insert(blocks.end(), std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.end()));
          queue.clear();
        }
        out.flow = flow_of(st);
        return out;
      },
      [=](batch_done_atom, const batch_done_msg& m) {
        auto& st = self->state;
        update_rates(self, m.info);
        auto it = st.allocated.find(m.info.batch_time.milliseconds());
        if (it == st.allocated.end()) return;
        for (auto& [stream, q] : it->second) {
          auto r = st.receivers.find(stream);
          if (r == st.receivers.end()) continue;
          if (r->second.host)
            caf::anon_send(r->second.host, host_credit_atom::value, static_cast<int32_t>(stream),
                       static_cast<int32_t>(q.blocks), q.bytes);
          else
            caf::anon_send(r->second.block_generator, block_credit_atom::value, static_cast<int>(q.blocks), q.bytes);
        }
        st.allocated.erase(it);
      },
      // Received blocks not yet allocated to a batch.
      [=](pending_atom) {
        unallocated_blocks waiting;
        for (auto& kv : self->state.unallocated)
          for (const auto& b : kv.second) ++waiting.blocks, waiting.records += b.records;
        return waiting;
      },
      // Stops every receiver; replies once their last blocks are reported.
      [=](stop_atom) -> caf::result<bool> {
        auto& st = self->state;
        if (st.stopped || st.receivers.empty()) {
          st.stopped = true;
          return true;
        }
        st.stopped = true;
        auto promise = self->make_response_promise<bool>();
        auto remaining = std::make_shared<size_t>(st.receivers.size());
        auto one_stopped = [=]() mutable {
          if (--*remaining == 0) promise.deliver(true);
        };
        for (auto& [id, r] : st.receivers) {
          if (!r.host && !r.supervisor) {  // lost with its worker, not started again
            one_stopped();
          } else if (r.host) {
            // Its last block's meta arrives before this reply (one sender).
            const std::string where = r.location;
            self->request(r.host, kRemoteStopTimeout, stop_atom::value, static_cast<int32_t>(id))
                .then([=](bool) mutable { one_stopped(); },
                      [=](caf::error& e) mutable {
                        spdlog::warn("stopping the receiver of stream {} on worker {}: {}", id, where,
                                     self->system().render(e));
                        one_stopped();
                      });
          } else {
            self->request(r.supervisor, kNoDeadlineInEngine, stop_atom::value)
                .then([=](bool) mutable { one_stopped(); }, [=](caf::error&) mutable { one_stopped(); });
          }
        }
        return promise;
      },
  };
}
}  // namespace

receiver_tracker_actor spawn_receiver_tracker(caf::actor_system& sys, ReceiverTrackerSetup setup) {
  return sys.spawn(receiver_tracker, std::move(setup));
}

}  // namespace rill
