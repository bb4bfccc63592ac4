// Window operators, batch for batch against the expected output of Spark's
// own WindowOperationsSuite (batch 1 s; batch k is fed input[k-1]). Records
// within a batch are compared as sets, as Spark's suite does.
#include <catch2/catch.hpp>

#include <atomic>

#include <algorithm>

#include "runtime/rill.hpp"
#include "test_helpers.hpp"

using namespace rill;
using rill::testing::run_operation;

namespace {
using P = std::pair<std::string, int>;
using Batches = std::vector<std::vector<P>>;


size_t batches_for(size_t outputs, Duration slide) { return outputs * static_cast<size_t>(slide / Seconds(1)); }

const Batches largerSlideInput{{{"a", 1}}, {{"a", 2}}, {{"a", 3}}, {{"a", 4}}, {{"a", 5}}, {{"a", 6}}, {}, {}};
const Batches largerSlideReduceOutput{{{"a", 3}}, {{"a", 10}}, {{"a", 18}}, {{"a", 11}}};

const Batches bigInput{{{"a", 1}},
                       {{"a", 1}, {"b", 1}},
                       {{"a", 1}, {"b", 1}, {"c", 1}},
                       {{"a", 1}, {"b", 1}},
                       {{"a", 1}},
                       {},
                       {{"a", 1}},
                       {{"a", 1}, {"b", 1}},
                       {{"a", 1}, {"b", 1}, {"c", 1}},
                       {{"a", 1}, {"b", 1}},
                       {{"a", 1}},
                       {}};
const Batches bigReduceOutput{{{"a", 1}},
                              {{"a", 2}, {"b", 1}},
                              {{"a", 2}, {"b", 2}, {"c", 1}},
                              {{"a", 2}, {"b", 2}, {"c", 1}},
                              {{"a", 2}, {"b", 1}},
                              {{"a", 1}},
                              {{"a", 1}},
                              {{"a", 2}, {"b", 1}},
                              {{"a", 2}, {"b", 2}, {"c", 1}},
                              {{"a", 2}, {"b", 2}, {"c", 1}},
                              {{"a", 2}, {"b", 1}},
                              {{"a", 1}}};
// With an inverse and no filter, keys stay once seen, at 0 when they left.
const Batches bigReduceInvOutput{{{"a", 1}},
                                 {{"a", 2}, {"b", 1}},
                                 {{"a", 2}, {"b", 2}, {"c", 1}},
                                 {{"a", 2}, {"b", 2}, {"c", 1}},
                                 {{"a", 2}, {"b", 1}, {"c", 0}},
                                 {{"a", 1}, {"b", 0}, {"c", 0}},
                                 {{"a", 1}, {"b", 0}, {"c", 0}},
                                 {{"a", 2}, {"b", 1}, {"c", 0}},
                                 {{"a", 2}, {"b", 2}, {"c", 1}},
                                 {{"a", 2}, {"b", 2}, {"c", 1}},
                                 {{"a", 2}, {"b", 1}, {"c", 0}},
                                 {{"a", 1}, {"b", 0}, {"c", 0}}};

auto plus = [](int a, int b) { return a + b; };
auto minus = [](int a, int b) { return a - b; };

Batches reduce_window(const Batches& input, size_t outputs, Duration window = Seconds(2), Duration slide = Seconds(1)) {
  return sorted(run_operation(input, [=](DStream<P> s) { return s.reduce_by_key_and_window(plus, window, slide); },
                              batches_for(outputs, slide)));
}
Batches reduce_window_inv(const Batches& input, size_t outputs, Duration window = Seconds(2),
                          Duration slide = Seconds(1), bool filter = false) {
  return sorted(run_operation(input, [=](DStream<P> s) {
    std::function<bool(const P&)> f;
    if (filter) f = [](const P& p) { return p.second != 0; };
    auto out = s.reduce_by_key_and_window(plus, minus, window, slide, 0, f);
    out.checkpoint(Seconds(100));
    return out;
  }, batches_for(outputs, slide)));
}
std::vector<std::vector<int>> window_of(std::vector<std::vector<int>> input, size_t outputs,
                                        Duration window = Seconds(2), Duration slide = Seconds(1)) {
  return sorted(run_operation(input, [=](DStream<int> s) { return s.window(window, slide); }, batches_for(outputs, slide)));
}
const std::vector<std::vector<int>> zeroToFive{{0}, {1}, {2}, {3}, {4}, {5}};
}  // namespace

