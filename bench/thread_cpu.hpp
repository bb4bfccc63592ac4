// CPU time of this process's threads, by name, from /proc/self/task: what
// each part of a benchmark run (partition workers, receiver, line server)
// cost. The engine names its threads (runtime/base/thread_name.hpp).
#pragma once
#include <dirent.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <string>

namespace rill::bench {

struct ThreadCpu {
  std::string name;
  int64_t cpu_ns = 0;  // time on a CPU (schedstat's first field)
};

// tid → name and CPU time, for every thread alive now.
inline std::map<int, ThreadCpu> snapshot_thread_cpu() {
  std::map<int, ThreadCpu> threads;
  DIR* dir = ::opendir("/proc/self/task");
  if (!dir) return threads;
  while (dirent* e = ::readdir(dir)) {
    if (e->d_name[0] == '.') continue;
    const std::string task = std::string("/proc/self/task/") + e->d_name;
    ThreadCpu t;
    std::ifstream comm(task + "/comm");
    std::getline(comm, t.name);
    std::ifstream schedstat(task + "/schedstat");
    if (!(schedstat >> t.cpu_ns)) continue;
    threads[std::stoi(e->d_name)] = t;
  }
  ::closedir(dir);
  return threads;
}

// The part of a benchmark run a thread belongs to, by its name: "workers"
// (partition workers), "receiver" (a receiver's thread: names end in
// ".rx"), "line server", or "other".
inline std::string thread_part(const std::string& name) {
  if (name.rfind("rill.worker.", 0) == 0) return "workers";
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".rx") == 0) return "receiver";
  if (name == "line-server") return "line server";
  return "other";
}

// CPU seconds between two snapshots, summed by group(name). A thread absent
// from `before` (or whose tid was reused) counts from its start; threads that
// ended between the snapshots are not seen.
template <class Group>
std::map<std::string, double> cpu_seconds_by_group(const std::map<int, ThreadCpu>& before,
                                                   const std::map<int, ThreadCpu>& after, Group group) {
  std::map<std::string, double> seconds;
  for (const auto& [tid, t] : after) {
    int64_t ns = t.cpu_ns;
    auto b = before.find(tid);
    if (b != before.end() && b->second.name == t.name && b->second.cpu_ns <= ns) ns -= b->second.cpu_ns;
    seconds[group(t.name)] += static_cast<double>(ns) / 1e9;
  }
  return seconds;
}

}  // namespace rill::bench
