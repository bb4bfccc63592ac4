// How the job scheduler runs a job: its missing map stages in order, each
// once however many jobs need it, then its tasks; and how it puts a stage's
// tasks on the partition workers: each busy worker holds its next task in its
// mailbox, and a task queued behind a long one is run by a worker that falls
// idle (the two copies share a claim, so each task runs once).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <thread>
#include <vector>

#include "runtime/rill.hpp"
#include "wait.hpp"

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

TEST_CASE("a job runs its chained shuffles' map stages in order, then its tasks; a later job reuses them",
          "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  std::atomic<int> mapped{0};
  // Two shuffles, the second reading the first: counts by x % 10, then how
  // many keys have each count.
  auto by_count = ssc.parallelize(numbers(100), 4)
                      .map([&](int x) {
                        mapped.fetch_add(1);
                        return std::make_pair(x % 10, 1);
                      })
                      .reduce_by_key([](int a, int b) { return a + b; }, 3)
                      .map([](const std::pair<int, int>& kv) { return std::make_pair(kv.second, 1); })
                      .reduce_by_key([](int a, int b) { return a + b; }, 2);
  const std::vector<std::pair<int, int>> expected{{10, 10}};
  CHECK(by_count.collect() == expected);
  CHECK(mapped.load() == 100);
  CHECK(by_count.count() == 1);  // the map stages ran: not again
  CHECK(mapped.load() == 100);
}

TEST_CASE("two jobs that need one shuffle at once run its map stage once", "[unit]") {
  StreamingContext ssc(local2(), Seconds(1));
  std::atomic<int> mapped{0};
  std::atomic<bool> second_submitting{false};
  auto counts = ssc.parallelize(numbers(40), 8)
                    .map([&](int x) {
                      // The first map task holds the stage open until the
                      // other job is on its way in.
                      if (x == 0)
                        rill::testing::wait_until(std::chrono::seconds(20), [&] { return second_submitting.load(); });
                      mapped.fetch_add(1);
                      return std::make_pair(x % 4, 1);
                    })
                    .reduce_by_key([](int a, int b) { return a + b; }, 2);
  auto keys = counts.map([](const std::pair<int, int>& kv) { return kv.first; });
  auto values = counts.map([](const std::pair<int, int>& kv) { return kv.second; });
  int64_t key_count = 0;
  std::thread other([&] {
    second_submitting = true;
    key_count = keys.count();
  });
  auto all = values.collect();
  other.join();
  CHECK(key_count == 4);
  CHECK(all == std::vector<int>{10, 10, 10, 10});
  CHECK(mapped.load() == 40);
}
