// Names of RDDs and shuffles that are the same in every process running the
// program (docs/design.md, "Execution across processes: names, not closures").
//
// An RDD or shuffle made while stream s computes batch t is named
// (stream s, t, k), k its ordinal among the RDDs and shuffles made in that
// computation; one made by the body of output operation o for batch t is
// (output o, t, k); one made outside both (parallelize in main(), an initial
// state) is (static, 0, k), k counting per StreamingContext in construction
// order. Every process builds the same graph and computes the same batches,
// so the names agree; no process-global counter takes part.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <tuple>

namespace rill {

struct RddName {
  enum class Origin : int8_t { static_rdd, stream, output_job };
  Origin origin = Origin::static_rdd;
  int owner = 0;        // the stream id, or the output operation's index; 0 when static
  int64_t time_ms = 0;  // the batch time; 0 when static
  int ordinal = 0;

  std::string to_string() const;
  friend bool operator==(const RddName& a, const RddName& b) {
    return std::tie(a.origin, a.owner, a.time_ms, a.ordinal) == std::tie(b.origin, b.owner, b.time_ms, b.ordinal);
  }
  friend bool operator!=(const RddName& a, const RddName& b) { return !(a == b); }
  friend bool operator<(const RddName& a, const RddName& b) {
    return std::tie(a.origin, a.owner, a.time_ms, a.ordinal) < std::tie(b.origin, b.owner, b.time_ms, b.ordinal);
  }
};

// While alive, RDDs and shuffles constructed on this thread are named
// (origin, owner, time_ms, 0), (…, 1), … Scopes nest: a stream computing its
// parents opens theirs inside its own, and its count resumes afterwards.
class RddNamingScope {
 public:
  RddNamingScope(RddName::Origin origin, int owner, int64_t time_ms);
  ~RddNamingScope();
  RddNamingScope(const RddNamingScope&) = delete;
  RddNamingScope& operator=(const RddNamingScope&) = delete;

 private:
  RddName next_;
  RddNamingScope* enclosing_;
  friend RddName next_rdd_name(std::atomic<int>& static_counter);
};

// The name for an RDD or shuffle being constructed: from the innermost scope
// on this thread, or static, numbered by `static_counter` (its context's).
RddName next_rdd_name(std::atomic<int>& static_counter);

}  // namespace rill
