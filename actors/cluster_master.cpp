// The driver's registry of workers: registration with challenge–response
// authentication and a fingerprint check, membership by monitoring, and the
// stop that ends every worker.
#include <spdlog/spdlog.h>

#include <deque>
#include <set>

#include "actors/actors.hpp"
#include "runtime/base/cluster_auth.hpp"

namespace rill {
namespace {

// Nonces handed out and not yet used; the oldest are forgotten first, so a
// peer that asks and never registers cannot grow the set without bound.
constexpr size_t kMaxOutstandingNonces = 1024;

struct registered_worker {
  node_info info;
  caf::actor agent;
  caf::actor task_server;
  caf::actor receiver_host;
};

struct cluster_master_state {
  ClusterMasterSetup setup;
  std::deque<std::string> nonce_order;
  std::set<std::string> nonces;
  std::vector<registered_worker> workers;
  struct waiter {
    int64_t id;
    int32_t count;
    caf::response_promise promise;
  };
  std::vector<waiter> waiting;
  int64_t next_waiter = 0;
  std::vector<caf::response_promise> stopping;  // (stop) requests waiting for the workers to go
  int32_t stop_count = 0;                       // workers when the stop began
};

using master_actor = caf::stateful_actor<cluster_master_state>;

void wake_waiters(master_actor* self) {
  auto& st = self->state;
  const auto n = static_cast<int32_t>(st.workers.size());
  for (auto it = st.waiting.begin(); it != st.waiting.end();) {
    if (it->count <= n) {
      it->promise.deliver(n);
      it = st.waiting.erase(it);
    } else {
      ++it;
    }
  }
}

void finish_stop_when_done(master_actor* self) {
  auto& st = self->state;
  if (st.stopping.empty() || !st.workers.empty()) return;
  for (auto& rp : st.stopping) rp.deliver(st.stop_count);
  st.stopping.clear();
}

registration_reply admit(master_actor* self, registration_msg& m) {
  auto& st = self->state;
  const std::string who = "worker " + m.node.node_id + " (pid " + std::to_string(m.node.pid) + ")";
  auto refuse = [&](std::string why) {
    spdlog::error("refused {}: {}", who, why);
    return registration_reply{std::move(why), st.setup.driver_id};
  };
  if (!st.nonces.erase(m.nonce))
    return refuse("its registration answers no challenge of this driver (ask with hello first)");
  if (!proofs_match(registration_proof(st.setup.secret, m.nonce, m.node.node_id, m.node.fingerprint), m.proof))
    return refuse("authentication failed: its rill.authenticate.secret differs from the driver's");
  if (m.node.fingerprint != st.setup.fingerprint)
    return refuse("it runs a different program: its graph fingerprint " + fingerprint_hex(m.node.fingerprint) +
                  " differs from the driver's " + fingerprint_hex(st.setup.fingerprint) +
                  "; start workers from the same binary with the same arguments");
  if (!m.agent || !m.task_server || !m.receiver_host) return refuse("its registration names no worker actors");
  for (const auto& w : st.workers)
    if (w.info.node_id == m.node.node_id) return refuse("a worker with the same node id is already registered");
  self->monitor(m.agent);
  st.workers.push_back({m.node, m.agent, m.task_server, m.receiver_host});
  spdlog::info("{} registered with {} cores ({} workers now)", who, m.node.cores, st.workers.size());
  // Every worker learns where the others are, and connects to them directly.
  std::vector<node_info> peers;
  for (const auto& w : st.workers) peers.push_back(w.info);
  for (const auto& w : st.workers) self->send(w.agent, peers_atom::value, peers);
  wake_waiters(self);
  return {"", st.setup.driver_id, st.setup.zero_time_ms, st.setup.default_parallelism};
}

caf::behavior cluster_master(master_actor* self, ClusterMasterSetup setup) {
  name_failures(self, "cluster_master");
  self->state.setup = std::move(setup);
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& workers = self->state.workers;
    for (auto it = workers.begin(); it != workers.end(); ++it) {
      if (it->agent.address() != dm.source) continue;
      if (self->state.stopping.empty())
        spdlog::warn("worker {} (pid {}) is gone: {} ({} workers left)", it->info.node_id, it->info.pid,
                     self->system().render(dm.reason), workers.size() - 1);
      workers.erase(it);
      finish_stop_when_done(self);
      return;
    }
  });
  return {
      [=](hello_atom) -> std::string {
        auto& st = self->state;
        auto nonce = make_registration_nonce();
        st.nonces.insert(nonce);
        st.nonce_order.push_back(nonce);
        while (st.nonce_order.size() > kMaxOutstandingNonces) {
          st.nonces.erase(st.nonce_order.front());
          st.nonce_order.pop_front();
        }
        return nonce;
      },
      [=](register_atom, registration_msg& m) { return admit(self, m); },
      [=](homes_atom) {
        std::vector<worker_home> homes;
        for (const auto& w : self->state.workers) homes.push_back({w.info.node_id, w.task_server, w.receiver_host});
        return homes;
      },
      [=](workers_atom) {
        std::vector<node_info> out;
        for (const auto& w : self->state.workers) out.push_back(w.info);
        return out;
      },
      [=](workers_atom, int32_t n, int64_t within_ms) -> caf::result<int32_t> {
        auto& st = self->state;
        if (static_cast<int32_t>(st.workers.size()) >= n) return static_cast<int32_t>(st.workers.size());
        auto rp = self->make_response_promise<int32_t>();
        const int64_t id = st.next_waiter++;
        st.waiting.push_back({id, n, rp});
        self->delayed_send(self, std::chrono::milliseconds(within_ms), workers_atom::value, id);
        return rp;
      },
      [=](workers_atom, int64_t waiter_id) {  // a wait's time is up: answer with the count so far
        auto& waiting = self->state.waiting;
        for (auto it = waiting.begin(); it != waiting.end(); ++it) {
          if (it->id != waiter_id) continue;
          it->promise.deliver(static_cast<int32_t>(self->state.workers.size()));
          waiting.erase(it);
          return;
        }
      },
      [=](stop_atom) -> caf::result<int32_t> {
        // A worker has stopped when its process is gone (its agent's down
        // message), not when it answers: it exits right after the message.
        auto& st = self->state;
        st.stopping.push_back(self->make_response_promise<int32_t>());
        st.stop_count = static_cast<int32_t>(st.workers.size());
        for (const auto& w : st.workers) self->send(w.agent, stop_atom::value);
        self->delayed_send(self, st.setup.stop_timeout, stop_atom::value, true);
        finish_stop_when_done(self);
        return st.stopping.back();
      },
      [=](stop_atom, bool) {  // the stop's time is up
        auto& st = self->state;
        if (st.stopping.empty()) return;
        for (const auto& w : st.workers)
          spdlog::warn("worker {} (pid {}) did not stop within {} ms", w.info.node_id, w.info.pid,
                       st.setup.stop_timeout.count());
        const int32_t stopped = st.stop_count - static_cast<int32_t>(st.workers.size());
        for (auto& rp : st.stopping) rp.deliver(stopped);
        st.stopping.clear();
      },
  };
}

}  // namespace

caf::actor spawn_cluster_master(caf::actor_system& sys, ClusterMasterSetup setup) {
  return sys.spawn(cluster_master, std::move(setup));
}

}  // namespace rill
