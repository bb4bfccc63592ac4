// Streams whose RDD at time t is a function of their parents' RDDs at t:
// every stateless DStream operator (map, filter, reduce_by_key, join, union,
// transform, ...) is one of these, applying the RDD operator batch by batch.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "operators/dstream/dstream_node.hpp"

namespace rill {

template <class U>
class FunctionDStream : public DStreamNode<U> {
 public:
  using Fn = std::function<RDD<U>(Time)>;
  FunctionDStream(StreamingContext& ssc, std::vector<std::shared_ptr<DStreamBase>> parents,
                  Duration slide, std::string name, Fn fn)
      : DStreamNode<U>(ssc, std::move(parents), slide, std::move(name)), fn_(std::move(fn)) {}

 protected:
  RDD<U> compute(Time t) override { return fn_(t); }

 private:
  Fn fn_;
};

// Checks that streams combined batch by batch slide together.
inline void require_same_slide(const std::vector<std::shared_ptr<DStreamBase>>& streams,
                               const std::string& op) {
  for (const auto& s : streams)
    if (s->slide_duration() != streams.front()->slide_duration())
      throw RillError(op + ": the streams have different slide durations (" +
                      streams.front()->slide_duration().to_string() + " and " +
                      s->slide_duration().to_string() + ")");
}

}  // namespace rill
