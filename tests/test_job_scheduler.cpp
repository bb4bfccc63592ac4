// How the job scheduler puts a stage's tasks on the partition workers: each
// busy worker holds its next task in its mailbox, and a task queued behind a
// long one is run by a worker that falls idle (the two copies share a claim,
// so each task runs once).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "runtime/rill.hpp"

using namespace rill;

namespace {

Config local2() {
  Config conf;
  conf.set_master("local[2]").set("rill.ui.enabled", "false");
  return conf;
}

std::vector<int> numbers(int n) {
  std::vector<int> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

}  // namespace

TEST_CASE("a task queued behind a long task runs on a worker that falls idle", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  // Partition 0 runs until every other partition has run. The scheduler
  // queues a task at partition 0's worker while both workers are busy; only
  // the other worker, taking that task over, lets partition 0 finish in time.
  const int n = 12;
  std::mutex m;
  std::condition_variable cv;
  int others_done = 0;
  bool waited = false;
  auto rdd = ssc.parallelize(numbers(n), n).map_partitions([&](const std::vector<int>& part) {
    if (part.front() == 0) {
      std::unique_lock<std::mutex> lock(m);
      waited = cv.wait_for(lock, std::chrono::seconds(20), [&] { return others_done == n - 1; });
    } else {
      std::lock_guard<std::mutex> lock(m);
      ++others_done;
      cv.notify_all();
    }
    return part;
  });
  CHECK(rdd.collect() == numbers(n));
  std::lock_guard<std::mutex> lock(m);
  CHECK(waited);
  CHECK(others_done == n - 1);
}

TEST_CASE("every task runs exactly once, its output in its partition's place", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  const int n = 300;
  std::vector<std::atomic<int>> runs(static_cast<size_t>(n));
  for (int round = 0; round < 3; ++round) {
    auto rdd = ssc.parallelize(numbers(n), n).map_partitions([&](const std::vector<int>& part) {
      for (int x : part) runs[static_cast<size_t>(x)].fetch_add(1);
      return part;
    });
    REQUIRE(rdd.collect() == numbers(n));
  }
  for (int p = 0; p < n; ++p) {
    INFO("partition " << p);
    CHECK(runs[static_cast<size_t>(p)].load() == 3);
  }
}

TEST_CASE("a failing task among queued ones fails its stage, and the next stage runs", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  const int n = 50;
  auto failing = ssc.parallelize(numbers(n), n).map([](int x) {
    if (x == 7) throw std::runtime_error("seven is refused");
    return x;
  });
  CHECK_THROWS_WITH(failing.collect(), Catch::Contains("seven is refused"));
  CHECK(ssc.parallelize(numbers(n), n).count() == n);
}
