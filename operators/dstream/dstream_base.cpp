#include "operators/dstream/dstream_base.hpp"

#include "operators/dstream/dstream_graph.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/streaming_context_fwd.hpp"

namespace rill {

DStreamBase::DStreamBase(StreamingContext& ssc, std::vector<std::shared_ptr<DStreamBase>> parents,
                         Duration slide, std::string name)
    : ssc_(ssc), parents_(std::move(parents)), slide_(slide), name_(std::move(name)) {
  for (const auto& p : parents_) {
    if (!p) throw RillError(name_ + ": a parent stream is null");
    if (&p->context() != &ssc)
      throw RillError(name_ + ": a parent stream belongs to another StreamingContext");
  }
  if (slide_.milliseconds() <= 0) throw RillError(name_ + ": slide duration must be positive");
  id_ = graph_of(ssc).register_stream(name_);
}

void DStreamBase::initialize(Time zero_time) {
  {
    std::lock_guard<std::mutex> lock(meta_mutex_);
    if (initialized_ && zero_time_ == zero_time) return;
    zero_time_ = zero_time;
    initialized_ = true;
    if (remember_ < slide_) remember_ = slide_;
    if (must_checkpoint_ && checkpoint_interval_.milliseconds() == 0)
      checkpoint_interval_ = default_checkpoint_interval();
  }
  for (auto& p : parents_) p->initialize(zero_time);
}

void DStreamBase::remember(Duration d) {
  Duration own;
  {
    std::lock_guard<std::mutex> lock(meta_mutex_);
    if (d > remember_) remember_ = d;
    own = remember_;
  }
  for (auto& p : parents_) p->remember(own + parent_remember_extra());
}

Duration DStreamBase::remember_duration() const {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  return remember_;
}

void DStreamBase::validate_at_start() const {
  if (must_checkpoint_ && checkpoint_directory_of(ssc_).empty())
    throw IllegalStateError(name_ + " needs checkpointing: the checkpoint directory has not been set; "
                            "set it with StreamingContext::checkpoint(dir) before start()");
  Duration interval = checkpoint_interval();
  if (interval.milliseconds() > 0 && !interval.is_multiple_of(slide_))
    throw IllegalStateError("the checkpoint interval of " + name_ + " (" + interval.to_string() +
                            ") is not a multiple of its slide duration (" + slide_.to_string() + ")");
  for (const auto& p : parents_) p->validate_at_start();
}

void DStreamBase::set_checkpoint_interval(Duration d) {
  if (d.milliseconds() <= 0) throw RillError(name_ + ": checkpoint interval must be positive");
  std::lock_guard<std::mutex> lock(meta_mutex_);
  checkpoint_interval_ = d;
}

Duration DStreamBase::checkpoint_interval() const {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  return checkpoint_interval_;
}

bool DStreamBase::is_checkpoint_time(Time t) const {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  return checkpoint_interval_.milliseconds() > 0 && t > zero_time_ &&
         (t - zero_time_).is_multiple_of(checkpoint_interval_);
}

Duration DStreamBase::default_checkpoint_interval() const {
  // Spark's rule: the smallest multiple of the slide that is at least 10 s.
  int64_t s = slide_.milliseconds();
  int64_t k = (10000 + s - 1) / s;
  return Duration(s * k);
}

void DStreamBase::clear_metadata(Time t) {
  forget_through(t - remember_duration());
  // The next batch reads only the newest RDD's cache.
  if (recomputes_lost_partitions_) uncache_through(t - slide_);
}

void DStreamBase::prepare_recovery() {
  const Config& conf = config_of(ssc_);
  if (!must_checkpoint_ || !computable_by_workers() || !(conf.is_worker() || conf.is_cluster_driver())) return;
  recomputes_lost_partitions_ = true;
  remember(checkpoint_interval() * 2);
}

bool DStreamBase::is_time_valid(Time t) const {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  if (!initialized_) throw IllegalStateError(name_ + " has not been initialized (context not started)");
  if (t <= zero_time_) return false;
  return (t - zero_time_).is_multiple_of(slide_);
}

Time DStreamBase::zero_time() const {
  std::lock_guard<std::mutex> lock(meta_mutex_);
  return zero_time_;
}

void DStreamBase::run_output_partition(Time t, int) {
  throw RillError(name() + " (stream " + std::to_string(id()) + ") has no per-partition function to run at " +
                  t.to_string());
}

void DStreamBase::install_batch(Time t, const std::string&, const std::string& origin) {
  throw RillError(name() + " (stream " + std::to_string(id()) + ") cannot take a description of batch " +
                  t.to_string() + " from " + origin);
}

bool DStreamBase::computable_by_workers() const {
  if (parents_.empty() || must_checkpoint()) return false;
  for (const auto& p : parents_)
    if (!p->computable_by_workers()) return false;
  return true;
}

}  // namespace rill
