// The driver's task dispatcher, as one actor among stand-in task servers: a
// clear for batch t reaches every worker it sent inputs or tasks to, and no
// other, without anyone asking the cluster master who the workers are (the
// job generator, the batch clock, sends the clear and must never wait).
#include <catch2/catch.hpp>

#include <caf/all.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "actors/actors.hpp"
#include "wait.hpp"

using namespace rill;
using namespace std::chrono_literals;

namespace {

// What a stand-in task server was sent.
struct Seen {
  std::mutex m;
  std::vector<int64_t> inputs;  // batch times
  std::vector<int64_t> clears;
  int tasks = 0;

  template <class F>
  auto read(F f) {
    std::lock_guard<std::mutex> lock(m);
    return f(*this);
  }
};

caf::behavior stand_in_server(caf::event_based_actor*, std::shared_ptr<Seen> seen) {
  return {
      [=](inputs_atom, const batch_inputs_msg& m) { seen->read([&](Seen& s) { s.inputs.push_back(m.time_ms); }); },
      [=](named_task_atom, const named_task_msg&) {
        seen->read([](Seen& s) { ++s.tasks; });
        return named_task_result{};
      },
      [=](clear_atom, int64_t t) { seen->read([&](Seen& s) { s.clears.push_back(t); }); },
      [=](caf::get_atom) { return true; },  // a round trip: everything sent before it has been taken
  };
}

}  // namespace

TEST_CASE("the task dispatcher clears every worker it sent inputs or tasks to, and only those", "[unit]") {
  caf::actor_system_config cfg;
  register_cluster_types(cfg);
  caf::actor_system sys(cfg);
  auto seen_task = std::make_shared<Seen>(), seen_inputs = std::make_shared<Seen>(), seen_none = std::make_shared<Seen>();
  auto with_task = sys.spawn(stand_in_server, seen_task);      // sent the batch's inputs and a task
  auto with_inputs = sys.spawn(stand_in_server, seen_inputs);  // sent the batch's inputs only
  auto untouched = sys.spawn(stand_in_server, seen_none);      // registered, never sent anything
  auto dispatcher = spawn_task_dispatcher(sys, std::chrono::seconds(10), SpeculationSettings{});
  caf::scoped_actor self(sys);
  auto ask_dispatcher = [&](dispatch_msg m, std::vector<caf::actor> workers) {
    bool answered = false;
    self->request(dispatcher, std::chrono::seconds(10), dispatch_atom::value, std::move(m), std::move(workers))
        .receive([&](dispatch_result&) { answered = true; }, [&](caf::error& e) { FAIL(sys.render(e)); });
    return answered;
  };

  dispatch_msg batch;
  batch.inputs.push_back(batch_inputs_msg{1000, {}, {}});
  batch.tasks.push_back(named_task_msg{});
  batch.destinations.push_back(with_task);
  REQUIRE(ask_dispatcher(batch, {with_task, with_inputs}));

  caf::anon_send(dispatcher, clear_atom::value, int64_t{1000});
  // An empty dispatch is answered at once, so once it is, the clear before
  // it has been handled and its messages are in the servers' mailboxes; a
  // round trip to each server then finds them taken.
  REQUIRE(ask_dispatcher(dispatch_msg{}, {}));
  for (const auto& server : {with_task, with_inputs, untouched})
    self->request(server, std::chrono::seconds(10), caf::get_atom::value).receive([](bool) {}, [&](caf::error& e) {
      FAIL(sys.render(e));
    });

  CHECK(seen_task->read([](Seen& s) { return s.inputs; }) == std::vector<int64_t>{1000});
  CHECK(seen_task->read([](Seen& s) { return s.tasks; }) == 1);
  CHECK(seen_task->read([](Seen& s) { return s.clears; }) == std::vector<int64_t>{1000});
  CHECK(seen_inputs->read([](Seen& s) { return s.inputs; }) == std::vector<int64_t>{1000});
  CHECK(seen_inputs->read([](Seen& s) { return s.clears; }) == std::vector<int64_t>{1000});
  CHECK(seen_none->read([](Seen& s) { return s.clears.empty() && s.inputs.empty() && s.tasks == 0; }));

  // A worker that is gone is not written to again: the dispatcher forgets
  // it on its down message, and the others still hear of later batches.
  caf::anon_send_exit(with_inputs, caf::exit_reason::kill);
  caf::anon_send(dispatcher, clear_atom::value, int64_t{2000});
  CHECK(rill::testing::wait_until(10s, [&] {
    return seen_task->read([](Seen& s) { return s.clears == std::vector<int64_t>{1000, 2000}; });
  }));

  caf::anon_send_exit(dispatcher, caf::exit_reason::user_shutdown);
  for (const auto& a : {with_task, with_inputs, untouched}) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
