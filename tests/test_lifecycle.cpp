// StreamingContext's lifecycle rules and listener events.
#include <catch2/catch.hpp>

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "runtime/rill.hpp"
#include "wait.hpp"

using namespace rill;

namespace {
Config manual_local2() {
  Config conf = rill::testing::manual_clock_config();
  return conf;
}

struct RecordingListener : StreamingListener {
  std::mutex m;
  std::vector<std::string> events;
  std::vector<BatchInfo> completed;
  void add(std::string e) {
    std::lock_guard<std::mutex> lock(m);
    events.push_back(std::move(e));
  }
  void on_streaming_started(int64_t) override { add("started"); }
  void on_batch_submitted(const BatchInfo& b) override { add("submitted " + std::to_string(b.batch_time.milliseconds())); }
  void on_batch_started(const BatchInfo& b) override { add("batch started " + std::to_string(b.batch_time.milliseconds())); }
  void on_batch_completed(const BatchInfo& b) override {
    add("completed " + std::to_string(b.batch_time.milliseconds()));
    std::lock_guard<std::mutex> lock(m);
    completed.push_back(b);
  }
  void on_output_operation_started(const OutputOperationInfo& o) override { add("op started " + std::to_string(o.id)); }
  void on_output_operation_completed(const OutputOperationInfo& o) override { add("op completed " + std::to_string(o.id)); }
};
}  // namespace

TEST_CASE("start without an output operation is an error", "[unit]") {
  StreamingContext ssc(manual_local2(), Seconds(1));
  ssc.queue_stream(std::make_shared<RDDQueue<int>>());
  CHECK_THROWS_WITH(ssc.start(), Catch::Contains("no output operations"));
}

TEST_CASE("no operators after start, no restart after stop", "[unit]") {
  StreamingContext ssc(manual_local2(), Seconds(1));
  auto s = ssc.queue_stream(std::make_shared<RDDQueue<int>>());
  s.foreach_rdd([](const RDD<int>&) {});
  ssc.start();
  CHECK(ssc.state() == StreamingContext::State::active);
  CHECK_THROWS_WITH(s.map([](int x) { return x; }), Catch::Contains("after start"));
  CHECK_THROWS_AS(s.print(), IllegalStateError);
  CHECK_THROWS_WITH(ssc.start(), Catch::Contains("already"));
  ssc.stop();
  CHECK(ssc.state() == StreamingContext::State::stopped);
  CHECK_THROWS_WITH(ssc.start(), Catch::Contains("cannot be restarted"));
  CHECK_NOTHROW(ssc.stop());  // stopping twice is harmless
  CHECK(ssc.await_termination_or_timeout(Milliseconds(10)));
}

TEST_CASE("only one context may be active in a process", "[unit]") {
  StreamingContext first(manual_local2(), Seconds(1));
  first.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
  first.start();
  StreamingContext second(manual_local2(), Seconds(1));
  second.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
  CHECK_THROWS_WITH(second.start(), Catch::Contains("only one StreamingContext"));
  first.stop();
  CHECK_NOTHROW(second.start());
  second.stop();
}

TEST_CASE("await_termination_or_timeout times out while running and returns after stop", "[unit]") {
  StreamingContext ssc(manual_local2(), Seconds(1));
  ssc.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
  ssc.start();
  CHECK_FALSE(ssc.await_termination_or_timeout(Milliseconds(20)));
  std::thread stopper([&] { ssc.stop(); });
  ssc.await_termination();
  stopper.join();
  CHECK(ssc.state() == StreamingContext::State::stopped);
}

TEST_CASE("a zero batch interval is rejected", "[unit]") {
  CHECK_THROWS_WITH(StreamingContext(manual_local2(), Milliseconds(0)), Catch::Contains("batch duration"));
}

TEST_CASE("listeners see batch and output events in order, with delays", "[unit]") {
  StreamingContext ssc(manual_local2(), Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}));
  auto s = ssc.queue_stream(queue);
  s.foreach_rdd([](const RDD<int>& r) { r.count(); });
  s.count().foreach_rdd([](const RDD<int64_t>&) {});
  auto listener = std::make_shared<RecordingListener>();
  ssc.add_streaming_listener(listener);
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(1);
  ssc.stop();
  std::lock_guard<std::mutex> lock(listener->m);
  CHECK(listener->events == std::vector<std::string>{"started", "submitted 1000", "batch started 1000",
                                                     "op started 0", "op completed 0", "op started 1",
                                                     "op completed 1", "completed 1000"});
  REQUIRE(listener->completed.size() == 1);
  const auto& info = listener->completed[0];
  CHECK(info.num_output_operations == 2);
  REQUIRE(info.total_delay().has_value());
  CHECK(*info.total_delay() >= 0);
  CHECK(*info.total_delay() == *info.scheduling_delay() + *info.processing_delay());
}

TEST_CASE("stop from another thread ends await_termination; errors are rethrown there", "[unit]") {
  StreamingContext ssc(manual_local2(), Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1}));
  ssc.queue_stream(queue).foreach_rdd([](const RDD<int>&) { throw std::runtime_error("sink is down"); });
  ssc.start();
  ssc.manual_clock()->advance(1000);
  CHECK_THROWS_WITH(ssc.await_termination(), Catch::Contains("sink is down"));
  ssc.stop();
}

