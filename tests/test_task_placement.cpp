// Task placement over workers: locality within a byte balance.
#include <catch2/catch.hpp>

#include <numeric>

#include "runtime/base/task_placement.hpp"

using rill::place_tasks;
using rill::TaskInput;

namespace {
std::vector<int64_t> bytes_per_worker(const std::vector<TaskInput>& tasks, const std::vector<size_t>& placed, size_t n) {
  std::vector<int64_t> load(n, 0);
  for (size_t i = 0; i < tasks.size(); ++i) load[placed[i]] += tasks[i].bytes;
  return load;
}
}  // namespace

TEST_CASE("tasks without input bytes go round-robin by partition", "[unit]") {
  std::vector<TaskInput> tasks;
  for (int p = 0; p < 5; ++p) tasks.push_back({p, "", 0});
  CHECK(place_tasks(tasks, {"a/1", "b/2"}) == std::vector<size_t>{0, 1, 0, 1, 0});
  CHECK(place_tasks(tasks, {}) == std::vector<size_t>(5, 0));
}

TEST_CASE("tasks reading blocks held on two workers run where their blocks are", "[unit]") {
  std::vector<TaskInput> tasks;
  for (int p = 0; p < 8; ++p) tasks.push_back({p, p % 2 == 0 ? "a/1" : "b/2", 1000 + p});
  auto placed = place_tasks(tasks, {"a/1", "b/2"});
  for (int p = 0; p < 8; ++p) CHECK(placed[p] == static_cast<size_t>(p % 2));
}

TEST_CASE("one receiver's blocks, all on one worker, are shared with the others by bytes", "[unit]") {
  const std::vector<std::string> workers{"a/1", "b/2", "c/3"};
  std::vector<TaskInput> tasks;
  for (int p = 0; p < 12; ++p) tasks.push_back({p, "b/2", p % 3 == 0 ? 4000 : 1000});
  auto placed = place_tasks(tasks, workers);
  auto load = bytes_per_worker(tasks, placed, workers.size());
  const int64_t total = std::accumulate(load.begin(), load.end(), int64_t{0});
  for (int64_t l : load) {
    CHECK(l >= total / 3 - 4000);
    CHECK(l <= total / 3 + 4000 / 2);
  }
  CHECK(load[1] >= load[0]);  // the holder gets at least its share
}

TEST_CASE("a task whose node is not a worker goes to the least-loaded worker", "[unit]") {
  std::vector<TaskInput> tasks{{0, "gone/9", 500}, {1, "gone/9", 400}, {2, "a/1", 100}};
  auto placed = place_tasks(tasks, {"a/1", "b/2"});
  CHECK(placed[0] != placed[1]);
  CHECK(placed[2] == 0);  // its own node, within the balance's slack (half the largest task)
  auto load = bytes_per_worker(tasks, placed, 2);
  CHECK(std::max(load[0], load[1]) <= 1000 / 2 + 500 / 2);
}

TEST_CASE("a task with a slot (a state partition) always goes to workers[slot % n], whatever the balance", "[unit]") {
  const std::vector<std::string> workers{"a/1", "b/2", "c/3"};
  std::vector<TaskInput> tasks;
  for (int p = 0; p < 7; ++p) tasks.push_back({p, "", 0, (p * 5) % 7});
  tasks.push_back({7, "a/1", 1 << 20});  // a large block task: it must not move the slots
  auto placed = place_tasks(tasks, workers);
  for (int p = 0; p < 7; ++p) CHECK(placed[p] == static_cast<size_t>(((p * 5) % 7) % 3));
  CHECK(placed[7] == 0);
  CHECK(place_tasks(tasks, workers) == placed);  // the same every batch
}

TEST_CASE("a slot stays with its owner while the owner is there; a lost owner's slots go to workers[slot % n]", "[unit]") {
  // Slots 0..5 owned round-robin by a, b, c; then b is lost and d joins.
  const std::vector<std::string> before{"a/1", "b/2", "c/3"};
  std::vector<TaskInput> tasks;
  for (int s = 0; s < 6; ++s) tasks.push_back({s, before[s % 3], 0, s});
  const std::vector<std::string> after{"a/1", "c/3", "d/4"};
  auto placed = place_tasks(tasks, after);
  for (int s = 0; s < 6; ++s) {
    INFO("slot " << s);
    if (before[s % 3] == "b/2")
      CHECK(placed[s] == static_cast<size_t>(s % 3));  // moved: b is gone
    else
      CHECK(after[placed[s]] == before[s % 3]);  // stays: no slot moves to the new worker d
  }
}
