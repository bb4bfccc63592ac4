// Must not compile: state would keep view keys past their batch.
#include "runtime/rill.hpp"

void build(rill::StreamingContext& ssc) {
  ssc.socket_text_stream("127.0.0.1", 9)
      .as_views()
      .flat_map(rill::split_words)
      .map([](std::string_view w) { return std::make_pair(w, int64_t{1}); })
      .update_state_by_key([](const std::vector<int64_t>& v, std::optional<int64_t> s) {
        return std::optional<int64_t>(s.value_or(0) + static_cast<int64_t>(v.size()));
      })
      .print();
}
