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
};

}  // namespace rill
