// window(): the RDD at time t is the union of the parent's RDDs in the window
// (t - window, t]. Windows near the start are partial (only the batches since
// the zero time), and windows after the input ends slide over empty batches,
// as in Spark. The parent's RDDs are persisted and remembered for the window.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "operators/dstream/dstream_node.hpp"
#include "operators/rdd/narrow_rdds.hpp"
#include "runtime/base/streaming_context_fwd.hpp"
#include "runtime/base/view_records.hpp"

namespace rill {

// Throws unless window and slide are whole multiples of the parent's slide.
inline void check_window(const DStreamBase& parent, Duration window, Duration slide, const std::string& op) {
  if (!window.is_multiple_of(parent.slide_duration()))
    throw RillError(op + ": the window duration (" + window.to_string() +
                    ") must be a multiple of the slide duration of the parent stream (" +
                    parent.slide_duration().to_string() + ")");
  if (!slide.is_multiple_of(parent.slide_duration()))
    throw RillError(op + ": the slide duration (" + slide.to_string() +
                    ") must be a multiple of the slide duration of the parent stream (" +
                    parent.slide_duration().to_string() + ")");
}

template <class T>
class WindowedDStream : public DStreamNode<T> {
  RILL_REFUSE_VIEW_RECORDS(T, "window");

 public:
  WindowedDStream(StreamingContext& ssc, DStreamNodePtr<T> parent, Duration window, Duration slide)
      : DStreamNode<T>(ssc, {parent}, slide, "window"), parent_(std::move(parent)), window_(window) {
    check_window(*parent_, window, slide, "window");
    parent_->set_persist();
  }
  Duration window_duration() const { return window_; }

 protected:
  RDD<T> compute(Time t) override {
    auto rdds = parent_->slice_rdds(t - window_ + parent_->slide_duration(), t);
    std::vector<RDDNodePtr<T>> nodes;
    for (auto& r : rdds) nodes.push_back(r.node());
    return RDD<T>(std::make_shared<UnionRDD<T>>(executor_of(this->context()), std::move(nodes)));
  }
  Duration parent_remember_extra() const override { return window_; }

 private:
  DStreamNodePtr<T> parent_;
  Duration window_;
};

}  // namespace rill