TEST_CASE("window - basic window", "[unit]") {
  CHECK(window_of(zeroToFive, 6) == std::vector<std::vector<int>>{{0}, {0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}});
}
TEST_CASE("window - tumbling window", "[unit]") {
  CHECK(window_of(zeroToFive, 3, Seconds(2), Seconds(2)) == std::vector<std::vector<int>>{{0, 1}, {2, 3}, {4, 5}});
}
TEST_CASE("window - larger window", "[unit]") {
  CHECK(window_of(zeroToFive, 4, Seconds(4), Seconds(2)) ==
        std::vector<std::vector<int>>{{0, 1}, {0, 1, 2, 3}, {2, 3, 4, 5}, {4, 5}});
}
TEST_CASE("window - non-overlapping window (window shorter than the slide)", "[unit]") {
  CHECK(window_of(zeroToFive, 2, Seconds(2), Seconds(3)) == std::vector<std::vector<int>>{{1, 2}, {4, 5}});
}
TEST_CASE("window - after the input ends windows slide over empty batches", "[unit]") {
  CHECK(window_of({{1}, {2}}, 4) == std::vector<std::vector<int>>{{1}, {1, 2}, {2}, {}});
}
TEST_CASE("window - length and slide must be multiples of the parent's slide", "[unit]") {
  CHECK_THROWS_WITH(run_operation<int>({{1}}, [](DStream<int> s) { return s.window(Milliseconds(1500)); }, 1),
                    Catch::Contains("multiple of the slide duration"));
  CHECK_THROWS_WITH(run_operation<int>({{1}}, [](DStream<int> s) { return s.window(Seconds(2), Milliseconds(500)); }, 1),
                    Catch::Contains("multiple of the slide duration"));
}

TEST_CASE("reduce_by_key_and_window - basic reduction", "[unit]") {
  CHECK(reduce_window({{{"a", 1}, {"a", 3}}}, 1) == Batches{{{"a", 4}}});
}
TEST_CASE("reduce_by_key_and_window - key already in window and new value added into window", "[unit]") {
  CHECK(reduce_window({{{"a", 1}}, {{"a", 1}}}, 2) == Batches{{{"a", 1}}, {{"a", 2}}});
}
TEST_CASE("reduce_by_key_and_window - new key added into window", "[unit]") {
  CHECK(reduce_window({{{"a", 1}}, {{"a", 1}, {"b", 1}}}, 2) == Batches{{{"a", 1}}, {{"a", 2}, {"b", 1}}});
}
TEST_CASE("reduce_by_key_and_window - key removed from window", "[unit]") {
  CHECK(reduce_window({{{"a", 1}}, {{"a", 1}}, {}, {}}, 4) == Batches{{{"a", 1}}, {{"a", 2}}, {{"a", 1}}, {}});
}
TEST_CASE("reduce_by_key_and_window - larger slide time", "[unit]") {
  CHECK(reduce_window(largerSlideInput, 4, Seconds(4), Seconds(2)) == largerSlideReduceOutput);
}
TEST_CASE("reduce_by_key_and_window - big test", "[unit]") { CHECK(reduce_window(bigInput, 12) == bigReduceOutput); }

