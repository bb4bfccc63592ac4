// receiver_host: runs, on a worker, the receivers the driver's tracker
// placed there. Their blocks stay in this node's ReceivedBlockIndex (the
// task server serves them); the tracker learns each block's info and each
// listener event, and sends back credits, rates and the stop.
//
// A receiver whose storage level is *_2 has each block copied to another
// worker's task server before the tracker learns of it (and before the
// block counts as stored: a reliable receiver's store() returns, a source is
// acknowledged), so a batch survives the loss of this worker. Reports leave
// in block order whatever order the copies finish in.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

#include "actors/actors.hpp"
#include "actors/remote_blocks.hpp"
#include "actors/supervisor_bridge.hpp"
#include "receivers/receiver_stream.hpp"

namespace rill {
namespace {

// How long the driver's tracker may take to answer a block report. It
// answers at once; a report it has not answered by then is logged (the
// driver is slow or gone, and heartbeats decide which).
constexpr std::chrono::seconds kReportTimeout{30};

// A stored block on its way to the tracker.
struct pending_report {
  block_meta meta;
  bool ready = false;  // copied (or no copy to make)
  caf::response_promise stored;
};

struct receiver_host_state {
  ReceiverHostSetup setup;
  caf::actor tracker;  // the driver's
  std::map<int, LaunchedReceiver> receivers;
  std::map<int, std::vector<worker_home>> replica_homes;  // by stream: where copies go, best first
  std::map<int, std::deque<pending_report>> pending;     // by stream, in block order
  std::chrono::milliseconds copy_timeout{10000};
};
using host_actor = caf::stateful_actor<receiver_host_state>;

// Reports the stream's ready blocks, in order, up to the first still copying.
void report_ready(host_actor* self, int stream) {
  auto& queue = self->state.pending[stream];
  while (!queue.empty() && queue.front().ready) {
    // The driver's tracker answers each report; only a refusal (a block of a
    // stream it placed no receiver of) says anything, and it is logged.
    const int64_t id = queue.front().meta.id;
    self->request(self->state.tracker, kReportTimeout, block_atom::value, queue.front().meta)
        .then([](bool) {},
              [=](caf::error& e) {
                spdlog::error("worker: the driver did not take block {} of stream {}: {}", id, stream,
                              self->system().render(e));
              });
    queue.front().stored.deliver(true);
    queue.pop_front();
  }
}

void mark_ready(host_actor* self, int stream, int64_t block, const worker_home* replica) {
  for (auto& p : self->state.pending[stream]) {
    if (p.meta.id != block) continue;
    if (replica) {
      p.meta.replica = replica->task_server;
      p.meta.replica_node = replica->node_id;
    }
    p.ready = true;
    break;
  }
  report_ready(self, stream);
}

// Copies `frame` (block `block` of `stream`) to the first replica home that
// takes it; a home that fails goes to the back of the list. `tried`: homes
// that failed this block already.
void copy_block(host_actor* self, int stream, int64_t block, std::shared_ptr<const std::string> frame,
                size_t tried = 0) {
  auto& homes = self->state.replica_homes[stream];
  if (tried >= homes.size()) {
    spdlog::warn("worker: no other worker takes a copy of block {} of stream {}: it is kept here only", block,
                 stream);
    mark_ready(self, stream, block, nullptr);
    return;
  }
  const worker_home home = homes.front();
  self->request(home.task_server, self->state.copy_timeout, replicate_atom::value, static_cast<int32_t>(stream),
                block, *frame)
      .then(
          [=](bool) {
            if (self->state.setup.stats) self->state.setup.stats->bytes_served += static_cast<int64_t>(frame->size());
            mark_ready(self, stream, block, &home);
          },
            [=](caf::error& e) {
              spdlog::warn("worker: copying block {} to worker {} failed ({}); trying the next worker", block,
                           home.node_id, self->system().render(e));
              auto& list = self->state.replica_homes[stream];
              auto failed = std::find_if(list.begin(), list.end(),
                                         [&](const worker_home& h) { return h.node_id == home.node_id; });
              if (failed != list.end()) std::rotate(failed, failed + 1, list.end());
              copy_block(self, stream, block, frame, tried + 1);
            });
}

LaunchedReceiver* find_receiver(host_actor* self, int stream) {
  auto it = self->state.receivers.find(stream);
  return it == self->state.receivers.end() ? nullptr : &it->second;
}

caf::behavior receiver_host(host_actor* self, ReceiverHostSetup setup) {
  name_failures(self, "receiver_host");
  self->state.setup = std::move(setup);
  // A copy (one block, a few MB at most) takes milliseconds: a worker that
  // has not taken one within two heartbeat intervals (at least a second) is
  // passed over, so a stalled worker cannot stall this receiver for a whole
  // heartbeat timeout.
  const Config& conf = *self->state.setup.config;
  const int64_t interval = conf.get(keys::heartbeat_interval).milliseconds();
  const int64_t timeout = conf.get(keys::heartbeat_timeout).milliseconds();
  self->state.copy_timeout = std::chrono::milliseconds(std::min(timeout, std::max<int64_t>(1000, 2 * interval)));
  return {
      [=](receiver_atom, const receiver_start_msg& m) {
        auto& st = self->state;
        st.tracker = m.tracker;
        ReceiverStreamBase* stream = st.setup.graph->receiver_stream(m.stream_id);
        if (!stream) {
          const std::string why = "the driver placed the receiver of stream " + std::to_string(m.stream_id) +
                                  " here, but this worker's graph has no such receiver stream";
          spdlog::error("{}", why);
          receiver_report r;
          r.kind = receiver_report::error;
          r.stream_id = m.stream_id;
          r.last_error = why;
          r.location = st.setup.node_id;
          self->send(m.tracker, receiver_atom::value, std::move(r));
          return;
        }
        if (st.receivers.count(m.stream_id)) return;  // already here
        ReceiverLaunch launch;
        launch.stream = stream;
        launch.config = st.setup.config;
        launch.batch = st.setup.graph->batch_duration();
        launch.gateway = st.setup.gateway;
        launch.received = st.setup.received;
        launch.tracker = caf::actor_cast<caf::actor>(self);
        launch.holder = st.setup.task_server;
        launch.reporter = launch.tracker;
        launch.location = st.setup.node_id;
        launch.initial_rate = m.initial_rate;
        launch.block_id_base = m.block_id_base;
        st.replica_homes[m.stream_id] = m.replica_homes;
        st.receivers.emplace(m.stream_id, launch_receiver(self, launch));
        spdlog::info("worker: running the receiver of {}", stream->stream_name());
      },
      // A block a receiver here stored (its info names the task server as
      // holder): the driver learns of it, once it is copied when the
      // receiver's storage level says _2. The reply says it is stored.
      [=](block_atom, block_meta& m) -> caf::result<bool> {
        auto& st = self->state;
        const int stream = m.stream_id;
        const int64_t id = m.id;
        auto rp = self->make_response_promise<bool>();
        st.pending[stream].push_back({std::move(m), false, rp});
        const LaunchedReceiver* r = find_receiver(self, stream);
        ReceiverStreamBase* s = st.setup.graph->receiver_stream(stream);
        auto held = st.setup.received->get(id);
        if (r && r->replicated && s && held) {
          copy_block(self, stream, id, std::make_shared<const std::string>(encode_whole_block(*s, *held)));
        } else {
          mark_ready(self, stream, id, nullptr);
        }
        return rp;
      },
      [=](receiver_atom, receiver_report& r) { self->send(self->state.tracker, receiver_atom::value, std::move(r)); },
      [=](host_credit_atom, int32_t stream, int32_t blocks, int64_t bytes) {
        if (auto* r = find_receiver(self, stream))
          self->send(r->block_generator, block_credit_atom::value, static_cast<int>(blocks), bytes);
      },
      [=](rate_atom, int32_t stream, int64_t rate) {
        if (auto* r = find_receiver(self, stream)) r->bridge->set_rate(rate);
      },
      [=](stop_atom, int32_t stream) -> caf::result<bool> {
        auto* r = find_receiver(self, stream);
        if (!r) return true;
        auto promise = self->make_response_promise<bool>();
        self->request(r->supervisor, kNoDeadlineInEngine, stop_atom::value)
            .then([=](bool) mutable { promise.deliver(true); },
                  [=](caf::error&) mutable { promise.deliver(true); });
        return promise;
      },
  };
}

}  // namespace

caf::actor spawn_receiver_host(caf::actor_system& sys, ReceiverHostSetup setup) {
  return sys.spawn(receiver_host, std::move(setup));
}

}  // namespace rill
