// queue_stream: one RDD per batch, all at once, and the default RDD.
#include <catch2/catch.hpp>

#include <mutex>

#include "runtime/rill.hpp"

using namespace rill;

namespace {
std::vector<std::vector<int>> run(bool one_at_a_time, bool with_default, size_t batches,
                                  std::function<void(StreamingContext&, RDDQueue<int>&)> feed_while_running = {}) {
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2}));
  queue->push(ssc.parallelize(std::vector<int>{3}));
  RDD<int> fallback;
  if (with_default) fallback = ssc.parallelize(std::vector<int>{0});
  std::mutex m;
  std::vector<std::vector<int>> out;
  ssc.queue_stream(queue, one_at_a_time, fallback).foreach_rdd([&](const RDD<int>& r) {
    auto v = r.collect();
    std::lock_guard<std::mutex> lock(m);
    out.push_back(v);
  });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  for (size_t k = 1; k <= batches; ++k) {
    if (k == 3 && feed_while_running) feed_while_running(ssc, *queue);
    driver.run_batches(1);
  }
  ssc.stop();
  return out;
}
}  // namespace

TEST_CASE("one RDD per batch, then empty batches", "[unit]") {
  CHECK(run(true, false, 3) == std::vector<std::vector<int>>{{1, 2}, {3}, {}});
}

TEST_CASE("all queued RDDs at once", "[unit]") {
  CHECK(run(false, false, 2) == std::vector<std::vector<int>>{{1, 2, 3}, {}});
}

TEST_CASE("the default RDD fills batches when the queue is empty", "[unit]") {
  CHECK(run(true, true, 3) == std::vector<std::vector<int>>{{1, 2}, {3}, {0}});
}

TEST_CASE("RDDs pushed while the context runs are picked up", "[unit]") {
  auto out = run(true, false, 4, [](StreamingContext& ssc, RDDQueue<int>& q) {
    q.push(ssc.parallelize(std::vector<int>{7}));
  });
  CHECK(out == std::vector<std::vector<int>>{{1, 2}, {3}, {7}, {}});
}

TEST_CASE("a null queue is rejected", "[unit]") {
  Config conf;
  conf.set_master("local[2]");
  StreamingContext ssc(conf, Seconds(1));
  CHECK_THROWS_WITH(ssc.queue_stream(std::shared_ptr<RDDQueue<int>>()), Catch::Contains("queue is null"));
}