TEST_CASE("reduce_by_key_and_window with inverse - basic reduction", "[unit]") {
  CHECK(reduce_window_inv({{{"a", 1}, {"a", 3}}}, 1) == Batches{{{"a", 4}}});
}
TEST_CASE("reduce_by_key_and_window with inverse - key already in window and new value added into window", "[unit]") {
  CHECK(reduce_window_inv({{{"a", 1}}, {{"a", 1}}}, 2) == Batches{{{"a", 1}}, {{"a", 2}}});
}
TEST_CASE("reduce_by_key_and_window with inverse - new key added into window", "[unit]") {
  CHECK(reduce_window_inv({{{"a", 1}}, {{"a", 1}, {"b", 1}}}, 2) == Batches{{{"a", 1}}, {{"a", 2}, {"b", 1}}});
}
TEST_CASE("reduce_by_key_and_window with inverse - key removed from window stays at zero", "[unit]") {
  CHECK(reduce_window_inv({{{"a", 1}}, {{"a", 1}}, {}, {}}, 4) == Batches{{{"a", 1}}, {{"a", 2}}, {{"a", 1}}, {{"a", 0}}});
}
TEST_CASE("reduce_by_key_and_window with inverse - larger slide time", "[unit]") {
  CHECK(reduce_window_inv(largerSlideInput, 4, Seconds(4), Seconds(2)) == largerSlideReduceOutput);
}
TEST_CASE("reduce_by_key_and_window with inverse - big test", "[unit]") {
  CHECK(reduce_window_inv(bigInput, 12) == bigReduceInvOutput);
}
TEST_CASE("reduce_by_key_and_window with inverse and filter - big test", "[unit]") {
  CHECK(reduce_window_inv(bigInput, 12, Seconds(2), Seconds(1), true) == bigReduceOutput);
}
TEST_CASE("reduce_by_key_and_window with inverse honours the partition count", "[unit]") {
  auto out = run_operation<P>({{{"a", 1}, {"b", 1}, {"c", 1}}}, [](DStream<P> s) {
    return s.reduce_by_key_and_window(plus, minus, Seconds(2), Seconds(1), 3).glom().map([](const std::vector<P>& p) {
      return p.size();
    });
  }, 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].size() == 3);
}

TEST_CASE("window operators with an inverse need a checkpoint directory", "[unit]") {
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  auto s = ssc.queue_stream(std::make_shared<RDDQueue<P>>());
  s.reduce_by_key_and_window(plus, minus, Seconds(2), Seconds(1)).print();
  CHECK_THROWS_WITH(ssc.start(), Catch::Contains("checkpoint directory"));
}

TEST_CASE("group_by_key_and_window", "[unit]") {
  auto out = run_operation(bigInput, [](DStream<P> s) {
    return s.group_by_key_and_window(Seconds(2), Seconds(1)).map([](const std::pair<std::string, std::vector<int>>& kv) {
      auto values = kv.second;
      std::sort(values.begin(), values.end());
      return std::make_pair(kv.first, values);
    });
  }, 12);
  using G = std::pair<std::string, std::vector<int>>;
  CHECK(sorted(out) == std::vector<std::vector<G>>{{{"a", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1, 1}}, {"c", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1, 1}}, {"c", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1}}},
                                                   {{"a", {1}}},
                                                   {{"a", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1, 1}}, {"c", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1, 1}}, {"c", {1}}},
                                                   {{"a", {1, 1}}, {"b", {1}}},
                                                   {{"a", {1}}}});
}

TEST_CASE("count_by_window", "[unit]") {
  auto out = run_operation<int>({{1}, {1}, {1, 2}, {0}, {}, {}}, [](DStream<int> s) {
    return s.count_by_window(Seconds(2), Seconds(1));
  }, 6);
  CHECK(out == std::vector<std::vector<int64_t>>{{1}, {2}, {3}, {3}, {1}, {0}});
}

TEST_CASE("count_by_value_and_window", "[unit]") {
  auto out = run_operation<std::string>({{"a"}, {"b", "b"}, {"a", "b"}}, [](DStream<std::string> s) {
    return s.count_by_value_and_window(Seconds(2), Seconds(1));
  }, 3);
  using C = std::pair<std::string, int64_t>;
  CHECK(sorted(out) == std::vector<std::vector<C>>{{{"a", 1}}, {{"a", 1}, {"b", 2}}, {{"a", 1}, {"b", 3}}});
}

