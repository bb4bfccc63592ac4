// The driver's sender of named tasks to workers: batch inputs first, then the
// tasks, from one actor so that each worker sees them in that order.
//
// It monitors every worker it sends a task to. When a worker is lost (its
// process died, or CAF's heartbeats found its connection dead), each task
// pending there fails at once with `worker_lost` set, instead of waiting for
// a reply that cannot come (CAF 0.17 never fails a request pending at a dead
// node; its headers in /usr/include/caf are the reference).
//
// With speculation on (SpeculationSettings), a task running much longer than
// its dispatch's finished tasks is started again on another worker; the
// first success wins and later replies are dropped (the D-Streams paper's
// straggler mitigation, Spark's spark.speculation).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

#include "actors/actors.hpp"

namespace rill {
namespace {

using clock_type = std::chrono::steady_clock;

// One dispatch's results, delivered once every task has succeeded or each
// of its attempts has failed.
struct dispatch_progress {
  dispatch_msg tasks;                     // kept for speculative copies
  std::vector<caf::actor> workers;        // where copies may go
  dispatch_result out;
  std::vector<bool> answered;
  std::vector<int> in_flight;             // attempts of each task not yet answered
  std::vector<clock_type::time_point> started;
  std::vector<std::chrono::milliseconds> took;  // of answered tasks
  size_t left = 0;
  int64_t copies = 0;
  caf::response_promise promise;

  void succeed(size_t i, named_task_result r, const caf::actor& where) {
    --in_flight[i];
    if (answered[i]) return;  // a copy won already; this reply changes nothing
    finish(i, std::move(r), where);
  }
  void fail(size_t i, named_task_result r, const caf::actor& where) {
    --in_flight[i];
    if (answered[i] || in_flight[i] > 0) return;  // another attempt may still succeed
    finish(i, std::move(r), where);
  }

