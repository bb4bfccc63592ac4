// receiver_tracker: starts a supervisor and a block generator for every
// receiver stream, collects the blocks they report, allocates them to batches
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
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "actors/actors.hpp"
#include "actors/supervisor_bridge.hpp"
#include "receivers/receiver_log.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/pid_rate_estimator.hpp"

namespace rill {

namespace {
struct tracked_receiver {
  caf::actor supervisor;
  caf::actor block_generator;
  std::shared_ptr<SupervisorBridge> bridge;
  std::optional<PIDRateEstimator> estimator;  // with backpressure
};

struct queued {
  int64_t blocks = 0;
  int64_t bytes = 0;
};

struct receiver_tracker_state {
  ReceiverTrackerSetup setup;
  std::map<int, tracked_receiver> receivers;
  BlockAllocation unallocated;
  std::map<int64_t, std::map<int, queued>> allocated;  // batch -> stream -> blocks not yet completed
  int64_t max_rate = 0;
  bool stopped = false;
};
using tracker_actor = caf::stateful_actor<receiver_tracker_state>;

void start_receivers(tracker_actor* self) {
  auto& st = self->state;
  const Config& conf = *st.setup.config;
  int credits = static_cast<int>(conf.get_int("rill.flow.credits", 32));
  int64_t chunk = conf.get_int("rill.flow.chunkRecords", 4096);
  st.max_rate = conf.get_int("rill.streaming.receiver.maxRate", 0);
  bool backpressure = conf.get_bool("rill.streaming.backpressure.enabled", false);
  int64_t initial_rate = st.max_rate;
  if (backpressure) {
    int64_t initial = conf.get_int("rill.streaming.backpressure.initialRate", 0);
    if (initial > 0) initial_rate = st.max_rate > 0 ? std::min(initial, st.max_rate) : initial;
  }
  Duration block_interval = conf.get_duration("rill.streaming.blockInterval", Milliseconds(200));
  Duration restart_delay = conf.get_duration("rill.streaming.receiverRestartDelay", Seconds(2));
  const int64_t batch_ms = st.setup.graph->batch_duration().milliseconds();
  // Blocks wait for their batch to complete before their credit returns; by
  // default allow three batches' worth of interval-cut blocks, and as many
  // size-cut blocks as the byte bound holds (twice over), so the count bound
  // never throttles before the byte bound does. An explicit
  // rill.flow.credits rules.
  int64_t blocks_per_batch = (batch_ms + block_interval.milliseconds() - 1) / block_interval.milliseconds();
  int64_t block_max_bytes = conf.get_int("rill.streaming.blockMaxBytes", int64_t{4} << 20);
  int64_t max_in_flight = conf.get_int("rill.streaming.receiver.maxBytesInFlight", int64_t{64} << 20);
  int64_t by_bytes = 2 * ((max_in_flight + block_max_bytes - 1) / block_max_bytes);
  int block_credits =
      conf.contains("rill.flow.credits")
          ? credits
          : static_cast<int>(std::min<int64_t>(1 << 20, std::max({int64_t{credits}, 3 * blocks_per_batch, by_bytes})));
  for (const auto& stream : st.setup.graph->receiver_streams()) {
    std::shared_ptr<ReceiverBase> receiver = stream->make_receiver();
    if (!receiver) throw RillError(stream->stream_name() + ": the receiver factory returned null");
    auto bridge = std::make_shared<SupervisorBridge>(st.setup.gateway, credits, chunk, initial_rate);
    BlockGeneratorSetup bg;
    bg.stream_id = stream->stream_id();
    bg.receiver = receiver;
    bg.bridge = bridge;
    bg.block_manager = st.setup.block_manager;
    bg.tracker = caf::actor_cast<caf::actor>(self);
    if (!st.setup.write_ahead_log_root.empty()) {
      WalWriterSetup ws;
      ws.directory = receiver_log_directory(st.setup.write_ahead_log_root, stream->stream_id());
      ws.options.rolling_interval_ms =
          1000 * conf.get_int("rill.streaming.receiver.writeAheadLog.rollingIntervalSecs", 60);
      ws.options.fsync = conf.get_bool("rill.streaming.receiver.writeAheadLog.fsync", true);
      ws.encode = [stream](const ReceivedBlock& b) { return stream->encode_block(b); };
      bg.wal_writer = spawn_wal_writer(self->system(), std::move(ws));
      self->link_to(bg.wal_writer);
    }
    bg.block_interval = block_interval;
    bg.credits = block_credits;
    bg.block_max_bytes = block_max_bytes;
    bg.max_bytes_in_flight = max_in_flight;
    auto generator = spawn_block_generator(self->system(), std::move(bg));
    ReceiverSupervisorSetup rs;
    rs.stream_id = stream->stream_id();
    rs.name = stream->stream_name();
    rs.receiver = receiver;
    rs.bridge = bridge;
    rs.block_generator = generator;
    rs.listener_bus = st.setup.listener_bus;
    rs.restart_delay = restart_delay;
    auto supervisor = spawn_receiver_supervisor(self->system(), std::move(rs));
    // Linked: when the tracker exits, its receivers' actors exit with it.
    self->link_to(generator);
    self->link_to(supervisor);
    tracked_receiver tracked{supervisor, generator, bridge, std::nullopt};
    if (backpressure)
      tracked.estimator.emplace(batch_ms, conf.get_double("rill.streaming.backpressure.pid.proportional", 1.0),
                                conf.get_double("rill.streaming.backpressure.pid.integral", 0.2),
                                conf.get_double("rill.streaming.backpressure.pid.derived", 0.0),
                                conf.get_double("rill.streaming.backpressure.pid.minRate", 100));
    st.receivers.emplace(stream->stream_id(), std::move(tracked));
    st.unallocated[stream->stream_id()];
  }
}

// Blocks and bytes received per stream whose batch has not completed.
std::map<int, InputFlowInfo> flow_of(const receiver_tracker_state& st) {
  std::map<int, InputFlowInfo> flow;
  for (const auto& [id, r] : st.receivers) flow[id].rate_limit = r.bridge->rate();
  for (const auto& [id, blocks] : st.unallocated)
    for (const auto& b : blocks) {
      ++flow[id].queued_blocks;
      flow[id].queued_bytes += b->bytes;
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
    r.bridge->set_rate(new_rate);
  }
}

caf::behavior receiver_tracker(tracker_actor* self, ReceiverTrackerSetup setup) {
  name_failures(self, "receiver_tracker");
  self->state.setup = std::move(setup);
  return {
      [=](start_atom) { start_receivers(self); },
      [=](block_atom, const block_msg& m) {
        self->state.unallocated[m.block->stream_id].push_back(m.block);
      },
      [=](allocate_atom, int64_t t) -> allocation_msg {
        auto& st = self->state;
        allocation_msg out;
        auto& recovered = st.setup.graph->blocks();
        for (auto& [id, queue] : st.unallocated) {
          auto& blocks = out.blocks[id];
          // A batch regenerated after a restart gets the blocks it had.
          if (auto before = recovered.take_recovered_allocation(id, Time(t))) {
            blocks = std::move(*before);
            continue;
          }
          // Blocks logged before a restart and never allocated come first.
          blocks = recovered.take_recovered_unallocated(id);
          if (queue.empty()) continue;
          auto& q = st.allocated[t][id];  // credits go back to the block generator
          for (const auto& b : queue) {
            ++q.blocks;
            q.bytes += b->bytes;
          }
          blocks.insert(blocks.end(), queue.begin(), queue.end());
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
          if (r != st.receivers.end())
            self->send(r->second.block_generator, credit_atom::value, static_cast<int>(q.blocks), q.bytes);
        }
        st.allocated.erase(it);
      },
      // True while received blocks wait for a batch.
      // Received blocks not yet allocated to a batch: {blocks, records}.
      [=](pending_atom) -> std::vector<int64_t> {
        int64_t blocks = 0, records = 0;
        for (auto& kv : self->state.unallocated)
          for (const auto& b : kv.second) ++blocks, records += b->num_records;
        return {blocks, records};
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
        for (auto& kv : st.receivers) {
          self->request(kv.second.supervisor, caf::infinite, stop_atom::value)
              .then([=](bool) mutable {
                if (--*remaining == 0) promise.deliver(true);
              },
                    [=](caf::error&) mutable {
                      if (--*remaining == 0) promise.deliver(true);
                    });
        }
        return promise;
      },
  };
}
}  // namespace

caf::actor spawn_receiver_tracker(caf::actor_system& sys, ReceiverTrackerSetup setup) {
  return sys.spawn(receiver_tracker, std::move(setup));
}

}  // namespace rill
