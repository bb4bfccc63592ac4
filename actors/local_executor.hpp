// LocalExecutor: the Executor of a context's RDDs in this process. It hands
// a job to the job scheduler whole (the scheduler runs its map stages, then
// its tasks, on the partition workers) and blocks the calling thread (a job
// runner, or the user's thread in an action) once, until the job is done. A
// cluster driver instead prepares the job stage by stage and first offers
// each stage to its workers (set_remote_runner). Its methods may be called
// from any thread.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "runtime/base/block_store.hpp"
#include "runtime/base/task.hpp"

namespace rill {

class LocalExecutor : public Executor {
 public:
  LocalExecutor(caf::actor_system& sys, caf::actor gateway, caf::actor scheduler, int parallelism)
      : sys_(sys), gateway_(std::move(gateway)), scheduler_(std::move(scheduler)), parallelism_(parallelism) {}

  // Runs a stage elsewhere when it can (the workers of a cluster): returns
  // nothing to have it run here.
  using RemoteRunner = std::function<std::optional<std::vector<TaskOutput>>(std::vector<TaskPtr>&)>;

  // Throw IllegalStateError after close(), JobFailedError when a task failed.
  std::vector<TaskOutput> run_job(const RDDBase& final, std::vector<TaskPtr> tasks) override;
  std::vector<TaskOutput> run_stage(std::vector<TaskPtr> tasks) override;
  std::optional<TaskOutput> run_elsewhere(const TaskPtr& task) override;

  bool has_elsewhere() const override { return remote_ && !closed_.load(); }

  int default_parallelism() const override { return parallelism_.load(); }
  void set_default_parallelism(int n) { parallelism_ = n; }
  void set_remote_runner(RemoteRunner r) { remote_ = std::move(r); }
  BlockStore& block_store() override { return *store_; }
  // The context is gone: later stages throw, nothing runs elsewhere.
  void close() { closed_ = true; }

 private:
  caf::actor_system& sys_;
  caf::actor gateway_;
  caf::actor scheduler_;
  std::atomic<int> parallelism_;
  RemoteRunner remote_;  // set before any stage runs (serve_workers), then only read
  std::shared_ptr<BlockStore> store_ = std::make_shared<BlockStore>();
  std::atomic<bool> closed_{false};
};

}  // namespace rill
