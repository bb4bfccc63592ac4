// engine_monitor: watches every engine actor. When one dies for any reason
// but a shutdown (an exception escaped a handler, a linked actor failed), the
// context cannot go on: batches would stop and await_termination() would wait
// forever. The monitor reports the death, naming the actor and the cause, so
// the context fails with that error and every waiter wakes.
#include <spdlog/spdlog.h>

#include <map>

#include "actors/actors.hpp"

namespace rill {

namespace {
struct engine_monitor_state {
  std::function<void(const std::string&)> on_failure;
  std::map<caf::actor_addr, std::string> names;
};

bool is_shutdown(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown ||
         reason == caf::exit_reason::kill;
}

engine_monitor_actor::behavior_type engine_monitor(engine_monitor_actor::stateful_pointer<engine_monitor_state> self,
                                                   std::function<void(const std::string&)> on_failure) {
  self->state.on_failure = std::move(on_failure);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto it = st.names.find(dm.source);
    std::string name = it == st.names.end() ? "an engine actor" : it->second;
    if (it != st.names.end()) st.names.erase(it);
    if (is_shutdown(dm.reason)) return;
    std::string message = "engine actor " + name + " died (" + self->system().render(dm.reason) +
                          "); the StreamingContext cannot continue";
    spdlog::error("{}", message);
    if (st.on_failure) st.on_failure(message);
  });
  return {
      [=](watch_atom, const caf::actor& a, const std::string& name) {
        self->state.names[a.address()] = name;
        self->monitor(a);
      },
  };
}
}  // namespace

engine_monitor_actor spawn_engine_monitor(caf::actor_system& sys, std::function<void(const std::string&)> on_failure) {
  return sys.spawn(engine_monitor, std::move(on_failure));
}

void name_failures(caf::scheduled_actor* self, std::string name) {
  self->set_exception_handler([name](std::exception_ptr& e) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      what = x.what();
    } catch (...) {
    }
    spdlog::error("{} failed: {}", name, what);
    return caf::make_error(caf::sec::runtime_error, name + " failed: " + what);
  });
}

}  // namespace rill
