// partition_worker: runs tasks (a fused chain of narrow operators over one
// partition, ending in a shuffle write or a result) on its own thread.
#include <chrono>

#include "actors/actors.hpp"
#include "runtime/base/rdd_name.hpp"
#include "runtime/base/thread_name.hpp"
#include "runtime/base/thread_role.hpp"

namespace rill {

namespace {
caf::behavior partition_worker(caf::event_based_actor* self, int index) {
  name_this_thread("rill.worker." + std::to_string(index));  // detached: this is its own thread
  return {
      [index](run_task_atom, const task_msg& m) -> task_result {
        if (m.claim && m.claim->exchange(true)) return {{}, "", true};
        ThreadRoleScope role(ThreadRole::task);
        try {
          return {m.task->run(), ""};
        } catch (const std::exception& e) {
          return {{}, std::string("task for partition ") + std::to_string(m.task->partition) +
                          " failed on worker " + std::to_string(index) + ": " + e.what()};
        } catch (...) {
          return {{}, "task for partition " + std::to_string(m.task->partition) +
                          " failed with an unknown exception"};
        }
      },
  };
}

caf::behavior job_runner(caf::event_based_actor*) {
  name_this_thread("rill.job");
  return {
      [](run_job_atom, const job_msg& m) -> job_result {
        ThreadRoleScope role(ThreadRole::job);
        job_result r;
        r.start_ms = wall_clock_ms();
        try {
          RddNamingScope naming(RddName::Origin::output_job, m.job->output_id, m.job->time.milliseconds());
          m.job->run();
        } catch (const std::exception& e) {
          r.error = e.what();
        } catch (...) {
          r.error = "unknown exception";
        }
        r.end_ms = wall_clock_ms();
        return r;
      },
  };
}
}  // namespace

int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

caf::actor spawn_partition_worker(caf::actor_system& sys, int index) {
  return sys.spawn<caf::detached>(partition_worker, index);
}

caf::actor spawn_job_runner(caf::actor_system& sys) { return sys.spawn<caf::detached>(job_runner); }

}  // namespace rill
