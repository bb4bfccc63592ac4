#include "actors/actor_system_config.hpp"

#include <caf/io/middleman.hpp>
#include <unistd.h>

#include <algorithm>

#include "actors/protocol.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

std::pair<Duration, Duration> heartbeats(const Config& conf) {
  const Duration interval = conf.get(keys::heartbeat_interval);
  const Duration timeout = conf.get(keys::heartbeat_timeout);
  if (timeout.milliseconds() <= 2 * interval.milliseconds())
    throw ConfigError("rill.cluster.heartbeatTimeout (" + std::to_string(timeout.milliseconds()) +
                      " ms) must be more than twice rill.cluster.heartbeatInterval (" +
                      std::to_string(interval.milliseconds()) + " ms), or a live peer could be declared lost");
  return {interval, timeout};
}

caf::actor_system_config make_config(const Config& conf, int workers, bool networked) {
  caf::actor_system_config cfg;
  register_cluster_types(cfg);
  if (networked) {
    cfg.load<caf::io::middleman>();
    const auto [interval, timeout] = heartbeats(conf);
    cfg.set("middleman.heartbeat-interval", caf::timespan{std::chrono::milliseconds(interval.milliseconds())});
    cfg.set("middleman.connection-timeout", caf::timespan{std::chrono::milliseconds(timeout.milliseconds())});
  }
  // Pooled actors (scheduler, generator, tracker) need few threads: the heavy
  // work runs on detached partition workers and job runners. A bounded
  // max-throughput keeps timers from being starved (measured on CAF 0.17).
  cfg.set("scheduler.max-threads", std::max(2, std::min(workers, 4)));
  cfg.set("scheduler.max-throughput", 64);
  // Work sharing: an idle pool thread blocks on a condition variable. Work
  // stealing's idle threads poll with 50 us sleeps, which on a machine with
  // as many busy threads as cores took a third of the CPU from the partition
  // workers (bench/RESULTS.md, "scheduler policy"); a request round trip is
  // also 4x faster with sharing (measured on CAF 0.17). Measured: bench/RESULTS.md,
  // the cluster rows of 2026-12-02.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  return cfg;
}

std::string this_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

}  // namespace rill
