// rill::testing: run a pipeline over literal input, batch by batch, on the
// manual clock, the way Spark's own TestSuiteBase does.
//
//   auto out = rill::testing::run_operation<std::string>(
//       {{"a b", "a"}, {"b"}},
//       [](DStream<std::string> s) { return s.flat_map(split).count_by_value(); },
//       /*num_batches=*/3);
//
// Batch k (k = 1, 2, ...) runs at k × batch and is fed input[k-1]; once the
// input runs out, batches are empty. The result holds, for each time the
// output stream produced an RDD, its records in partition order. The context
// has a fresh temporary checkpoint directory; `num_partitions` is both the
// input's partition count and the default parallelism. An exception thrown
// in a batch propagates out of run_operation.
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "runtime/streaming_context.hpp"

namespace rill::testing {

// Batch k's RDD is input[k-1], sliced into num_partitions; empty afterwards.
template <class T>
class TestInputDStream : public DStreamNode<T>, public InputDStreamBase {
 public:
  TestInputDStream(StreamingContext& ssc, std::vector<std::vector<T>> input, int num_partitions)
      : DStreamNode<T>(ssc, {}, ssc.batch_duration(), "test_input"),
        input_(std::move(input)), num_partitions_(num_partitions) {}
  DStreamBase& stream() override { return *this; }
  // The input is part of the program, so every process of a cluster has it.
  bool computable_by_workers() const override { return is_serializable_v<T>; }

 protected:
  RDD<T> compute(Time t) override {
    int64_t index = (t - this->zero_time()) / this->slide_duration() - 1;
    std::vector<T> data;
    if (index >= 0 && index < static_cast<int64_t>(input_.size())) data = input_[index];
    return RDD<T>(std::make_shared<StoredRDD<T>>(executor_of(this->context()),
                                                 slice_into(std::move(data), num_partitions_)));
  }

 private:
  std::vector<std::vector<T>> input_;
  int num_partitions_;
};

// Lets a test wait, with a deadline, until a batch time has completed.
class BatchCompletionWaiter : public StreamingListener {
 public:
  void on_batch_completed(const BatchInfo& info) override {
    std::lock_guard<std::mutex> lock(mutex_);
    completed_.insert(info.batch_time.milliseconds());
    changed_.notify_all();
  }
  // False when the deadline passed first.
  bool wait_for(Time t, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, deadline, [&] { return completed_.count(t.milliseconds()) > 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::set<int64_t> completed_;
};

// Drives a context on the manual clock: start() starts it; run_batches(n)
// advances the clock a batch at a time and waits, with a deadline, until each
// batch has completed, then rethrows the error of a failed batch, if any.
class BatchDriver {
 public:
  explicit BatchDriver(StreamingContext& ssc)
      : ssc_(ssc), waiter_(std::make_shared<BatchCompletionWaiter>()) {
    if (!ssc.manual_clock()) throw RillError("BatchDriver needs rill.streaming.clock=manual");
    ssc.add_streaming_listener(waiter_);
  }
  void start() { ssc_.start(); }
  // Runs the next n batches; returns the time of the last one.
  Time run_batches(size_t n, std::chrono::milliseconds deadline = std::chrono::seconds(60)) {
    ManualClock& clock = *ssc_.manual_clock();
    Time t(clock.now_ms());
    for (size_t k = 0; k < n; ++k) {
      clock.advance(ssc_.batch_duration().milliseconds());
      t = Time(clock.now_ms());
      if (!waiter_->wait_for(t, deadline))
        throw RillError("batch " + t.to_string() + " did not complete within " +
                        std::to_string(deadline.count()) + " ms");
      ssc_.await_termination_or_timeout(Milliseconds(0));  // rethrows a batch's error
    }
    return t;
  }

 private:
  StreamingContext& ssc_;
  std::shared_ptr<BatchCompletionWaiter> waiter_;
};

// A temporary directory removed when this goes out of scope.
class TemporaryDirectory {
 public:
  TemporaryDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "rill-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw RillError("cannot create a temporary directory");
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// local[2] on the manual clock, without the web UI: the configuration tests
// start from.
inline Config manual_clock_config() {
  Config conf;
  conf.set_master("local[2]").set_app_name("rill-test").set("rill.streaming.clock", "manual");
  conf.set("rill.ui.enabled", "false");  // tests of pipelines need no web server
  return conf;
}

namespace detail {

inline Config test_config(int num_partitions) {
  Config conf = manual_clock_config();
  conf.set("rill.default.parallelism", std::to_string(num_partitions));
  return conf;
}

// Starts ssc, runs num_batches batches and returns what `out` produced.
template <class V>
std::vector<std::vector<V>> run_batches(StreamingContext& ssc, const DStream<V>& out, size_t num_batches) {
  auto mutex = std::make_shared<std::mutex>();
  auto collected = std::make_shared<std::vector<std::vector<V>>>();
  out.foreach_rdd([mutex, collected](const RDD<V>& rdd) {
    auto records = rdd.collect();
    std::lock_guard<std::mutex> lock(*mutex);
    collected->push_back(std::move(records));
  });
  BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(num_batches);
  ssc.stop();
  std::lock_guard<std::mutex> lock(*mutex);
  return *collected;
}

template <class T>
DStream<T> test_input(StreamingContext& ssc, const std::vector<std::vector<T>>& input, int n) {
  auto stream = std::make_shared<TestInputDStream<T>>(ssc, input, n);
  ssc.graph().add_input(stream);
  return DStream<T>(stream);
}

}  // namespace detail

template <class U, class Op>
auto run_operation(const std::vector<std::vector<U>>& input, Op op, size_t num_batches,
                   Duration batch = Seconds(1), int num_partitions = 2) {
  TemporaryDirectory dir;
  StreamingContext ssc(detail::test_config(num_partitions), batch);
  ssc.checkpoint(dir.path());
  auto out = op(detail::test_input(ssc, input, num_partitions));
  return detail::run_batches(ssc, out, num_batches);
}

template <class U, class W, class Op>
auto run_operation(const std::vector<std::vector<U>>& input1, const std::vector<std::vector<W>>& input2,
                   Op op, size_t num_batches, Duration batch = Seconds(1), int num_partitions = 2) {
  TemporaryDirectory dir;
  StreamingContext ssc(detail::test_config(num_partitions), batch);
  ssc.checkpoint(dir.path());
  auto a = detail::test_input(ssc, input1, num_partitions);
  auto b = detail::test_input(ssc, input2, num_partitions);
  auto out = op(a, b);
  return detail::run_batches(ssc, out, num_batches);
}

}  // namespace rill::testing
