// The driver's sender of named tasks to workers: batch inputs first, then the
// tasks, from one actor so that each worker sees them in that order.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"

namespace rill {
namespace {

struct dispatcher_state {
  std::chrono::milliseconds task_timeout{0};
};
using dispatcher_actor = caf::stateful_actor<dispatcher_state>;

caf::behavior task_dispatcher(dispatcher_actor* self, std::chrono::milliseconds task_timeout) {
  name_failures(self, "task_dispatcher");
  self->state.task_timeout = task_timeout;
  return {
      [=](dispatch_atom, dispatch_msg& m, std::vector<caf::actor>& workers) -> caf::result<dispatch_result> {
        for (const auto& inputs : m.inputs)
          for (const auto& w : workers) self->send(w, inputs_atom::value, inputs);
        auto rp = self->make_response_promise<dispatch_result>();
        if (m.tasks.empty()) {
          rp.deliver(dispatch_result{});
          return rp;
        }
        struct progress {
          dispatch_result out;
          size_t left;
        };
        auto p = std::make_shared<progress>();
        p->out.results.resize(m.tasks.size());
        p->left = m.tasks.size();
        for (size_t i = 0; i < m.tasks.size(); ++i) {
          const caf::actor dest = m.destinations[i];
          auto done = [p, rp, i](named_task_result r) mutable {
            p->out.results[i] = std::move(r);
            if (--p->left == 0) rp.deliver(std::move(p->out));
          };
          self->request(dest, self->state.task_timeout, named_task_atom::value, std::move(m.tasks[i]))
              .then([done](named_task_result& r) mutable { done(std::move(r)); },
                    [done, dest, self](caf::error& e) mutable {
                      done(named_task_result{"", "no answer from the worker (" + caf::to_string(dest.node()) +
                                                     "): " + self->system().render(e)});
                    });
        }
        return rp;
      },
      [=](clear_atom, int64_t t, const std::vector<caf::actor>& workers) {
        for (const auto& w : workers) self->send(w, clear_atom::value, t);
      },
  };
}

}  // namespace

caf::actor spawn_task_dispatcher(caf::actor_system& sys, std::chrono::milliseconds task_timeout) {
  return sys.spawn(task_dispatcher, task_timeout);
}

}  // namespace rill
