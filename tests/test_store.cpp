// The receiver API under concurrency: store(T), store_buffered and the
// reliable store(vector) from several threads deliver every record exactly
// once and each thread's records in order; and one receiver's batch is
// spread over every partition worker (large blocks split into partitions).
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/rill.hpp"
#include "test_helpers.hpp"

using namespace rill;
using namespace std::chrono_literals;

namespace {

constexpr int64_t kThreadStride = 1'000'000'000;

// A receiver whose `threads` threads each run store_all(t) once. A subclass
// calls on_stop() in its destructor, so the threads end before its members.
template <class T>
class StoringThreadsReceiver : public Receiver<T> {
 public:
  StoringThreadsReceiver(int threads, int64_t per_thread) : threads_(threads), per_thread_(per_thread) {}
  void on_start() override {
    for (int t = 0; t < threads_; ++t) workers_.emplace_back([this, t] { store_all(t); });
  }
  void on_stop() override {
    for (auto& w : workers_)
      if (w.joinable() && w.get_id() != std::this_thread::get_id()) w.join();
    workers_.clear();
  }

 protected:
  virtual void store_all(int t) = 0;
  const int threads_;
  const int64_t per_thread_;

 private:
  std::vector<std::thread> workers_;
};

// The records of every batch, as the listener reports them.
struct BatchRecordCount : StreamingListener {
  std::atomic<int64_t> records{0};
  void on_batch_completed(const BatchInfo& b) override { records += b.num_records(); }
};

// `threads` threads, each storing 0..per_thread-1 (plus its stride): runs of
// 100 alternate between store(T) one at a time (three runs in five), a
// reliable store(vector) and store_buffered.
class MixedReceiver : public StoringThreadsReceiver<int64_t> {
 public:
  using StoringThreadsReceiver::StoringThreadsReceiver;
  ~MixedReceiver() override { on_stop(); }

 private:
  void store_all(int t) override {
    const int64_t base = t * kThreadStride;
    for (int64_t run = 0; run * 100 < per_thread_ && !is_stopped(); ++run) {
      std::vector<int64_t> batch;
      for (int64_t i = run * 100; i < std::min(per_thread_, (run + 1) * 100); ++i) batch.push_back(base + i);
      switch (run % 5) {
        case 3: store(std::move(batch)); break;
        case 4: store_buffered(std::move(batch)); break;
        default:
          for (int64_t x : batch) store(x);
      }
    }
  }
};

}  // namespace

TEST_CASE("store(T), store_buffered and store(vector) from four threads: every record once, each thread's in order", "[unit]") {
  Config conf;
  conf.set_master("local[2]")
      .set("rill.streaming.blockInterval", "10ms")
      .set("rill.flow.chunkRecords", "64")
      .set("rill.ui.enabled", "false");
  StreamingContext ssc(conf, Milliseconds(50));
  const int threads = 4;
  const int64_t per_thread = 60'000;
  std::mutex m;
  std::vector<int64_t> seen;  // in stream order: batch by batch, partition by partition
  Progress progress;
  ssc.receiver_stream<int64_t>([&] { return std::make_unique<MixedReceiver>(threads, per_thread); })
      .foreach_rdd([&](const RDD<int64_t>& r) {
        auto records = r.collect();
        {
          std::lock_guard<std::mutex> lock(m);
          seen.insert(seen.end(), records.begin(), records.end());
        }
        progress.add(static_cast<int64_t>(records.size()));
      });
  ssc.start();
  progress.wait_for_at_least(threads * per_thread, 60s);
  ssc.stop(true);
  REQUIRE(static_cast<int64_t>(seen.size()) == threads * per_thread);
  std::vector<int64_t> next(threads, 0);
  int64_t out_of_order = 0;
  for (int64_t x : seen) {
    auto t = static_cast<size_t>(x / kThreadStride);
    REQUIRE(t < next.size());
    if (x % kThreadStride != next[t]) ++out_of_order;
    next[t] = x % kThreadStride + 1;
  }
  CHECK(out_of_order == 0);
  for (int t = 0; t < threads; ++t) CHECK(next[static_cast<size_t>(t)] == per_thread);
}