TEST_CASE("reduce_by_window with and without an inverse", "[unit]") {
  std::vector<std::vector<int>> input{{1, 2}, {3}, {}, {}, {5}};
  auto naive = run_operation(input, [](DStream<int> s) { return s.reduce_by_window(plus, Seconds(2), Seconds(1)); }, 5);
  CHECK(naive == std::vector<std::vector<int>>{{3}, {6}, {3}, {}, {5}});
  auto inverse = run_operation(input, [](DStream<int> s) { return s.reduce_by_window(plus, minus, Seconds(2), Seconds(1)); }, 5);
  CHECK(inverse == std::vector<std::vector<int>>{{3}, {6}, {3}, {0}, {5}});
}

TEST_CASE("slice gives the RDDs between two times, and needs a started context", "[unit]") {
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  for (int i = 1; i <= 4; ++i) queue->push(ssc.parallelize(std::vector<int>{i}));
  auto s = ssc.queue_stream(queue);
  s.foreach_rdd([](const RDD<int>&) {});
  CHECK_THROWS_WITH(s.slice(Time(0), Time(4000)), Catch::Contains("not been started"));
  ssc.remember(Seconds(10));
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(4);
  auto rdds = s.slice(Time(2000), Time(3500));
  REQUIRE(rdds.size() == 2);
  CHECK(rdds[0].collect() == std::vector<int>{2});
  CHECK(rdds[1].collect() == std::vector<int>{3});
  ssc.stop();
}

TEST_CASE("a window with an inverse releases its lineage once computed, so old batches can be freed", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.path());
  auto queue = std::make_shared<RDDQueue<P>>();
  for (int i = 0; i < 4; ++i) queue->push(ssc.parallelize(std::vector<P>{{"a", 1}}));
  std::vector<RDD<P>> kept;
  std::atomic<bool> held_before{false}, released_after{false};
  auto windowed = ssc.queue_stream(queue).reduce_by_key_and_window(plus, minus, Seconds(3), Seconds(1));
  windowed.foreach_rdd([&](const RDD<P>& r) {
    kept.push_back(r);
    held_before = !r.node()->narrow_parents().empty();  // not computed yet: lineage held
    if (kept.size() == 1) CHECK(r.count() == 1);
    released_after = r.node()->narrow_parents().empty();  // computed and cached: released
  });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(1);
  REQUIRE(kept.size() == 1);
  CHECK(held_before);
  CHECK(released_after);
  CHECK(kept[0].collect() == std::vector<P>{{"a", 1}});  // still served from the cache
  ssc.stop();
}

TEST_CASE("a window with an inverse whose outputs read one partition still has every partition after its batch", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.path());
  auto queue = std::make_shared<RDDQueue<P>>();
  const std::vector<std::string> keys{"a", "b", "c", "d", "e", "f", "g", "h"};
  for (int i = 0; i < 6; ++i) {
    std::vector<P> batch;
    for (const auto& k : keys) batch.push_back({k, i + 1});
    queue->push(ssc.parallelize(batch, 2));
  }
  std::vector<RDD<P>> kept;
  // 4 partitions, of which take(1) reads one: the batch's own job computes the
  // others, so the stream can drop each window's lineage when it forgets it.
  auto windowed = ssc.queue_stream(queue).reduce_by_key_and_window(plus, minus, Seconds(2), Seconds(1), 4);
  windowed.foreach_rdd([&kept](const RDD<P>& r) {
    r.take(1);
    kept.push_back(r);
  });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(6);
  REQUIRE(kept.size() == 6);
  for (const auto& r : kept) CHECK(r.node()->narrow_parents().empty());
  // The last window holds batches 5 and 6: 5 + 6 for every key.
  auto last = kept.back().collect();
  std::sort(last.begin(), last.end());
  std::vector<P> expected;
  for (const auto& k : keys) expected.push_back({k, 11});
  CHECK(last == expected);
  ssc.stop();
}
