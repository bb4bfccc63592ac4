// receiver_tracker: starts a supervisor and a block generator for every
// receiver stream, collects the blocks they report, allocates them to batches
// when the job generator asks, and returns block credits to each block
// generator once the batch its blocks went into has completed.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/supervisor_bridge.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/errors.hpp"

namespace rill {

namespace {
struct tracked_receiver {
  caf::actor supervisor;
  caf::actor block_generator;
  std::shared_ptr<SupervisorBridge> bridge;
};

struct receiver_tracker_state {
  ReceiverTrackerSetup setup;
  std::map<int, tracked_receiver> receivers;
  BlockAllocation unallocated;
  std::map<int64_t, std::map<int, int>> blocks_per_batch;  // batch -> stream -> blocks
  bool stopped = false;
};
using tracker_actor = caf::stateful_actor<receiver_tracker_state>;

void start_receivers(tracker_actor* self) {
  auto& st = self->state;
  const Config& conf = *st.setup.config;
  int credits = static_cast<int>(conf.get_int("rill.flow.credits", 32));
  int64_t chunk = conf.get_int("rill.flow.chunkRecords", 4096);
  int64_t max_rate = conf.get_int("rill.streaming.receiver.maxRate", 0);
  Duration block_interval = conf.get_duration("rill.streaming.blockInterval", Milliseconds(200));
  Duration restart_delay = conf.get_duration("rill.streaming.receiverRestartDelay", Seconds(2));
  // Blocks wait for their batch to complete before their credit returns; by
  // default allow three batches' worth, so a short block interval does not
  // throttle a pipeline that keeps up. An explicit rill.flow.credits rules.
  int64_t blocks_per_batch = (st.setup.graph->batch_duration().milliseconds() + block_interval.milliseconds() - 1) /
                             block_interval.milliseconds();
  int block_credits = conf.contains("rill.flow.credits")
                          ? credits
                          : static_cast<int>(std::max<int64_t>(credits, 3 * blocks_per_batch));
  for (const auto& stream : st.setup.graph->receiver_streams()) {
    std::shared_ptr<ReceiverBase> receiver = stream->make_receiver();
    if (!receiver) throw RillError(stream->stream_name() + ": the receiver factory returned null");
    auto bridge = std::make_shared<SupervisorBridge>(st.setup.gateway, credits, chunk, max_rate);
    BlockGeneratorSetup bg;
    bg.stream_id = stream->stream_id();
    bg.receiver = receiver;
    bg.bridge = bridge;
    bg.block_manager = st.setup.block_manager;
    bg.tracker = caf::actor_cast<caf::actor>(self);
    bg.block_interval = block_interval;
    bg.credits = block_credits;
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
    st.receivers[stream->stream_id()] = {supervisor, generator, bridge};
    st.unallocated[stream->stream_id()];
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
        out.blocks.swap(st.unallocated);
        for (auto& kv : out.blocks) {
          st.unallocated[kv.first];  // keep every stream listed
          if (!kv.second.empty()) st.blocks_per_batch[t][kv.first] += static_cast<int>(kv.second.size());
        }
        return out;
      },
      [=](batch_done_atom, int64_t t) {
        auto& st = self->state;
        auto it = st.blocks_per_batch.find(t);
        if (it == st.blocks_per_batch.end()) return;
        for (auto& [stream, n] : it->second) {
          auto r = st.receivers.find(stream);
          if (r != st.receivers.end()) self->send(r->second.block_generator, credit_atom::value, n);
        }
        st.blocks_per_batch.erase(it);
      },
      // True while received blocks wait for a batch.
      [=](pending_atom) -> bool {
        for (auto& kv : self->state.unallocated)
          if (!kv.second.empty()) return true;
        return false;
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