namespace {

// Stores numbered lines as text buffers of 2000 lines, as fast as it can.
class NumberedTextReceiver : public Receiver<std::string> {
 public:
  explicit NumberedTextReceiver(int buffers) : buffers_(buffers) {}
  ~NumberedTextReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      int64_t n = 0;
      for (int b = 0; b < buffers_ && !is_stopped(); ++b) {
        std::string text;
        for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(n++) + " of the stream\n";
        store_text(std::move(text), 2000);
      }
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  int buffers_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("one receiver's batch is spread over every partition worker, in order", "[slow]") {
  Config conf;
  conf.set_master("local[4]")
      .set("rill.streaming.blockInterval", "1s")  // few, large blocks: they must be split
      .set("rill.streaming.blockMaxBytes", "64m")
      .set("rill.ui.enabled", "false");
  StreamingContext ssc(conf, Seconds(1));
  const int buffers = 100;  // 200,000 lines, about 5 MB
  std::mutex m;
  std::vector<std::vector<int64_t>> partition_sizes;  // of each batch that had data
  std::vector<std::string> lines;
  Progress progress;
  ssc.receiver_stream<std::string>([&] { return std::make_unique<NumberedTextReceiver>(buffers); })
      .foreach_rdd([&](const RDD<std::string>& r) {
        std::vector<int64_t> sizes(static_cast<size_t>(r.num_partitions()), 0);
        r.foreach_partition([&](int p, const std::vector<std::string>& records) {
          std::lock_guard<std::mutex> lock(m);
          sizes[static_cast<size_t>(p)] = static_cast<int64_t>(records.size());
        });
        auto records = r.collect();
        {
          std::lock_guard<std::mutex> lock(m);
          if (!records.empty()) partition_sizes.push_back(sizes);
          lines.insert(lines.end(), records.begin(), records.end());
        }
        progress.add(static_cast<int64_t>(records.size()));
      });
  ssc.start();
  progress.wait_for_at_least(int64_t{2000} * buffers, 60s);
  ssc.stop(true);
  REQUIRE(lines.size() == size_t{2000} * buffers);
  for (size_t i = 0; i < lines.size(); ++i)
    if (lines[i] != "line " + std::to_string(i) + " of the stream") FAIL("line " << i << " is \"" << lines[i] << "\"");
  // Every batch that held at least a few MB reached all four workers.
  for (const auto& sizes : partition_sizes) {
    int64_t total = 0, largest = 0;
    for (auto s : sizes) total += s, largest = std::max(largest, s);
    if (total < 50'000) continue;  // a batch with a small tail of the data
    INFO("partitions " << sizes.size() << ", records " << total << ", largest " << largest);
    CHECK(sizes.size() >= 4);
    CHECK(largest * 2 <= total);  // no partition holds most of the batch
  }
}

namespace {

// Stores shared text buffers (two of them without a last '\n'), a pooled buffer
// filled in place, and a line longer than a pooled buffer.
class SharedTextReceiver : public Receiver<std::string> {
 public:
  ~SharedTextReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      store_text(std::make_shared<const std::string>("a\nb\n"));
      store_text(std::make_shared<const std::string>(""));
      store_text(std::make_shared<const std::string>("c\nd"));  // "d" is a line too
      store_text_reliably(std::make_shared<const std::string>("e"), 1);
      auto buffer = rill::TextChunkPool::shared()->take();  // filled in place, shared as it is
      buffer->append("f\ng", 3);                            // a '\n' is added
      store_text(rill::TextChunkPool::shared()->share(std::move(buffer)));
      auto big = std::make_shared<const std::string>(std::string(300 << 10, 'h'));
      store(*big);  // a line too long for a pooled buffer: kept as a record
      store_text_reliably(rill::shared_text(std::string("i\n")));
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace

TEST_CASE("shared text is stored as lines, in order, a last line without '\\n' included", "[unit]") {
  Config conf;
  conf.set_master("local[2]").set("rill.streaming.blockInterval", "10ms").set("rill.ui.enabled", "false");
  StreamingContext ssc(conf, Milliseconds(50));
  std::mutex m;
  std::vector<std::string> lines;
  Progress progress;
  auto counted = std::make_shared<BatchRecordCount>();
  ssc.add_streaming_listener(counted);
  ssc.receiver_stream<std::string>([] { return std::make_unique<SharedTextReceiver>(); })
      .foreach_rdd([&](const RDD<std::string>& r) {
        auto records = r.collect();
        {
          std::lock_guard<std::mutex> lock(m);
          lines.insert(lines.end(), records.begin(), records.end());
        }
        progress.add(static_cast<int64_t>(records.size()));
      });
  ssc.start();
  progress.wait_for_at_least(9, 30s);
  ssc.stop(true);
  CHECK(lines == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g", std::string(300 << 10, 'h'), "i"});
  CHECK(counted->records == 9);
}

namespace {

// Thread t stores the strings string_record(t, 0..n-1) one at a time: most
// are lines (stored as text), every seventh holds a '\n', every eleventh ends
// in '\r', every thirteenth is empty (stored as records); stores of an lvalue
// and of an rvalue alternate, and every 500 records a reliable store(vector)
// of two more goes in between.
std::string string_record(int t, int64_t i) {
  std::string s = std::to_string(t) + ":" + std::to_string(i);
  if (i % 13 == 0) return "";
  if (i % 7 == 0) return s + "\nsecond line";
  if (i % 11 == 0) return s + "\r";
  return s;
}

class StringRecordsReceiver : public StoringThreadsReceiver<std::string> {
 public:
  using StoringThreadsReceiver::StoringThreadsReceiver;
  ~StringRecordsReceiver() override { on_stop(); }

 private:
  void store_all(int t) override {
    for (int64_t i = 0; i < per_thread_ && !is_stopped(); ++i) {
      if (i % 500 == 499 && i + 1 < per_thread_) {
        store(std::vector<std::string>{string_record(t, i), string_record(t, i + 1)});
        ++i;
        continue;
      }
      const std::string record = string_record(t, i);
      if (i % 2 == 0) store(record);
      else store(std::string(record));
    }
  }
};

}  // namespace

TEST_CASE("string records stored as text or as records: each once, in order", "[unit]") {
  Config conf;
  conf.set_master("local[2]")
      .set("rill.streaming.blockInterval", "10ms")
      .set("rill.flow.chunkRecords", "100")
      .set("rill.ui.enabled", "false");
  StreamingContext ssc(conf, Milliseconds(50));
  const int threads = 3;
  const int64_t per_thread = 20'000;
  std::mutex m;
  std::vector<std::string> seen;
  auto counted = std::make_shared<BatchRecordCount>();
  ssc.add_streaming_listener(counted);
  Progress progress;
  auto lines = ssc.receiver_stream<std::string>([&] { return std::make_unique<StringRecordsReceiver>(threads, per_thread); });
  lines.foreach_rdd([&](const RDD<std::string>& r) {
    auto records = r.collect();
    {
      std::lock_guard<std::mutex> lock(m);
      seen.insert(seen.end(), records.begin(), records.end());
    }
    progress.add(static_cast<int64_t>(records.size()));
  });
  // The same records as views: text and record chunks both serve them.
  std::atomic<int64_t> view_bytes{0};
  lines.as_views().foreach_rdd([&](const RDD<std::string_view>& r) {
    int64_t n = 0;
    for (std::string_view v : r.collect()) n += static_cast<int64_t>(v.size());
    view_bytes += n;
  });
  ssc.start();
  progress.wait_for_at_least(threads * per_thread, 60s);
  ssc.stop(true);
  REQUIRE(static_cast<int64_t>(seen.size()) == threads * per_thread);
  // Each thread's records, in the order they came out, must be its own in
  // the order it stored them. Empty records carry no thread, so they are
  // checked by count: one per thirteen.
  std::vector<std::vector<std::string>> by_thread(threads);
  int64_t empty = 0, expected_bytes = 0;
  for (const auto& s : seen) {
    expected_bytes += static_cast<int64_t>(s.size());
    if (s.empty()) {
      ++empty;
      continue;
    }
    const int t = s[0] - '0';
    REQUIRE((t >= 0 && t < threads));
    by_thread[static_cast<size_t>(t)].push_back(s);
  }
  int64_t expected_empty = 0;
  for (int t = 0; t < threads; ++t) {
    std::vector<std::string> expected;
    for (int64_t i = 0; i < per_thread; ++i) {
      std::string s = string_record(t, i);
      if (s.empty()) ++expected_empty;
      else expected.push_back(std::move(s));
    }
    CHECK(by_thread[static_cast<size_t>(t)] == expected);
  }
  CHECK(empty == expected_empty);
  CHECK(counted->records == threads * per_thread);
  CHECK(view_bytes == expected_bytes);
}
