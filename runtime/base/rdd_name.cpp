#include "runtime/base/rdd_name.hpp"

namespace rill {
namespace {
thread_local RddNamingScope* innermost = nullptr;
}  // namespace

std::string RddName::to_string() const {
  std::string where = origin == Origin::stream       ? "stream " + std::to_string(owner)
                      : origin == Origin::output_job ? "output " + std::to_string(owner)
                                                     : std::string("static");
  if (origin != Origin::static_rdd) where += ", " + std::to_string(time_ms) + " ms";
  return "(" + where + ", #" + std::to_string(ordinal) + ")";
}

RddNamingScope::RddNamingScope(RddName::Origin origin, int owner, int64_t time_ms)
    : next_{origin, owner, time_ms, 0}, enclosing_(innermost) {
  innermost = this;
}

RddNamingScope::~RddNamingScope() { innermost = enclosing_; }

RddName next_rdd_name(std::atomic<int>& static_counter) {
  if (!innermost) return {RddName::Origin::static_rdd, 0, 0, static_counter++};
  RddName name = innermost->next_;
  ++innermost->next_.ordinal;
  return name;
}

}  // namespace rill
