// Every way of stopping a context finishes within a deadline: from inside an
// output operation (graceful or not), from inside a task, twice, from two
// threads, from the destructor, with a receiver stuck in connect(); stop()
// inside a listener callback is refused with Spark's error; an engine actor
// that dies fails the context instead of stalling it.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include "runtime/rill.hpp"
#include "tcp_test_server.hpp"
#include "wait.hpp"

using namespace rill;
using namespace std::chrono_literals;

namespace {

// Runs f, failing (and ending the test process, since a hung stop cannot be
// cancelled) if it does not return within the deadline.
template <class F>
void finishes_within(std::chrono::milliseconds deadline, const char* what, F f) {
  auto done = std::async(std::launch::async, f);
  if (done.wait_for(deadline) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: %s did not finish within %lld ms\n", what, static_cast<long long>(deadline.count()));
    std::fflush(stderr);
    std::_Exit(1);
  }
  done.get();  // rethrows
}

Config manual_conf() { return rill::testing::manual_clock_config(); }

// A listening socket whose accept queue is full: a further connect() is
// neither accepted nor refused, it hangs (the SYN is dropped).
class FullBacklogServer {
 public:
  FullBacklogServer() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    for (int i = 0; i < 4; ++i) {  // more than the queue holds
      int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers_.push_back(fd);
    }
  }
  ~FullBacklogServer() {
    for (int fd : fillers_) ::close(fd);
    ::close(listener_);
  }
  uint16_t port() const { return port_; }

 private:
  int listener_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

struct ErrorListener : StreamingListener {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> errors;
  void on_receiver_error(const ReceiverInfo& info) override {
    std::lock_guard<std::mutex> lock(m);
    errors.push_back(info.last_error);
    cv.notify_all();
  }
  bool wait_for(const std::string& text, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(m);
    return cv.wait_for(lock, deadline, [&] {
      for (auto& e : errors)
        if (e.find(text) != std::string::npos) return true;
      return false;
    });
  }
};

}  // namespace

TEST_CASE("stop() inside foreach_rdd stops the context once the operation returns", "[unit]") {
  for (bool graceful : {false, true}) {
    DYNAMIC_SECTION("graceful: " << graceful) {
      StreamingContext ssc(manual_conf(), Seconds(1));
      auto queue = std::make_shared<RDDQueue<int>>();
      queue->push(ssc.parallelize(std::vector<int>{1, 2, 3}));
      std::atomic<bool> returned{false};
      ssc.queue_stream(queue).foreach_rdd([&](const RDD<int>& r) {
        r.count();
        ssc.stop(graceful);
        returned = true;
      });
      ssc.start();
      ssc.manual_clock()->advance(1000);
      finishes_within(20s, "await_termination after stop() in foreach_rdd", [&] { ssc.await_termination(); });
      CHECK(returned);
      CHECK(ssc.state() == StreamingContext::State::stopped);
    }
  }
}

TEST_CASE("stop() inside an operator's function stops the context", "[unit]") {
  StreamingContext ssc(manual_conf(), Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{1}));
  ssc.queue_stream(queue)
      .map([&](int x) {
        ssc.stop();
        return x;
      })
      .foreach_rdd([](const RDD<int>& r) { r.count(); });
  ssc.start();
  ssc.manual_clock()->advance(1000);
  finishes_within(20s, "await_termination after stop() in a task", [&] { ssc.await_termination(); });
  CHECK(ssc.state() == StreamingContext::State::stopped);
}

TEST_CASE("stop() inside a listener callback is refused with Spark's error", "[unit]") {
  struct StoppingListener : StreamingListener {
    StreamingContext* ssc = nullptr;
    std::mutex m;
    std::condition_variable cv;
    std::string error;
    void on_batch_completed(const BatchInfo&) override {
      try {
        ssc->stop();
      } catch (const IllegalStateError& e) {
        std::lock_guard<std::mutex> lock(m);
        error = e.what();
        cv.notify_all();
      }
    }
  };
  StreamingContext ssc(manual_conf(), Seconds(1));
  ssc.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
  auto listener = std::make_shared<StoppingListener>();
  listener->ssc = &ssc;
  ssc.add_streaming_listener(listener);
  ssc.start();
  ssc.manual_clock()->advance(1000);
  {
    std::unique_lock<std::mutex> lock(listener->m);
    REQUIRE(listener->cv.wait_for(lock, 20s, [&] { return !listener->error.empty(); }));
    CHECK_THAT(listener->error, Catch::Contains("Cannot stop StreamingContext within listener bus thread"));
  }
  CHECK(ssc.state() == StreamingContext::State::active);
  finishes_within(20s, "stop after the refused one", [&] { ssc.stop(); });
}