 private:
  void finish(size_t i, named_task_result r, const caf::actor& where) {
    answered[i] = true;
    took[i] = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - started[i]);
    out.results[i] = std::move(r);
    out.ran_on[i] = where;
    if (--left == 0) promise.deliver(std::move(out));
  }
};
using progress_ptr = std::shared_ptr<dispatch_progress>;

struct dispatcher_state {
  std::chrono::milliseconds task_timeout{0};
  SpeculationSettings speculation;
  // Attempts pending at each worker (by its task server), for failing them on a loss.
  std::map<caf::actor_addr, std::vector<std::pair<progress_ptr, size_t>>> pending;
  std::set<caf::actor_addr> monitored;  // each worker once: one down message per loss
  // Every live task server sent inputs or tasks: those a clear must reach.
  std::map<caf::actor_addr, caf::actor> served;
  std::map<int64_t, progress_ptr> watched;  // dispatches checked for stragglers, by id
  int64_t next_id = 0;
};
using dispatcher_actor = caf::stateful_actor<dispatcher_state, task_dispatcher_actor::base>;
// A typed actor may send() only to typed actors: inputs and clears go to the
// (untyped) task servers by anon_send. Each still leaves this actor's thread
// in call order, through the same proxy as the task requests, so a worker
// sees a batch's inputs before its tasks.

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

// Notes that `dest` holds what this dispatcher sent it; monitors it once.
void serve(dispatcher_actor* self, const caf::actor& dest) {
  self->state.served.emplace(dest.address(), dest);
  if (self->state.monitored.insert(dest.address()).second)
    self->monitor(dest);  // one already dead answers with a down message at once
}

// Sends task i of `p` to `dest` as one attempt.
void send_attempt(dispatcher_actor* self, const progress_ptr& p, size_t i, const caf::actor& dest) {
  ++p->in_flight[i];
  self->state.pending[dest.address()].emplace_back(p, i);
  serve(self, dest);
  self->request(dest, self->state.task_timeout, named_task_atom::value, p->tasks.tasks[i])
      .then(
          [=](named_task_result& r) {
            forget_pending(self, dest.address(), p.get(), i);
            if (r.error.empty())
              p->succeed(i, std::move(r), dest);
            else
              p->fail(i, std::move(r), dest);
          },
          [=](caf::error& e) {
            forget_pending(self, dest.address(), p.get(), i);
            p->fail(i,
                    named_task_result{"", "no answer from the worker (" + caf::to_string(dest.node()) +
                                              "): " + self->system().render(e),
                                      e == caf::sec::request_receiver_down},
                    dest);
          });
}

// Starts a copy of each straggler: a speculatable task without a copy yet,
// running longer than multiplier × the median of the tasks finished (and
// than min_task_runtime), once floor(quantile × n) of them have finished.
void speculate(dispatcher_actor* self, int64_t id) {
  auto& st = self->state;
  auto it = st.watched.find(id);
  if (it == st.watched.end()) return;
  const progress_ptr p = it->second;
  if (p->left == 0) {
    st.watched.erase(it);
    return;
  }
  const auto& s = st.speculation;
  std::vector<std::chrono::milliseconds> done;
  for (size_t i = 0; i < p->answered.size(); ++i)
    if (p->answered[i]) done.push_back(p->took[i]);
  const size_t n = p->answered.size();
  // As Spark: at least floor(quantile × n) finished, and at least one.
  const auto needed = std::max<size_t>(1, static_cast<size_t>(s.quantile * static_cast<double>(n)));
  if (done.size() >= needed) {
    std::nth_element(done.begin(), done.begin() + done.size() / 2, done.end());
    const auto median = done[done.size() / 2];
    const auto threshold = std::max(s.min_task_runtime, std::chrono::milliseconds(static_cast<int64_t>(
                                                            s.multiplier * static_cast<double>(median.count()))));
    const auto now = clock_type::now();
    for (size_t i = 0; i < n; ++i) {
      if (p->answered[i] || !p->tasks.speculatable[i] || p->in_flight[i] > 1) continue;
      if (now - p->started[i] < threshold) continue;
      // A copy goes to another worker, an idle one if there is one.
      const caf::actor& original = p->tasks.destinations[i];
      auto idle = [&](const caf::actor& w) {
        auto pe = st.pending.find(w.address());
        return pe == st.pending.end() || pe->second.empty();
      };
      auto other = std::find_if(p->workers.begin(), p->workers.end(),
                                [&](const caf::actor& w) { return w != original && idle(w); });
      if (other == p->workers.end())
        other = std::find_if(p->workers.begin(), p->workers.end(), [&](const caf::actor& w) { return w != original; });
      if (other == p->workers.end()) continue;
      spdlog::info("speculation: task {} of a stage has run {} ms on worker {} (median {} ms); starting a copy on "
                   "worker {}",
                   p->tasks.tasks[i].partition,
                   std::chrono::duration_cast<std::chrono::milliseconds>(now - p->started[i]).count(),
                   caf::to_string(original.node()), median.count(), caf::to_string(other->node()));
      ++p->copies;
      send_attempt(self, p, i, *other);
    }
  }
  self->delayed_send(self, s.interval, speculate_atom::value, id);
}

task_dispatcher_actor::behavior_type task_dispatcher(dispatcher_actor* self, std::chrono::milliseconds task_timeout,
                                                     SpeculationSettings speculation) {
  name_failures(self, "task_dispatcher");
  self->state.task_timeout = task_timeout;
  self->state.speculation = speculation;
  self->set_down_handler([=](caf::down_msg& dm) {
    self->state.monitored.erase(dm.source);
    self->state.served.erase(dm.source);
    auto it = self->state.pending.find(dm.source);
    if (it == self->state.pending.end()) return;
    auto lost = std::move(it->second);
    self->state.pending.erase(it);
    const std::string why = "the worker (" + caf::to_string(dm.source.node()) +
                            ") was lost while running it: " + self->system().render(dm.reason);
    const caf::actor where = caf::actor_cast<caf::actor>(dm.source);
    for (auto& [p, i] : lost) p->fail(i, named_task_result{"", why, true}, where);
  });
  return {
      [=](dispatch_atom, dispatch_msg& m, std::vector<caf::actor>& workers) -> caf::result<dispatch_result> {
        for (const auto& inputs : m.inputs)
          for (const auto& w : workers) {
            serve(self, w);
            caf::anon_send(w, inputs_atom::value, inputs);
          }
        auto rp = self->make_response_promise<dispatch_result>();
        if (m.tasks.empty()) {
          rp.deliver(dispatch_result{});
          return rp;
        }
        auto p = std::make_shared<dispatch_progress>();
        const size_t n = m.tasks.size();
        m.speculatable.resize(n, false);
        p->tasks = std::move(m);
        p->tasks.inputs.clear();
        p->workers = workers;
        p->out.results.resize(n);
        p->out.ran_on.resize(n);
        p->answered.assign(n, false);
        p->in_flight.assign(n, 0);
        p->started.assign(n, clock_type::now());
        p->took.assign(n, std::chrono::milliseconds(0));
        p->left = n;
        p->promise = rp;
        for (size_t i = 0; i < n; ++i) send_attempt(self, p, i, p->tasks.destinations[i]);
        if (self->state.speculation.enabled && n > 1 && workers.size() > 1 && p->left > 0) {
          const int64_t id = self->state.next_id++;
          self->state.watched.emplace(id, p);
          self->delayed_send(self, self->state.speculation.interval, speculate_atom::value, id);
        }
        return rp;
      },
      [=](speculate_atom, int64_t id) { speculate(self, id); },
      // Batches through t are done: every worker that was sent something
      // forgets them (after what was sent before, as messages keep order).
      [=](clear_atom, int64_t t) {
        for (const auto& [addr, w] : self->state.served) caf::anon_send(w, clear_atom::value, t);
      },
  };
}

}  // namespace

task_dispatcher_actor spawn_task_dispatcher(caf::actor_system& sys, std::chrono::milliseconds task_timeout,
                                            SpeculationSettings speculation) {
  return sys.spawn(task_dispatcher, task_timeout, speculation);
}

}  // namespace rill
