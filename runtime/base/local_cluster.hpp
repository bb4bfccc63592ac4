// The worker processes of a local-cluster[w,c] master.
//
// Each worker is this executable again, started with this process's own
// arguments (read from /proc/self/cmdline) minus the master, plus
// `--worker --driver HOST:PORT --cores c`: the same main() builds the
// same graph, then registers. Each worker holds the read end of a pipe whose
// write end only the driver process has, so when the driver ends, however it
// ends (SIGKILL included), the pipe closes and the worker exits
// (watch_driver_lifeline): no orphans.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/base/time.hpp"

namespace rill {

class LocalClusterProcesses {
 public:
  // Starts `workers` processes of `cores` cores each, told to register with
  // driver_host:driver_port. Throws RillError when one cannot be started
  // (those already started are killed).
  LocalClusterProcesses(int workers, int cores, const std::string& driver_host, uint16_t driver_port);
  // Kills the workers still running.
  ~LocalClusterProcesses();
  LocalClusterProcesses(const LocalClusterProcesses&) = delete;
  LocalClusterProcesses& operator=(const LocalClusterProcesses&) = delete;

  const std::vector<pid_t>& pids() const { return pids_; }
  // Waits up to `timeout` for every worker to exit, then kills (SIGKILL) and
  // reaps the rest. Returns how many exited by themselves with status 0.
  int wait_or_kill(Duration timeout);

 private:
  void kill_all();
  std::vector<pid_t> pids_;
  int lifeline_write_ = -1;
};

// The environment variable naming the lifeline's descriptor in a worker.
constexpr const char* kDriverLifelineEnv = "RILL_DRIVER_LIFELINE_FD";

// In a worker started by LocalClusterProcesses: a thread that ends this
// process (status 1, with a log line) when the driver's process has ended.
// Does nothing in other processes.
void watch_driver_lifeline();

}  // namespace rill
