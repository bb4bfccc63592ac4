// The graph fingerprint: the same program gives the same fingerprint in two
// contexts; a changed operator, slide, record type or output changes it.
#include <catch2/catch.hpp>

#include "runtime/rill.hpp"

using namespace rill;

namespace {

// Builds a word-count-like program; `variant` changes one thing.
uint64_t fingerprint_of(const std::string& variant, std::string* text = nullptr) {
  StreamingContext ssc(rill::testing::manual_clock_config(), Seconds(1));
  auto queue = std::make_shared<RDDQueue<std::string>>();
  auto words = ssc.queue_stream(queue).flat_map(rill::split);
  auto pairs = words.map([](const std::string& w) { return std::make_pair(w, int64_t{1}); });
  if (variant == "int values") {
    pairs.map([](const std::pair<std::string, int64_t>& kv) { return std::make_pair(kv.first, 1); })
        .reduce_by_key([](int a, int b) { return a + b; })
        .print();
  } else if (variant == "window") {
    pairs.reduce_by_key_and_window([](int64_t a, int64_t b) { return a + b; }, Seconds(2), Seconds(2)).print();
  } else {
    auto counts = pairs.reduce_by_key([](int64_t a, int64_t b) { return a + b; });
    counts.print();
    if (variant == "extra output") counts.count().print();
    if (variant == "filter") counts.filter([](const std::pair<std::string, int64_t>& kv) { return kv.second > 1; }).print();
  }
  if (text) *text = graph_of(ssc).fingerprint_text();
  return graph_of(ssc).fingerprint();
}

}  // namespace

TEST_CASE("the same program has the same graph fingerprint; any change changes it", "[unit]") {
  std::string text;
  const uint64_t base = fingerprint_of("", &text);
  CHECK(fingerprint_of("") == base);
  INFO(text);
  CHECK(text.find("flat_map") != std::string::npos);
  CHECK(text.find("reduce_by_key") != std::string::npos);
  for (const char* v : {"int values", "window", "extra output", "filter"}) {
    INFO(v);
    CHECK(fingerprint_of(v) != base);
  }
}
