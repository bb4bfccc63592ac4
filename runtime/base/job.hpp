// A Job: one output operation's work for one batch, as the job scheduler and
// its runners see it (no record types: the work is a closure).
#pragma once
#include <functional>
#include <string>

#include "runtime/base/time.hpp"

namespace rill {

struct Job {
  Time time;
  int output_id = 0;  // position among the batch's jobs (output operations, then checkpoints)
  std::string name;
  std::function<void()> run;  // runs on a job runner thread; may block on RDD actions
  // Upkeep of the batch (computing the state partitions no output read):
  // run at the end of the batch's last job instead of as a job of its own,
  // so that a stop never finds a batch whose outputs ran but is incomplete.
  bool ends_previous = false;
};

}  // namespace rill
