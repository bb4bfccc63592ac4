// A worker's link to its driver: connect, register (answering the driver's
// challenge), then watch the driver and take its stop. It also connects to
// each other worker the driver names: without a direct connection, CAF
// routes worker-to-worker messages (map outputs, block reads) through the
// driver's node, and a peer's death would never reach this node, leaving
// its requests to that peer pending until their timeout.
#include <caf/io/middleman.hpp>
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "runtime/base/cluster_auth.hpp"

#include <set>

namespace rill {
namespace {

using connect_atom = caf::connect_atom;

// How long a registration step may wait for the driver's answer.
constexpr std::chrono::seconds kStepTimeout{10};
constexpr std::chrono::milliseconds kRetryEvery{100};

struct worker_agent_state {
  WorkerAgentSetup setup;
  node_info self_info;
  std::chrono::steady_clock::time_point give_up_at;
  caf::actor driver;
  bool registered = false;
  bool finished = false;  // on_registered has been called
  std::set<std::string> peers;  // node ids of the workers connected to (or being connected to)
};

using agent_actor = caf::stateful_actor<worker_agent_state>;

std::string driver_address(agent_actor* self) {
  return self->state.setup.driver_host + ":" + std::to_string(self->state.setup.driver_port);
}

void finish(agent_actor* self, const std::string& error, const registration_reply& reply = {}) {
  auto& st = self->state;
  if (st.finished) return;
  st.finished = true;
  st.registered = error.empty();
  st.setup.on_registered(error, reply);
  if (!error.empty()) self->quit();
}

void register_with(agent_actor* self, caf::actor driver) {
  self->state.driver = driver;
  self->monitor(driver);
  self->request(driver, kStepTimeout, hello_atom::value)
      .then(
          [=](std::string& nonce) {
            auto& st = self->state;
            registration_msg m;
            m.node = st.self_info;
            m.nonce = nonce;
            m.proof = registration_proof(st.setup.secret, nonce, st.self_info.node_id, st.self_info.fingerprint);
            m.agent = caf::actor_cast<caf::actor>(self);
            m.task_server = st.setup.task_server;
            m.receiver_host = st.setup.receiver_host;
            self->request(driver, kStepTimeout, register_atom::value, std::move(m))
                .then([=](registration_reply& r) {
                        finish(self,
                               r.error.empty() ? "" : "the driver at " + driver_address(self) +
                                                          " refused this worker: " + r.error,
                               r);
                      },
                      [=](caf::error& e) {
                        finish(self, "registering with the driver at " + driver_address(self) +
                                         " failed: " + self->system().render(e));
                      });
          },
          [=](caf::error& e) {
            finish(self, "the driver at " + driver_address(self) + " did not answer: " + self->system().render(e));
          });
}

void try_connect(agent_actor* self) {
  auto& st = self->state;
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, kStepTimeout, connect_atom::value, st.setup.driver_host, st.setup.driver_port)
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr& p, const std::set<std::string>&) {
            if (!p) {
              finish(self, "nothing is published at " + driver_address(self) + " (is it a Rill driver?)");
              return;
            }
            register_with(self, caf::actor_cast<caf::actor>(p));
          },
          [=](caf::error& e) {
            if (std::chrono::steady_clock::now() >= self->state.give_up_at) {
              finish(self, "could not reach the driver at " + driver_address(self) + " within " +
                               std::to_string(self->state.setup.connect_within.count()) +
                               " ms (rill.cluster.waitTimeout): " + self->system().render(e));
              return;
            }
            self->delayed_send(self, kRetryEvery, retry_atom::value);
          });
}

void connect_to_peer(agent_actor* self, const node_info& peer) {
  auto mm = self->system().middleman().actor_handle();
  const std::string where = peer.peer_host + ":" + std::to_string(peer.peer_port);
  self->request(mm, kStepTimeout, connect_atom::value, peer.peer_host, static_cast<uint16_t>(peer.peer_port))
      .then(
          [=](const caf::node_id&, caf::strong_actor_ptr&, const std::set<std::string>&) {
            spdlog::info("worker: connected directly to worker {} at {}", peer.node_id, where);
          },
          [=](caf::error& e) {
            self->state.peers.erase(peer.node_id);
            spdlog::warn("worker: cannot connect directly to worker {} at {} ({}); its traffic goes through the driver",
                         peer.node_id, where, self->system().render(e));
          });
}

caf::behavior worker_agent(agent_actor* self, WorkerAgentSetup setup, node_info self_info) {
  name_failures(self, "worker_agent");
  auto& st = self->state;
  st.setup = std::move(setup);
  st.self_info = std::move(self_info);
  st.give_up_at = std::chrono::steady_clock::now() + st.setup.connect_within;
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& s = self->state;
    if (dm.source != s.driver.address()) return;
    if (!s.finished) {
      finish(self, "the driver at " + driver_address(self) + " went away during registration: " +
                       self->system().render(dm.reason));
      return;
    }
    if (s.registered)
      s.setup.on_driver_lost("the driver at " + driver_address(self) +
                             " disappeared: " + self->system().render(dm.reason));
    self->quit();
  });
  self->send(self, retry_atom::value);
  return {
      [=](retry_atom) { try_connect(self); },
      [=](stop_atom) { self->state.setup.on_stop(); },
      [=](peers_atom, const std::vector<node_info>& peers) {
        // One connection per pair: each worker connects to those registered
        // before it (the list is in registration order).
        auto& st = self->state;
        for (const auto& peer : peers) {
          if (peer.node_id == st.self_info.node_id) break;
          if (peer.peer_port > 0 && st.peers.insert(peer.node_id).second) connect_to_peer(self, peer);
        }
      },
  };
}

}  // namespace

caf::actor spawn_worker_agent(caf::actor_system& sys, WorkerAgentSetup setup, node_info self_info) {
  return sys.spawn(worker_agent, std::move(setup), std::move(self_info));
}

}  // namespace rill
