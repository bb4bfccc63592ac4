#include "actors/local_executor.hpp"

#include "actors/blocking_request.hpp"
#include "actors/protocol.hpp"
#include "operators/rdd/rdd_node.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

std::vector<TaskOutput> LocalExecutor::run_job(const RDDBase& final, std::vector<TaskPtr> tasks) {
  if (closed_.load()) throw IllegalStateError("the StreamingContext of this RDD has been destroyed");
  if (remote_) {  // a cluster driver: stage by stage, each offered to the workers
    prepare_shuffles(final);
    return run_stage(std::move(tasks));
  }
  auto reply = blocking_request<stage_result>(gateway_, scheduler_, submit_job_atom::value,
                                              job_submission{&final, std::move(tasks)});
  if (!reply) throw JobFailedError("job scheduler failed: " + sys_.render(reply.error()));
  if (!reply->error.empty()) throw JobFailedError(reply->error);
  return std::move(reply->outputs);
}

std::vector<TaskOutput> LocalExecutor::run_stage(std::vector<TaskPtr> tasks) {
  if (closed_.load()) throw IllegalStateError("the StreamingContext of this RDD has been destroyed");
  if (tasks.empty()) return {};
  if (remote_)
    if (auto outputs = remote_(tasks)) return std::move(*outputs);
  auto reply = blocking_request<stage_result>(gateway_, scheduler_, run_stage_atom::value, stage_msg{std::move(tasks)});
  if (!reply) throw JobFailedError("job scheduler failed: " + sys_.render(reply.error()));
  if (!reply->error.empty()) throw JobFailedError(reply->error);
  return std::move(reply->outputs);
}

std::optional<TaskOutput> LocalExecutor::run_elsewhere(const TaskPtr& task) {
  if (!remote_ || closed_.load()) return std::nullopt;
  std::vector<TaskPtr> tasks{task};
  auto outputs = remote_(tasks);
  if (!outputs) return std::nullopt;
  return std::move(outputs->at(0));
}

}  // namespace rill
