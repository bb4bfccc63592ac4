// receiver_host: runs, on a worker, the receivers the driver's tracker
// placed there. Their blocks stay in this node's block manager (the task
// server serves them); the tracker learns each block's meta and each
// listener event, and sends back credits, rates and the stop.
#include <spdlog/spdlog.h>

#include <map>

#include "actors/actors.hpp"
#include "actors/remote_blocks.hpp"
#include "actors/supervisor_bridge.hpp"
#include "receivers/receiver_stream.hpp"

namespace rill {
namespace {

struct receiver_host_state {
  ReceiverHostSetup setup;
  caf::actor tracker;  // the driver's
  std::map<int, LaunchedReceiver> receivers;
};
using host_actor = caf::stateful_actor<receiver_host_state>;

LaunchedReceiver* find_receiver(host_actor* self, int stream) {
  auto it = self->state.receivers.find(stream);
  return it == self->state.receivers.end() ? nullptr : &it->second;
}

caf::behavior receiver_host(host_actor* self, ReceiverHostSetup setup) {
  name_failures(self, "receiver_host");
  self->state.setup = std::move(setup);
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
        launch.block_manager = st.setup.block_manager;
        launch.tracker = caf::actor_cast<caf::actor>(self);
        launch.reporter = launch.tracker;
        launch.location = st.setup.node_id;
        launch.initial_rate = m.initial_rate;
        launch.block_id_base = m.block_id_base;
        st.receivers.emplace(m.stream_id, launch_receiver(self, launch));
        spdlog::info("worker: running the receiver of {}", stream->stream_name());
      },
      // A block stored here: the driver learns its meta.
      [=](block_atom, const block_msg& m) {
        auto& st = self->state;
        self->send(st.tracker, block_atom::value, describe_block(*m.block, st.setup.task_server, st.setup.node_id));
      },
      [=](receiver_atom, receiver_report& r) { self->send(self->state.tracker, receiver_atom::value, std::move(r)); },
      [=](credit_atom, int32_t stream, int32_t blocks, int64_t bytes) {
        if (auto* r = find_receiver(self, stream))
          self->send(r->block_generator, credit_atom::value, static_cast<int>(blocks), bytes);
      },
      [=](rate_atom, int32_t stream, int64_t rate) {
        if (auto* r = find_receiver(self, stream)) r->bridge->set_rate(rate);
      },
      [=](stop_atom, int32_t stream) -> caf::result<bool> {
        auto* r = find_receiver(self, stream);
        if (!r) return true;
        auto promise = self->make_response_promise<bool>();
        self->request(r->supervisor, caf::infinite, stop_atom::value)
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
