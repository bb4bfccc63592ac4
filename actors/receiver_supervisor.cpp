// receiver_supervisor: runs one user Receiver. Starts it, restarts it when it
// asks (after rill.streaming.receiverRestartDelay), reports its errors, and
// on stop wakes its blocked store() calls, stops it and has the block
// generator cut the last block before replying. Detached: on_stop() may block
// joining the receiver's threads.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "actors/supervisor_bridge.hpp"
#include "runtime/base/thread_name.hpp"

namespace rill {

namespace {
struct receiver_supervisor_state {
  ReceiverSupervisorSetup setup;
  bool running = false;
  bool stopping = false;
};
using supervisor_actor = caf::stateful_actor<receiver_supervisor_state>;

receiver_report report_of(supervisor_actor* self, receiver_report::Kind kind, bool active, std::string error = "") {
  receiver_report r;
  r.kind = kind;
  r.stream_id = self->state.setup.stream_id;
  r.name = self->state.setup.name;
  r.active = active;
  r.last_error = std::move(error);
  r.rate_limit = self->state.setup.bridge->rate();
  r.location = self->state.setup.location;
  return r;
}

void publish(supervisor_actor* self, receiver_report::Kind kind, bool active, std::string error = "") {
  self->send(self->state.setup.reporter, receiver_atom::value, report_of(self, kind, active, std::move(error)));
}

void start_receiver(supervisor_actor* self) {
  auto& st = self->state;
  if (st.stopping || st.running) return;
  try {
    st.setup.receiver->on_start();
    st.running = true;
    publish(self, receiver_report::started, true);
  } catch (const std::exception& e) {
    spdlog::error("receiver {} failed to start: {}; retrying", st.setup.name, e.what());
    publish(self, receiver_report::error, false, e.what());
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
  name_this_thread("rill.supervisor");  // detached: this is its own thread
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
        publish(self, receiver_report::error, false, why);
        stop_receiver(self);
        self->delayed_send(self, std::chrono::milliseconds(st.setup.restart_delay.milliseconds()),
                           start_atom::value);
      },
      [=](error_atom, const std::string& what) {
        spdlog::error("receiver {} reported an error: {}", self->state.setup.name, what);
        publish(self, receiver_report::error, self->state.running, what);
      },
      [=](stop_atom) -> caf::result<bool> {
        auto& st = self->state;
        st.stopping = true;
        st.setup.bridge->stop();
        stop_receiver(self);
        publish(self, receiver_report::stopped, false);
        auto promise = self->make_response_promise<bool>();
        self->request(st.setup.block_generator, kNoDeadlineInEngine, flush_atom::value)
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
