// Flow control: the token bucket on explicit times, Spark's PID rate
// estimator against its own test vectors and hand-computed values, bytes in
// flight held at the bound by a slow consumer (read from the engine's own
// gauge), blocks cut by size, and rates pushed to receivers.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "runtime/base/pid_rate_estimator.hpp"
#include "runtime/base/rate_limiter.hpp"
#include "runtime/rill.hpp"
#include "wait.hpp"

using namespace rill;
using namespace std::chrono_literals;

TEST_CASE("token bucket: waits add up to the rate, bursts are capped at one second", "[unit]") {
  TokenBucket bucket(1000, 0);
  // 10 000 records in chunks of 100, each taken when the last wait ends:
  // 10 s in all (the first 100 wait 0.1 s: the bucket starts empty).
  int64_t now = 0;
  for (int i = 0; i < 100; ++i) now += bucket.take(100, now);
  CHECK(std::abs(now - 10'000'000) <= 100);
  // After 5 s idle only one second's worth (1000) is available at once.
  now += 5'000'000;
  CHECK(bucket.take(1000, now) == 0);
  CHECK(bucket.take(500, now) == 500'000);
  // Unlimited never waits; a new rate applies to later takes.
  bucket.set_rate(0);
  CHECK(bucket.take(1'000'000, now) == 0);
  bucket.set_rate(10);
  CHECK(bucket.take(10, now) == 1'000'000);
}

namespace {
PIDRateEstimator default_estimator() { return PIDRateEstimator(20, 1.0, 0.0, 0.0, 10); }
}  // namespace

TEST_CASE("PID estimator: Spark's PIDRateEstimatorSuite", "[unit]") {
  SECTION("ranges are checked") {
    CHECK_THROWS_AS(PIDRateEstimator(0, 1, 2, 3, 10), RillError);
    CHECK_THROWS_AS(PIDRateEstimator(100, -1, 2, 3, 10), RillError);
    CHECK_THROWS_AS(PIDRateEstimator(100, 0, -1, 3, 10), RillError);
    CHECK_THROWS_AS(PIDRateEstimator(100, 0, 0, -1, 10), RillError);
    CHECK_THROWS_AS(PIDRateEstimator(100, 0, 0, 0, 0), RillError);
    CHECK_THROWS_AS(PIDRateEstimator(100, 0, 0, 0, -10), RillError);
  }
  SECTION("the first estimate is none, the second is the processing rate") {
    auto p = default_estimator();
    CHECK_FALSE(p.compute(0, 10, 10, 0).has_value());
    CHECK(p.compute(10, 10, 10, 0) == std::optional<double>(1000));
  }
  SECTION("no estimate without a time difference, records or processing delay") {
    auto p = default_estimator();
    p.compute(0, 10, 10, 0);
    CHECK(p.compute(10, 10, 10, 0).has_value());
    CHECK_FALSE(p.compute(10, 10, 10, 0).has_value());
    CHECK_FALSE(p.compute(20, 0, 10, 0).has_value());
    CHECK_FALSE(p.compute(30, -10, 10, 0).has_value());
    CHECK_FALSE(p.compute(40, 10, 0, 0).has_value());
    CHECK_FALSE(p.compute(50, 10, -10, 0).has_value());
  }
  SECTION("never below the minimum rate") {
    PIDRateEstimator p(20, 1, 1, 0, 5);
    CHECK_FALSE(p.compute(0, 1, 20, 100).has_value());
    for (int i = 1; i < 50; ++i) CHECK(p.compute(i * 20, 1, 20, 100) == std::optional<double>(5));
  }
  SECTION("no accumulated error: follows the processing speed up") {
    PIDRateEstimator p(20, 1, 1, 0, 10);
    CHECK_FALSE(p.compute(0, 20, 20, 0).has_value());
    for (int x = 1; x < 50; ++x) CHECK(p.compute(x * 20, (x + 1) * 20, 20, 0) == std::optional<double>((x + 1) * 1000.0));
  }
  SECTION("no accumulated error: follows the processing speed down") {
    PIDRateEstimator p(20, 1, 1, 0, 10);
    CHECK_FALSE(p.compute(0, 50 * 20, 20, 0).has_value());
    for (int x = 1; x < 50; ++x) CHECK(p.compute(x * 20, (50 - x) * 20, 20, 0) == std::optional<double>((50 - x) * 1000.0));
  }
  SECTION("accumulated error keeps the rate below the processing speed") {
    PIDRateEstimator p(20, 1, 0.01, 0, 10);
    uint64_t seed = 7;
    auto next = [&](int bound) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<int>((seed >> 33) % static_cast<uint64_t>(bound));
    };
    CHECK_FALSE(p.compute(0, next(1000) + 1, 20, next(19)).has_value());
    for (int n = 1; n < 50; ++n) {
      int elements = next(1000) + 1;
      int sched = next(19);
      auto rate = p.compute(n * 20, elements, 20, sched);
      REQUIRE(rate.has_value());
      if (*rate > 0 && sched > 0) CHECK(*rate < elements / 20.0 * 1000);
    }
  }
}