TEST_CASE("stop() from two threads at once, twice, and from the destructor all return", "[unit]") {
  {
    StreamingContext ssc(manual_conf(), Seconds(1));
    ssc.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
    ssc.start();
    finishes_within(20s, "two concurrent stops", [&] {
      std::thread a([&] { ssc.stop(); });
      std::thread b([&] { ssc.stop(true); });
      a.join();
      b.join();
    });
    CHECK(ssc.state() == StreamingContext::State::stopped);
    finishes_within(5s, "a second stop", [&] { ssc.stop(); });
  }
  finishes_within(20s, "the destructor of an active context", [] {
    StreamingContext ssc(manual_conf(), Seconds(1));
    ssc.queue_stream(std::make_shared<RDDQueue<int>>()).foreach_rdd([](const RDD<int>&) {});
    ssc.start();
  });
}

TEST_CASE("stop() interrupts a receiver stuck in connect()", "[unit]") {
  FullBacklogServer server;
  Config conf;
  conf.set_master("local[2]");  // default connect timeout: 10 s
  finishes_within(5s, "stop with a receiver stuck in connect", [&] {
    StreamingContext ssc(conf, Milliseconds(200));
    ssc.socket_text_stream("127.0.0.1", server.port()).foreach_rdd([](const RDD<std::string>&) {});
    ssc.start();
    ssc.stop();
  });
}

TEST_CASE("a connect that hangs is reported as a receiver error naming host:port", "[unit]") {
  FullBacklogServer server;
  Config conf;
  conf.set_master("local[2]")
      .set("rill.streaming.socket.connectTimeout", "300ms")
      .set("rill.streaming.receiverRestartDelay", "50ms");
  StreamingContext ssc(conf, Milliseconds(200));
  ssc.socket_text_stream("127.0.0.1", server.port()).foreach_rdd([](const RDD<std::string>&) {});
  auto errors = std::make_shared<ErrorListener>();
  ssc.add_streaming_listener(errors);
  ssc.start();
  CHECK(errors->wait_for("connecting to 127.0.0.1:" + std::to_string(server.port()) + " timed out after 300 ms",
                         10s));
  finishes_within(5s, "stop", [&] { ssc.stop(); });
}

TEST_CASE("a receiver's store() held by a tiny rate limit does not hold up stop()", "[unit]") {
  class Flooding : public Receiver<int> {
   public:
    ~Flooding() override { on_stop(); }
    void on_start() override {
      thread_ = std::thread([this] {
        while (!is_stopped()) store(1);
      });
    }
    void on_stop() override {
      if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    }

   private:
    std::thread thread_;
  };
  Config conf;
  conf.set_master("local[2]").set("rill.streaming.receiver.maxRate", "1").set("rill.flow.chunkRecords", "1000");
  StreamingContext ssc(conf, Milliseconds(200));
  std::atomic<int> started{0};
  struct Started : StreamingListener {
    std::atomic<int>* n;
    void on_receiver_started(const ReceiverInfo&) override { ++*n; }
  };
  auto l = std::make_shared<Started>();
  l->n = &started;
  ssc.add_streaming_listener(l);
  ssc.receiver_stream<int>([] { return std::make_unique<Flooding>(); }).foreach_rdd([](const RDD<int>&) {});
  ssc.start();
  // The first chunk of 1000 records at 1 record/s puts store() to sleep for
  // ~1000 s; stop() must cut that short.
  rill::testing::wait_until(10s, [&] { return started != 0; });
  finishes_within(5s, "stop with a rate-limited receiver", [&] { ssc.stop(); });
}

