// The driver's sender of named tasks to workers: batch inputs first, then the
// tasks, from one actor so that each worker sees them in that order.
//
// It monitors every worker it sends a task to. When a worker is lost (its
// process died, or CAF's heartbeats found its connection dead), each task
// pending there fails at once with `worker_lost` set, instead of waiting for
// a reply that cannot come (CAF 0.17 never fails a request pending at a dead
// node: notes/caf-0.17.md).
#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "actors/actors.hpp"

namespace rill {
namespace {

// One dispatch's results, delivered once every task has answered or failed.
struct dispatch_progress {
  dispatch_result out;
  std::vector<bool> answered;
  size_t left = 0;
  caf::response_promise promise;

  void answer(size_t i, named_task_result r) {
    if (answered[i]) return;  // a loss reported first; the late reply changes nothing
    answered[i] = true;
    out.results[i] = std::move(r);
    if (--left == 0) promise.deliver(std::move(out));
  }
};

struct dispatcher_state {
  std::chrono::milliseconds task_timeout{0};
  // Tasks pending at each worker (by its task server), for failing them on a loss.
  std::map<caf::actor_addr, std::vector<std::pair<std::shared_ptr<dispatch_progress>, size_t>>> pending;
  std::set<caf::actor_addr> monitored;  // each worker once: one down message per loss
};
using dispatcher_actor = caf::stateful_actor<dispatcher_state>;

void forget_pending(dispatcher_actor* self, const caf::actor_addr& worker, const dispatch_progress* p, size_t i) {
  auto it = self->state.pending.find(worker);
  if (it == self->state.pending.end()) return;
  auto& list = it->second;
  for (auto e = list.begin(); e != list.end(); ++e)
    if (e->first.get() == p && e->second == i) {
      list.erase(e);
      break;
    }
}

caf::behavior task_dispatcher(dispatcher_actor* self, std::chrono::milliseconds task_timeout) {
  name_failures(self, "task_dispatcher");
  self->state.task_timeout = task_timeout;
  self->set_down_handler([=](caf::down_msg& dm) {
    self->state.monitored.erase(dm.source);
    auto it = self->state.pending.find(dm.source);
    if (it == self->state.pending.end()) return;
    auto lost = std::move(it->second);
    self->state.pending.erase(it);
    const std::string why = "the worker (" + caf::to_string(dm.source.node()) +
                            ") was lost while running it: " + self->system().render(dm.reason);
    for (auto& [p, i] : lost) p->answer(i, named_task_result{"", why, true});
  });
  return {
      [=](dispatch_atom, dispatch_msg& m, std::vector<caf::actor>& workers) -> caf::result<dispatch_result> {
        for (const auto& inputs : m.inputs)
          for (const auto& w : workers) self->send(w, inputs_atom::value, inputs);
        auto rp = self->make_response_promise<dispatch_result>();
        if (m.tasks.empty()) {
          rp.deliver(dispatch_result{});
          return rp;
        }
        auto p = std::make_shared<dispatch_progress>();
        p->out.results.resize(m.tasks.size());
        p->answered.assign(m.tasks.size(), false);
        p->left = m.tasks.size();
        p->promise = rp;
        for (size_t i = 0; i < m.tasks.size(); ++i) {
          const caf::actor dest = m.destinations[i];
          self->state.pending[dest.address()].emplace_back(p, i);
          if (self->state.monitored.insert(dest.address()).second)
            self->monitor(dest);  // one already dead answers with a down message at once
          self->request(dest, self->state.task_timeout, named_task_atom::value, std::move(m.tasks[i]))
              .then(
                  [=](named_task_result& r) {
                    forget_pending(self, dest.address(), p.get(), i);
                    p->answer(i, std::move(r));
                  },
                  [=](caf::error& e) {
                    forget_pending(self, dest.address(), p.get(), i);
                    p->answer(i, named_task_result{"",
                                                   "no answer from the worker (" + caf::to_string(dest.node()) +
                                                       "): " + self->system().render(e),
                                                   e == caf::sec::request_receiver_down});
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