TEST_CASE("PID estimator: a sequence with skipped batches, against hand-computed values", "[unit]") {
  // Kp 1, Ki 0.2, Kd 0.1, min 100, 1 s batches.
  PIDRateEstimator p(1000, 1.0, 0.2, 0.1, 100);
  CHECK_FALSE(p.compute(1000, 5000, 500, 0).has_value());  // sets rate 10 000/s, error 0
  CHECK_FALSE(p.compute(2000, 0, 500, 0).has_value());     // no records: skipped
  CHECK_FALSE(p.compute(2500, 100, 0, 0).has_value());     // no processing time: skipped
  // t=3000: processing rate 4000/0.8 s = 5000/s; error = 10000 - 5000 = 5000;
  // historical = 200 ms * 5000 / 1000 ms = 1000; dError = (5000 - 0) / 2 s = 2500;
  // rate = 10000 - 5000 - 0.2*1000 - 0.1*2500 = 4550.
  auto r1 = p.compute(3000, 4000, 800, 200);
  REQUIRE(r1.has_value());
  CHECK(*r1 == Approx(4550));
  // t=4000: processing 4550 records in 1.3 s = 3500/s; error = 4550 - 3500 = 1050;
  // historical = 600 * 3500 / 1000 = 2100; dError = (1050 - 5000) / 1 = -3950;
  // rate = 4550 - 1050 - 420 + 395 = 3475.
  auto r2 = p.compute(4000, 4550, 1300, 600);
  REQUIRE(r2.has_value());
  CHECK(*r2 == Approx(3475));
}

namespace {
// Stores 100-byte lines as fast as it is allowed to, counting them.
class FloodReceiver : public Receiver<std::string> {
 public:
  explicit FloodReceiver(std::shared_ptr<std::atomic<int64_t>> stored) : stored_(std::move(stored)) {}
  ~FloodReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      const std::string line(100, 'x');
      while (!is_stopped()) {
        store(line);
        ++*stored_;
      }
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::shared_ptr<std::atomic<int64_t>> stored_;
  std::thread thread_;
};

struct FlowRecorder : StreamingListener {
  std::mutex m;
  std::vector<BatchInfo> batches;
  void on_batch_completed(const BatchInfo& b) override {
    std::lock_guard<std::mutex> lock(m);
    batches.push_back(b);
  }
};

void burn_cpu(std::chrono::nanoseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}
}  // namespace

TEST_CASE("a slow consumer holds the bytes in flight at the bound, and nothing is lost", "[slow]") {
  Config conf;
  conf.set_master("local[2]")
      .set("rill.streaming.blockInterval", "50ms")
      .set("rill.streaming.blockMaxBytes", "128k")
      .set("rill.streaming.receiver.maxBytesInFlight", "2m")
      .set("rill.flow.chunkRecords", "100");
  StreamingContext ssc(conf, Milliseconds(200));
  auto stored = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<int64_t> processed{0};
  ssc.receiver_stream<std::string>([stored] { return std::make_unique<FloodReceiver>(stored); })
      .map([](const std::string& s) {
        burn_cpu(std::chrono::microseconds(2));  // ~0.5 M lines/s per core: far slower than the source
        return s.size();
      })
      .foreach_rdd([&](const RDD<size_t>& r) { processed += r.count(); });
  auto flow = std::make_shared<FlowRecorder>();
  ssc.add_streaming_listener(flow);
  ssc.start();
  auto enough = [&] {
    std::lock_guard<std::mutex> lock(flow->m);
    return flow->batches.size() >= 12;
  };
  rill::testing::wait_until(30s, [&] { return enough(); });
  ssc.stop(true);
  std::lock_guard<std::mutex> lock(flow->m);
  REQUIRE(flow->batches.size() >= 12);
  int64_t peak = 0, max_blocks_per_batch = 0;
  for (const auto& b : flow->batches) {
    for (const auto& [id, f] : b.flow_per_stream) peak = std::max(peak, f.queued_bytes);
    max_blocks_per_batch = std::max<int64_t>(max_blocks_per_batch, b.flow_per_stream.begin()->second.queued_blocks);
  }
  // The bound: maxBytesInFlight plus the chunks already granted (32 credits
  // of 100 records, ~13 KB each) plus one block.
  INFO("peak queued bytes " << peak);
  CHECK(peak <= 2 * 1024 * 1024 + 32 * 14000 + 128 * 1024);
  CHECK(peak >= 1024 * 1024);  // the bound was really reached: the source was far faster
  CHECK(max_blocks_per_batch > 4);  // cut by size (50 ms blocks would give at most 4 per batch)
  CHECK(processed == *stored);    // a graceful stop processes everything received
}

