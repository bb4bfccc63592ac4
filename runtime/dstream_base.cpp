#include "runtime/dstream_base.hpp"

#include "runtime/streaming_context.hpp"

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
  id_ = ssc.graph().register_stream(name_);
}

void DStreamBase::initialize(Time zero_time) {
  {
    std::lock_guard<std::mutex> lock(meta_mutex_);
    if (initialized_ && zero_time_ == zero_time) return;
    zero_time_ = zero_time;
    initialized_ = true;
    if (remember_ < slide_) remember_ = slide_;
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
  for (const auto& p : parents_) p->validate_at_start();
}

void DStreamBase::clear_metadata(Time t) {
  forget_through(t - remember_duration());
  for (auto& p : parents_) p->clear_metadata(t);
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

}  // namespace rill
