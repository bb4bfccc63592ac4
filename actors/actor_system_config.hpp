// The CAF configuration of an engine's actor system: message types, the
// scheduler's policy and threads, and (for processes of a cluster) the
// middleman with Rill's heartbeat settings.
#pragma once
#include <string>
#include <utility>

#include <caf/actor_system_config.hpp>

#include "runtime/base/config.hpp"
#include "runtime/base/time.hpp"

namespace rill {

// The heartbeat interval and timeout of a networked process: a peer silent
// for the timeout is disconnected, which ends its proxies with a down
// message. Throws ConfigError when the timeout is not more than twice the
// interval.
std::pair<Duration, Duration> heartbeats(const Config& conf);

// `workers`: partition workers of this process; `networked`: a driver of
// worker processes, or a worker.
caf::actor_system_config make_config(const Config& conf, int workers, bool networked);

// This machine's host name, or "localhost" (names a node in a cluster).
std::string this_host_name();

}  // namespace rill