TEST_CASE("rill.streaming.receiver.maxRate limits a receiver's records per second", "[slow]") {
  Config conf;
  conf.set_master("local[2]").set("rill.streaming.receiver.maxRate", "5000").set("rill.streaming.blockInterval",
                                                                                 "50ms");
  StreamingContext ssc(conf, Milliseconds(200));
  auto stored = std::make_shared<std::atomic<int64_t>>(0);
  ssc.receiver_stream<std::string>([stored] { return std::make_unique<FloodReceiver>(stored); })
      .foreach_rdd([](const RDD<std::string>&) {});
  auto flow = std::make_shared<FlowRecorder>();
  ssc.add_streaming_listener(flow);
  ssc.start();
  auto start = std::chrono::steady_clock::now();
  while (*stored < 10000 && std::chrono::steady_clock::now() < start + 30s) std::this_thread::yield();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ssc.stop();
  // 10 000 records at 5000/s: 2 s, less the first second's burst allowance
  // (the bucket starts empty, so no burst): at least 1.8 s.
  CHECK(seconds >= 1.8);
  std::lock_guard<std::mutex> lock(flow->m);
  REQUIRE_FALSE(flow->batches.empty());
  CHECK(flow->batches.back().flow_per_stream.begin()->second.rate_limit == 5000);
}

TEST_CASE("backpressure pushes a PID rate to the receiver after batches complete", "[unit]") {
  Config conf;
  conf.set_master("local[2]")
      .set("rill.streaming.backpressure.enabled", "true")
      .set("rill.streaming.backpressure.initialRate", "20000")
      .set("rill.streaming.blockInterval", "50ms");
  StreamingContext ssc(conf, Milliseconds(200));
  auto stored = std::make_shared<std::atomic<int64_t>>(0);
  ssc.receiver_stream<std::string>([stored] { return std::make_unique<FloodReceiver>(stored); })
      .map([](const std::string& s) {
        burn_cpu(std::chrono::microseconds(50));  // at most ~20 k records/s per core
        return s.size();
      })
      .foreach_rdd([](const RDD<size_t>& r) { r.count(); });
  auto flow = std::make_shared<FlowRecorder>();
  ssc.add_streaming_listener(flow);
  ssc.start();
  auto changed = [&] {
    std::lock_guard<std::mutex> lock(flow->m);
    for (const auto& b : flow->batches)
      if (b.flow_per_stream.begin()->second.rate_limit != 20000) return true;
    return false;
  };
  rill::testing::wait_until(30s, [&] { return changed(); });
  ssc.stop();
  CHECK(changed());
  std::lock_guard<std::mutex> lock(flow->m);
  REQUIRE_FALSE(flow->batches.empty());
  CHECK(flow->batches.front().flow_per_stream.begin()->second.rate_limit == 20000);  // initialRate
}

namespace {
// Stores a few records one at a time, fewer than a chunk, then waits.
class TrickleReceiver : public Receiver<int> {
 public:
  ~TrickleReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      for (int i = 1; i <= 10; ++i) store(i);
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::thread thread_;
};
}  // namespace

TEST_CASE("under a rate limit, a trickle smaller than a chunk still reaches the next batches", "[unit]") {
  Config conf;
  conf.set_master("local[2]").set("rill.streaming.receiver.maxRate", "1000").set("rill.streaming.blockInterval",
                                                                                 "50ms");
  StreamingContext ssc(conf, Milliseconds(200));
  std::atomic<int64_t> seen{0};
  ssc.receiver_stream<int>([] { return std::make_unique<TrickleReceiver>(); })
      .foreach_rdd([&](const RDD<int>& r) { seen += r.count(); });
  ssc.start();
  // 10 records, chunks of 50 at 1000/s: nothing would ever fill a chunk.
  rill::testing::wait_until(20s, [&] { return seen >= 10; });
  ssc.stop();
  CHECK(seen == 10);
}
