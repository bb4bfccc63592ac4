// Which worker runs each task of a stage. A task whose input is a received
// block another node holds prefers that node (no bytes cross), but not at
// any price: one fast receiver puts every block of a batch on one worker,
// and sending them all there would leave the other workers idle. So input
// bytes are balanced first and locality decides within the balance.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rill {

struct TaskInput {
  int partition = 0;
  std::string node;   // where its input lives ("" when anywhere will do)
  int64_t bytes = 0;  // about how much input it reads
  int slot = -1;      // >= 0: input that stays on one node (state); `node` then names its owner
};

// An index into `workers` (node ids) for each task, in task order. A task
// with a slot goes to its owner (`node`, the worker that computed the slot's
// previous version) while that worker is in `workers`, else (no owner yet,
// or the owner was lost) to workers[slot % n]: a state partition stays where
// its previous version is, and a worker joining or leaving moves no other
// worker's slots. Tasks with no input bytes go round-robin by partition, as before any locality.
// Tasks with input go, largest first, to their node while its load stays
// within its fair share (total / workers) plus half the largest task; else
// to the least-loaded worker.
std::vector<size_t> place_tasks(const std::vector<TaskInput>& tasks, const std::vector<std::string>& workers);

}  // namespace rill
