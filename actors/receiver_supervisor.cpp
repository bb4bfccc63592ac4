// receiver_supervisor: runs one user Receiver. Starts it, restarts it when it
// asks (after rill.streaming.receiverRestartDelay), reports its errors, and
// on stop wakes its blocked store() calls, stops it and has the block
// generator cut the last block before replying. Detached: on_stop() may block
// joining the receiver's threads.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/supervisor_bridge.hpp"

namespace rill {

namespace {
struct receiver_supervisor_state {
  ReceiverSupervisorSetup setup;
  bool running = false;
  bool stopping = false;
};
using supervisor_actor = caf::stateful_actor<receiver_supervisor_state>;

ReceiverInfo info_of(supervisor_actor* self, bool active, std::string error = "") {
  ReceiverInfo info;
  info.stream_id = self->state.setup.stream_id;
  info.name = self->state.setup.name;
  info.active = active;
  info.last_error = std::move(error);
  info.rate_limit = self->state.setup.bridge->rate();
  return info;
}

void publish(supervisor_actor* self, std::function<void(StreamingListener&)> fn) {
  self->send(self->state.setup.listener_bus, event_atom::value, listener_event{std::move(fn)});
}

void start_receiver(supervisor_actor* self) {
  auto& st = self->state;
  if (st.stopping || st.running) return;
  try {
    st.setup.receiver->on_start();
    st.running = true;
    auto info = info_of(self, true);
    publish(self, [info](StreamingListener& l) { l.on_receiver_started(info); });
  } catch (const std::exception& e) {
    spdlog::error("receiver {} failed to start: {}; retrying", st.setup.name, e.what());
    auto info = info_of(self, false, e.what());
    publish(self, [info](StreamingListener& l) { l.on_receiver_error(info); });
    self->delayed_send(self, std::chrono::milliseconds(st.setup.restart_delay.milliseconds()),
                       start_atom::value);
  }
}

void stop_receiver(supervisor_actor* self) {
  auto& st = self->state;
  if (!st.running) return;
  st.running = false;
  try {
    st.setup.receiver->on_stop();
  } catch (const std::exception& e) {
    spdlog::warn("receiver {} threw in on_stop: {}", st.setup.name, e.what());
  }
}

caf::behavior receiver_supervisor(supervisor_actor* self, ReceiverSupervisorSetup setup) {
  name_failures(self, "receiver_supervisor of " + setup.name);
  self->state.setup = std::move(setup);
  auto& st = self->state;
  st.setup.bridge->connect(caf::actor_cast<caf::actor>(self), st.setup.block_generator);
  st.setup.receiver->attach(st.setup.bridge);
  self->send(self, start_atom::value);
  return {
      [=](start_atom) { start_receiver(self); },
      [=](restart_atom, const std::string& why) {
        auto& st = self->state;
        if (st.stopping) return;
        spdlog::warn("restarting receiver {}: {}", st.setup.name, why);
        auto info = info_of(self, false, why);
        publish(self, [info](StreamingListener& l) { l.on_receiver_error(info); });
        stop_receiver(self);
        self->delayed_send(self, std::chrono::milliseconds(st.setup.restart_delay.milliseconds()),
                           start_atom::value);
      },
      [=](error_atom, const std::string& what) {
        spdlog::error("receiver {} reported an error: {}", self->state.setup.name, what);
        auto info = info_of(self, self->state.running, what);
        publish(self, [info](StreamingListener& l) { l.on_receiver_error(info); });
      },
      [=](stop_atom) -> caf::result<bool> {
        auto& st = self->state;
        st.stopping = true;
        st.setup.bridge->stop();
        stop_receiver(self);
        auto info = info_of(self, false);
        publish(self, [info](StreamingListener& l) { l.on_receiver_stopped(info); });
        auto promise = self->make_response_promise<bool>();
        self->request(st.setup.block_generator, caf::infinite, flush_atom::value)
            .then([=](bool) mutable { promise.deliver(true); },
                  [=](caf::error&) mutable { promise.deliver(true); });
        return promise;
      },
  };
}
}  // namespace

caf::actor spawn_receiver_supervisor(caf::actor_system& sys, ReceiverSupervisorSetup setup) {
  return sys.spawn<caf::detached>(receiver_supervisor, std::move(setup));
}

}  // namespace rill
