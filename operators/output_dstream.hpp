// The output operation behind print, save_as_*_files and foreach_rdd: at every
// batch time at which its parent has an RDD it yields one job that calls the
// function with that RDD and the batch time, on the driver's job runner.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "runtime/dstream_base.hpp"

namespace rill {

template <class T>
class ForEachDStream : public DStreamBase, public OutputDStreamBase {
 public:
  using Fn = std::function<void(const RDD<T>&, Time)>;
  ForEachDStream(StreamingContext& ssc, DStreamNodePtr<T> parent, std::string name, Fn fn)
      : DStreamBase(ssc, {parent}, parent->slide_duration(), std::move(name)),
        parent_(std::move(parent)), fn_(std::move(fn)) {}

  DStreamBase& stream() override { return *this; }
  std::string record_type() const override { return typeid(T).name(); }

  std::vector<Job> generate_job(Time t) override {
    RDD<T> rdd = parent_->get_or_compute(t);
    if (!rdd) return {};
    Job job;
    job.time = t;
    job.name = name();
    job.run = [fn = fn_, rdd, t] { fn(rdd, t); };
    return {std::move(job)};
  }

 protected:
  void forget_through(Time) override {}

 private:
  DStreamNodePtr<T> parent_;
  Fn fn_;
};

}  // namespace rill