TEST_CASE("an engine actor that dies fails the context with its cause instead of stalling", "[unit]") {
  StreamingContext ssc(manual_conf(), Seconds(1));
  ssc.receiver_stream<int>([]() -> std::unique_ptr<Receiver<int>> { return nullptr; })
      .foreach_rdd([](const RDD<int>&) {});
  ssc.start();
  finishes_within(20s, "await_termination after the receiver tracker died", [&] {
    CHECK_THROWS_WITH(ssc.await_termination(),
                      Catch::Contains("receiver_tracker") && Catch::Contains("the receiver factory returned null"));
  });
  ssc.manual_clock()->advance(1000);  // batches can no longer be generated; nothing hangs
  finishes_within(20s, "stop after an engine actor died", [&] { ssc.stop(); });
}

TEST_CASE("a failed stage reports its error only after its running tasks have finished", "[unit]") {
  // Task 0 fails at once; task 1 is still running. Before the fix the error
  // reached the job while task 1 still used the stage's RDDs.
  Config conf = manual_conf();
  StreamingContext ssc(conf, Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  queue->push(ssc.parallelize(std::vector<int>{0, 1}, 2));
  std::atomic<bool> failed{false}, error_delivered{false}, delivered_before_finish{false};
  std::atomic<bool> checked{false};
  ssc.queue_stream(queue)
      .map([&](int x) {
        if (x == 0) {
          failed = true;
          throw std::runtime_error("task 0 fails");
        }
        auto deadline = std::chrono::steady_clock::now() + 500ms;
        while (!failed && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        // Give a too-early error delivery the time to show.
        while (!error_delivered && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
        if (error_delivered) delivered_before_finish = true;
        return x;
      })
      .foreach_rdd([&](const RDD<int>& r) {
        try {
          r.collect();
        } catch (const JobFailedError&) {
          error_delivered = true;
        }
        checked = true;
      });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(1);
  ssc.stop();
  CHECK(checked);
  CHECK(error_delivered);
  CHECK_FALSE(delivered_before_finish);
}

TEST_CASE("blocks of a batch whose job generation threw are released by time", "[unit]") {
  class Blocks : public Receiver<int> {
   public:
    explicit Blocks(std::atomic<int>* stored) : stored_(stored) {}
    ~Blocks() override { on_stop(); }
    void on_start() override {
      thread_ = std::thread([this] {
        for (int i = 0; i < 20 && !is_stopped(); ++i) {
          store(std::vector<int>{i});  // a block of its own, stored once this returns
          ++*stored_;
        }
      });
    }
    void on_stop() override {
      if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
    }

   private:
    std::atomic<int>* stored_;
    std::thread thread_;
  };
  StreamingContext ssc(manual_conf(), Seconds(1));
  std::atomic<int> stored{0};
  auto received = ssc.receiver_stream<int>([&] { return std::make_unique<Blocks>(&stored); });
  // Generation throws (a null RDD) before the receiver stream's RDD is even
  // made, so only a cleanup by time can release the batch's blocks.
  auto failing = ssc.queue_stream(std::make_shared<RDDQueue<int>>(), true, ssc.parallelize(std::vector<int>{1}))
                     .transform([](const RDD<int>&) -> RDD<int> { return {}; });
  failing.transform_with(received, [](const RDD<int>& a, const RDD<int>&) { return a; })
      .foreach_rdd([](const RDD<int>&) {});
  auto waiter = std::make_shared<rill::testing::BatchCompletionWaiter>();
  ssc.add_streaming_listener(waiter);
  ssc.start();
  auto deadline = std::chrono::steady_clock::now() + 20s;
  // One block per batch: each batch's generation fails.
  for (int b = 1; b <= 5; ++b) {
    while (stored < b * 4 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    ssc.manual_clock()->advance(1000);
    REQUIRE(waiter->wait_for(Time(ssc.manual_clock()->now_ms()), 20s));
  }
  // Each batch's allocation is released once the batch has completed and
  // its time has passed the stream's remember duration (one batch).
  CHECK(ssc.graph().blocks().size() <= 2);
  CHECK_THROWS_WITH(ssc.await_termination_or_timeout(Milliseconds(0)), Catch::Contains("null RDD"));
  ssc.stop();
}