namespace {
// Stores 1..n one record at a time, then raises `done`.
class CountingReceiver : public Receiver<int> {
 public:
  CountingReceiver(int n, std::shared_ptr<std::atomic<bool>> done) : n_(n), done_(std::move(done)) {}
  ~CountingReceiver() override { on_stop(); }
  void on_start() override {
    if (thread_.joinable()) thread_.join();
    thread_ = std::thread([this] {
      for (int i = 1; i <= n_ && !is_stopped(); ++i) store(i);
      *done_ = true;
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  int n_;
  std::shared_ptr<std::atomic<bool>> done_;
  std::thread thread_;
};
}  // namespace

TEST_CASE("a graceful stop processes every record received before it", "[unit]") {
  Config conf;
  conf.set_master("local[2]").set("rill.streaming.blockInterval", "50ms");
  StreamingContext ssc(conf, Milliseconds(200));
  auto done = std::make_shared<std::atomic<bool>>(false);
  const int n = 100000;
  auto stream = ssc.receiver_stream<int>([n, done] { return std::make_unique<CountingReceiver>(n, done); });
  auto total = std::make_shared<std::atomic<int64_t>>(0);
  auto records = std::make_shared<std::atomic<int64_t>>(0);
  stream.foreach_rdd([total, records](const RDD<int>& r) {
    for (int x : r.collect()) {
      *total += x;
      ++*records;
    }
  });
  ssc.start();
  rill::testing::wait_until(std::chrono::seconds(30), [&] { return done->load(); });
  REQUIRE(*done);
  ssc.stop(true);
  CHECK(*records == n);
  CHECK(*total == int64_t{n} * (n + 1) / 2);
}

namespace {
// Stores three vectors reliably (each becomes a block of its own), then
// raises `done`.
class BlockStoringReceiver : public Receiver<int> {
 public:
  explicit BlockStoringReceiver(std::shared_ptr<std::atomic<bool>> done) : done_(std::move(done)) {}
  ~BlockStoringReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      store(std::vector<int>{1, 2});
      store(std::vector<int>{3});
      store(std::vector<int>{4, 5, 6});
      *done_ = true;
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::shared_ptr<std::atomic<bool>> done_;
  std::thread thread_;
};
}  // namespace

TEST_CASE("a receiver's batch has one partition per block; a reliable store is a block once it returns", "[unit]") {
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  auto done = std::make_shared<std::atomic<bool>>(false);
  auto stream = ssc.receiver_stream<int>([done] { return std::make_unique<BlockStoringReceiver>(done); });
  std::vector<std::vector<int>> partitions;
  stream.foreach_rdd([&partitions](const RDD<int>& r) {
    if (r.num_partitions() > 0) partitions = r.glom().collect();
  });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  rill::testing::wait_until(std::chrono::seconds(30), [&] { return done->load(); });
  REQUIRE(*done);  // all three stores returned: the blocks are stored and reported
  driver.run_batches(1);
  ssc.stop();
  CHECK(partitions == std::vector<std::vector<int>>{{1, 2}, {3}, {4, 5, 6}});
}

TEST_CASE("rill.streaming.concurrentJobs runs output operations at the same time", "[unit]") {
  Config conf;
  conf.set_master("local[2]").set("rill.streaming.clock", "manual").set("rill.streaming.concurrentJobs", "2");
  StreamingContext ssc(conf, Seconds(1));
  auto s = ssc.queue_stream(std::make_shared<RDDQueue<int>>());
  // Each job waits (with a deadline) for the other to have started: both can
  // only see each other if they run at once.
  std::atomic<int> started{0};
  std::atomic<int> saw_both{0};
  auto job = [&](const RDD<int>&) {
    ++started;
    rill::testing::wait_until(std::chrono::seconds(20), [&] { return started.load() >= 2; });
    if (started.load() >= 2) ++saw_both;
  };
  s.foreach_rdd(job);
  s.foreach_rdd(job);
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(1);
  ssc.stop();
  CHECK(saw_both == 2);
}

TEST_CASE("the engine's threads carry names: tasks on rill.worker.N, output jobs on rill.job", "[unit]") {
  auto thread_name = [] {
    char name[16] = {};
    ::pthread_getname_np(::pthread_self(), name, sizeof name);
    return std::string(name);
  };
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1, 2, 3, 4}, 2));
  std::mutex m;
  std::set<std::string> task_threads, job_threads;
  ssc.queue_stream(queue).map([thread_name](int) { return thread_name(); }).foreach_rdd([&](const RDD<std::string>& r) {
    auto names = r.collect();
    std::lock_guard<std::mutex> lock(m);
    task_threads.insert(names.begin(), names.end());
    job_threads.insert(thread_name());
  });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(1);
  ssc.stop();
  REQUIRE(!task_threads.empty());
  for (const auto& name : task_threads) CHECK_THAT(name, Catch::StartsWith("rill.worker."));
  CHECK(job_threads == std::set<std::string>{"rill.job"});
}
