// DStreamNode<T>: a DStream's typed RDDs, one per batch time, computed once
// and kept until the graph clears them. Every operator's stream derives from
// it and implements compute(t).
//
// Thread safety: the job generator, job runners and (in a cluster) the task
// server call get_or_compute at once, so the generated RDDs are guarded by a
// recursive mutex. It is held while compute(t) runs — user code included
// (transform functions) — and compute reaches its parents' get_or_compute
// and sometimes this stream's own earlier batch (state, reduced windows),
// hence recursive. A transform function must therefore not wait for another
// thread that computes this stream.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeinfo>
#include <vector>

#include "operators/dstream/dstream_base.hpp"
#include "operators/rdd/rdd.hpp"
#include "runtime/base/time.hpp"

namespace rill {

template <class T>
class DStreamNode : public DStreamBase {
 public:
  using DStreamBase::DStreamBase;
  std::string record_type() const override { return typeid(T).name(); }

  std::shared_ptr<const RDDBase> rdd_base_at(Time t) override {
    auto rdd = get_or_compute(t);
    return rdd ? std::static_pointer_cast<const RDDBase>(rdd.node()) : nullptr;
  }

  // The RDD of batch time t: computed once, then kept until cleared. Null when
  // t is not a valid time for this stream.
  RDD<T> get_or_compute(Time t) {
    std::lock_guard<std::recursive_mutex> lock(compute_mutex_);
    auto it = generated_.find(t);
    if (it != generated_.end()) return it->second;
    if (!is_time_valid(t)) return {};
    RDD<T> rdd;
    {
      RddNamingScope naming(RddName::Origin::stream, id(), t.milliseconds());
      rdd = compute(t);
    }
    if (rdd) {
      if (persist_) rdd.persist();
      if (recomputes_lost_partitions()) rdd.node()->keep_lineage_until_checkpoint();
      generated_.emplace(t, rdd);
    }
    return rdd;
  }

  // The RDDs of valid times in [from, to] (Spark's slice), in time order.
  std::vector<RDD<T>> slice_rdds(Time from, Time to) {
    // As Spark: both ends are aligned down to the stream's slide; times at or
    // before the zero time have no RDD.
    std::vector<RDD<T>> out;
    Time zero = zero_time();
    Duration s = slide_duration();
    Time aligned_from = zero + s * floor_div((from - zero).milliseconds(), s.milliseconds());
    Time aligned_to = zero + s * floor_div((to - zero).milliseconds(), s.milliseconds());
    for (Time t = aligned_from; t <= aligned_to; t = t + s)
      if (t > zero)
        if (auto r = get_or_compute(t)) out.push_back(r);
    return out;
  }

  // Makes `rdd` this stream's RDD at t (recovery: state read back from a
  // checkpoint), so that batches after t build on it instead of recomputing.
  void restore_rdd(Time t, RDD<T> rdd) {
    std::lock_guard<std::recursive_mutex> lock(compute_mutex_);
    if (persist_) rdd.persist();
    generated_[t] = std::move(rdd);
  }

  // The RDD generated for t, without computing one; null when there is none.
  RDD<T> generated_at(Time t) const {
    std::lock_guard<std::recursive_mutex> lock(compute_mutex_);
    auto it = generated_.find(t);
    return it == generated_.end() ? RDD<T>{} : it->second;
  }

  // Times of the RDDs currently held (for tests of memory clearing).
  std::vector<Time> generated_times() const {
    std::lock_guard<std::recursive_mutex> lock(compute_mutex_);
    std::vector<Time> times;
    for (const auto& kv : generated_) times.push_back(kv.first);
    return times;
  }

 protected:
  // The RDD for valid time t (null for "no RDD this batch").
  virtual RDD<T> compute(Time t) = 0;

  // A forgotten RDD drops its lineage too: the RDDs after it read its
  // partitions from where they are cached (for state: the node that keeps
  // each partition), so its own inputs are never read again.
  void forget_through(Time cutoff) override {
    std::lock_guard<std::recursive_mutex> lock(compute_mutex_);
    while (!generated_.empty() && generated_.begin()->first <= cutoff) {
      if (const auto& node = generated_.begin()->second.node()) node->release_lineage();
      generated_.erase(generated_.begin());
    }
  }
  void uncache_through(Time cutoff) override {
    std::lock_guard<std::recursive_mutex> lock(compute_mutex_);
    for (const auto& [t, rdd] : generated_) {
      if (t > cutoff) break;
      if (const auto& node = rdd.node()) node->unpersist();
    }
  }

 private:
  mutable std::recursive_mutex compute_mutex_;
  std::map<Time, RDD<T>> generated_;
};

template <class T>
using DStreamNodePtr = std::shared_ptr<DStreamNode<T>>;

}  // namespace rill
