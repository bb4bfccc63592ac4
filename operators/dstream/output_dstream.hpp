// The output operation behind print, save_as_*_files, foreach_rdd and
// foreach_partition: at every batch time at which its parent has an RDD it
// yields one job. With a batch function (Fn) the job calls it with that RDD
// and the batch time, on the driver's job runner; with a partition function
// (PartitionFn) the job runs it on every partition, as tasks named after this
// output, so that a worker runs it from its own copy of the graph where the
// partition is computed. A partition function may come with a batch commit,
// which the driver runs around the tasks (save_as_*: staging directory
// before, rename into place after, removal on failure).
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "operators/dstream/dstream_node.hpp"

namespace rill {

template <class T>
class ForEachDStream : public DStreamBase, public OutputDStreamBase {
 public:
  using Fn = std::function<void(const RDD<T>&, Time)>;
  using PartitionFn = std::function<void(int, const std::vector<T>&, Time)>;
  struct BatchCommit {
    std::function<void(Time)> begin;
    std::function<void(Time, int partitions)> commit;  // after every task succeeded
    std::function<void(Time)> abort;                   // after a task failed
  };
  ForEachDStream(StreamingContext& ssc, DStreamNodePtr<T> parent, std::string name, Fn fn)
      : DStreamBase(ssc, {parent}, parent->slide_duration(), std::move(name)),
        parent_(std::move(parent)), fn_(std::move(fn)) {}
  ForEachDStream(StreamingContext& ssc, DStreamNodePtr<T> parent, std::string name, PartitionFn fn,
                 BatchCommit commit = {})
      : DStreamBase(ssc, {parent}, parent->slide_duration(), std::move(name)),
        parent_(std::move(parent)), partition_fn_(std::move(fn)), commit_(std::move(commit)) {}

  void run_output_partition(Time t, int p) override {
    if (!partition_fn_) DStreamBase::run_output_partition(t, p);
    RDD<T> rdd = parent_->get_or_compute(t);
    if (!rdd) throw RillError(name() + ": no RDD at " + t.to_string());
    auto records = rdd.node()->partition(p);
    partition_fn_(p, *records, t);
  }

  DStreamBase& stream() override { return *this; }
  std::string record_type() const override { return typeid(T).name(); }

  std::vector<Job> generate_job(Time t) override {
    RDD<T> rdd = parent_->get_or_compute(t);
    if (!rdd) return {};
    Job job;
    job.time = t;
    job.name = name();
    if (fn_) {
      job.run = [fn = fn_, rdd, t] { fn(rdd, t); };
    } else {
      job.run = [fn = partition_fn_, commit = commit_, rdd, t, output = id()] {
        const RDDNodePtr<T>& node = rdd.node();
        std::vector<TaskPtr> tasks;
        for (int p = 0; p < node->num_partitions(); ++p) {
          auto task = make_task(TaskName::Kind::output, node->name(), p, [fn, node, p, t] {
            fn(p, *node->partition(p), t);
            return TaskOutput{nullptr};
          }, output);
          task->rdd = node.get();
          tasks.push_back(std::move(task));
        }
        if (commit.begin) commit.begin(t);
        try {
          run_job(*node, std::move(tasks));
        } catch (...) {
          if (commit.abort) commit.abort(t);
          throw;
        }
        if (commit.commit) commit.commit(t, node->num_partitions());
      };
    }
    return {std::move(job)};
  }

 protected:
  void forget_through(Time) override {}
  void uncache_through(Time) override {}

 private:
  DStreamNodePtr<T> parent_;
  Fn fn_;                     // one of the two is set
  PartitionFn partition_fn_;
  BatchCommit commit_;
};

}  // namespace rill
