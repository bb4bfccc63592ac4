// Must not compile: a window would keep views past their batch.
#include "runtime/rill.hpp"

void build(rill::StreamingContext& ssc) {
  ssc.socket_text_stream("127.0.0.1", 9).as_views().flat_map(rill::split_words).window(rill::Seconds(2)).print();
}
