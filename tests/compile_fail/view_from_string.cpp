// Must not compile: views split from std::string records point into a line
// the engine reuses.
#include "runtime/rill.hpp"

void build(rill::StreamingContext& ssc) {
  ssc.socket_text_stream("127.0.0.1", 9).flat_map(rill::split_words).print();
}
