#include "runtime/base/task_placement.hpp"

#include <algorithm>
#include <numeric>

namespace rill {

std::vector<size_t> place_tasks(const std::vector<TaskInput>& tasks, const std::vector<std::string>& workers) {
  std::vector<size_t> out(tasks.size(), 0);
  if (workers.empty()) return out;
  const size_t n = workers.size();
  int64_t total = 0, largest = 0;
  for (const auto& t : tasks) {
    total += t.bytes;
    largest = std::max(largest, t.bytes);
  }
  std::vector<size_t> order(tasks.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tasks[a].bytes > tasks[b].bytes; });
  std::vector<int64_t> load(n, 0);
  std::vector<int64_t> count(n, 0);
  const int64_t share = total / static_cast<int64_t>(n) + largest / 2;
  for (size_t i : order) {
    const TaskInput& t = tasks[i];
    size_t dest;
    if (t.slot >= 0) {
      auto owner = std::find(workers.begin(), workers.end(), t.node);
      dest = owner != workers.end() ? static_cast<size_t>(owner - workers.begin()) : static_cast<size_t>(t.slot) % n;
    } else if (t.bytes <= 0) {
      dest = static_cast<size_t>(t.partition) % n;
    } else {
      auto home = std::find(workers.begin(), workers.end(), t.node);
      const size_t preferred = static_cast<size_t>(home - workers.begin());
      if (home != workers.end() && load[preferred] + t.bytes <= share) {
        dest = preferred;
      } else {
        dest = 0;
        for (size_t w = 1; w < n; ++w)
          if (load[w] < load[dest] || (load[w] == load[dest] && count[w] < count[dest])) dest = w;
      }
    }
    load[dest] += t.bytes;
    ++count[dest];
    out[i] = dest;
  }
  return out;
}

}  // namespace rill
