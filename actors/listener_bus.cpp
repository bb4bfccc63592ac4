// listener_bus: delivers StreamingListener events one at a time, off the hot
// path. A listener that throws is logged and keeps receiving events. Its
// callbacks run marked ThreadRole::listener: stop() refuses to run there.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "runtime/base/thread_role.hpp"

namespace rill {

namespace {
struct listener_bus_state {
  std::vector<std::shared_ptr<StreamingListener>> listeners;
};

listener_bus_actor::behavior_type listener_bus(listener_bus_actor::stateful_pointer<listener_bus_state> self) {
  name_failures(self, "listener_bus");
  return {
      [=](listen_atom, const listener_msg& m) { self->state.listeners.push_back(m.listener); },
      [=](event_atom, const listener_event& e) {
        ThreadRoleScope role(ThreadRole::listener);
        for (auto& l : self->state.listeners) {
          try {
            e.deliver(*l);
          } catch (const std::exception& ex) {
            spdlog::warn("a StreamingListener threw: {}", ex.what());
          } catch (...) {
            spdlog::warn("a StreamingListener threw something that is not a std::exception");
          }
        }
      },
      // Replies once every event sent before it has been delivered.
      [=](caf::get_atom) { return true; },
  };
}
}  // namespace

listener_bus_actor spawn_listener_bus(caf::actor_system& sys) { return sys.spawn(listener_bus); }

}  // namespace rill
