// Compiles and runs once every call of the public API (docs/api.md), as a
// user's program would write it. A template member that no test instantiates
// is untested: this file instantiates each one, so a member that stops
// compiling for users breaks the build. When a call is added to the API, add
// it here.
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "runtime/rill.hpp"

using namespace rill;

namespace {
using Pair = std::pair<std::string, int64_t>;

// A user receiver using every protected member of Receiver<T>.
class EveryCallReceiver : public Receiver<int> {
 public:
  EveryCallReceiver() : Receiver<int>(StorageLevel::memory_only) {}
  ~EveryCallReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      store(1);                          // buffered into blocks
      const int six = 6;
      store(six);                        // an lvalue: copied
      store(std::vector<int>{2, 3});     // reliable: returns once stored
      store_buffered(std::vector<int>{4, 5});  // many at once into the current block
      report_error("a harmless report");  // reaches listeners, does not stop
      while (!is_stopped()) std::this_thread::yield();
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }
  void ask_restart() { restart("never called while running"); }

 private:
  std::thread thread_;
};

// A user text receiver storing whole buffers of lines.
class EveryCallTextReceiver : public Receiver<std::string> {
 public:
  ~EveryCallTextReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      store_text("x y\nz\n");      // lines counted by Rill
      store_text("w\n", 1);         // or by the caller
      store_text_reliably("v\n");  // returns once stored (then a source may be acknowledged)
      store_text(std::make_shared<const std::string>("s\n"));           // shared text, e.g. recycled
      store_text_reliably(std::make_shared<const std::string>("r"), 1);  // a '\n' is added
      auto buffer = rill::TextChunkPool::shared()->take();  // pooled memory, filled in place
      buffer->append("o\n", 2);
      buffer->push_back('n');
      buffer->push_back('\n');
      store_text(rill::TextChunkPool::shared()->share(std::move(buffer)), 2);
      store_text_reliably(rill::shared_text(std::string("m\n")));
      const std::string line = "q";
      store(line);                  // a line: into the chunk's text
      store(std::string("p\r"));    // not a line (its '\r' would be dropped): a record
      while (!is_stopped()) std::this_thread::yield();
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::thread thread_;
};

struct EveryCallListener : StreamingListener {
  std::atomic<int> events{0};
  void on_streaming_started(int64_t) override { ++events; }
  void on_receiver_started(const ReceiverInfo&) override { ++events; }
  void on_receiver_error(const ReceiverInfo&) override { ++events; }
  void on_receiver_stopped(const ReceiverInfo&) override { ++events; }
  void on_batch_submitted(const BatchInfo&) override { ++events; }
  void on_batch_started(const BatchInfo&) override { ++events; }
  void on_batch_completed(const BatchInfo& b) override {
    ++events;
    (void)b.scheduling_delay();
    (void)b.processing_delay();
    (void)b.total_delay();
    (void)b.num_records();
  }
  void on_output_operation_started(const OutputOperationInfo&) override { ++events; }
  void on_output_operation_completed(const OutputOperationInfo&) override { ++events; }
};
}  // namespace

TEST_CASE("every call of the public API compiles and runs", "[unit]") {
  // -- time and configuration -----------------------------------------------------
  Duration d = Milliseconds(500) + Seconds(1) + Minutes(0);
  Time t0(1000);
  CHECK((t0 + d).milliseconds() == 2500);
  CHECK((Time(3000) - t0) == Seconds(2));
  CHECK(d.milliseconds() == 1500);

  Config conf;
  conf.set_master("local[2]").set_app_name("api").set("rill.streaming.clock", "manual");
  CHECK(conf.get("rill.streaming.clock", "system") == "manual");
  CHECK(conf.master() == "local[2]");
  const char* argv[] = {"app", "--master", "local[2]", "--conf", "rill.flow.credits=8", "positional"};
  auto from_args = Config::from_args(6, const_cast<char**>(argv));
  CHECK(from_args.get_int("rill.flow.credits", 0) == 8);
  CHECK(Config::app_arguments(6, const_cast<char**>(argv)) == std::vector<std::string>{"positional"});

  // -- StreamingContext ---------------------------------------------------------------
  rill::testing::TemporaryDirectory dir;
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.path());
  ssc.remember(Seconds(4));
  auto listener = std::make_shared<EveryCallListener>();
  ssc.add_streaming_listener(listener);

  auto queue = std::make_shared<RDDQueue<std::string>>();
  queue->push(ssc.parallelize(std::vector<std::string>{"a b", "b c", "c"}, 2));
  queue->push(ssc.parallelize(std::vector<std::string>{"a", "a b"}));
  DStream<std::string> lines = ssc.queue_stream(queue, true);
  DStream<std::string> more = ssc.queue_stream(std::make_shared<RDDQueue<std::string>>());
  DStream<std::string> all = ssc.union_all(std::vector<DStream<std::string>>{lines, more});
  DStream<int> received = ssc.receiver_stream<int>([] { return std::make_unique<EveryCallReceiver>(); });
  DStream<std::string> text_received =
      ssc.receiver_stream<std::string>([] { return std::make_unique<EveryCallTextReceiver>(); });
  DStream<std::string> socket = ssc.socket_text_stream("127.0.0.1", 1);  // no output: never started
  DStream<std::string> one_copy = ssc.socket_text_stream("127.0.0.1", 1, StorageLevel::memory_only);
  (void)socket;
  DStream<std::string> files = ssc.text_file_stream(dir.path() + "/incoming");  // nothing arrives there
  RDD<Pair> history = ssc.parallelize(std::vector<Pair>{{"a", 100}});
  auto joined_with_history = ssc.transform(
      std::vector<DStream<std::string>>{all},
      [history](const std::vector<RDD<std::string>>& rdds, Time) {
        return rdds[0].map([](const std::string& s) { return Pair(s, 1); }).join(history).map_values(
            [](const std::pair<int64_t, int64_t>& v) { return v.first + v.second; });
      });

  // -- DStream<T> ------------------------------------------------------------------------
  std::mutex m;
  std::map<std::string, int64_t> seen;  // output name -> records seen
  auto count_into = [&](const std::string& name) {
    return [&, name](auto rdd) {
      auto n = rdd.count();
      std::lock_guard<std::mutex> lock(m);
      seen[name] += n;
    };
  };
  auto words = all.flat_map([](const std::string& line) {
    std::vector<std::string> out;
    std::string w;
    for (char c : line) {
      if (c == ' ') {
        if (!w.empty()) out.push_back(w);
        w.clear();
      } else {
        w += c;
      }
    }
    if (!w.empty()) out.push_back(w);
    return out;
  });
  auto pairs = words.map([](const std::string& w) { return Pair(w, 1); });
  words.filter([](const std::string& w) { return w != "c"; }).foreach_rdd(count_into("filter"));
  words.map_partitions([](const std::vector<std::string>& v) { return std::vector<size_t>{v.size()}; })
      .foreach_rdd(count_into("map_partitions"));
  words.glom().foreach_rdd(count_into("glom"));
  all.flat_map(rill::split).foreach_rdd(count_into("split"));
  files.foreach_rdd(count_into("text_file_stream"));
  text_received.as_views().foreach_rdd(count_into("text_receiver"));  // timing-dependent: not checked
  all.as_views().flat_map(rill::split_words).map([](std::string_view w) { return std::make_pair(w, int64_t{1}); })
      .reduce_by_key([](int64_t a, int64_t b) { return a + b; })
      .foreach_rdd(count_into("as_views"));
  words.repartition(3).foreach_rdd(count_into("repartition"));
  words.union_with(words).foreach_rdd(count_into("union_with"));
  words.count().foreach_rdd(count_into("count"));
  words.reduce([](const std::string& a, const std::string& b) { return a < b ? a : b; })
      .foreach_rdd(count_into("reduce"));
  words.count_by_value().foreach_rdd(count_into("count_by_value"));
  words.transform([](const RDD<std::string>& r) { return r.distinct(); }).foreach_rdd(count_into("transform"));
  words.transform([](const RDD<std::string>& r, Time) { return r; }).foreach_rdd(count_into("transform_t"));
  words.transform_with(received, [](const RDD<std::string>& a, const RDD<int>& b) {
    return a.map([](const std::string& s) { return s.size(); }).union_with(b.map([](int x) { return size_t(x); }));
  }).foreach_rdd(count_into("transform_with"));
  words.transform_with(received, [](const RDD<std::string>& a, const RDD<int>&, Time) { return a; })
      .foreach_rdd(count_into("transform_with_t"));
  words.window(Seconds(2)).foreach_rdd(count_into("window"));
  words.window(Seconds(2), Seconds(1)).foreach_rdd(count_into("window_slide"));
  words.count_by_window(Seconds(2), Seconds(1)).foreach_rdd(count_into("count_by_window"));
  words.map([](const std::string& s) { return int64_t(s.size()); })
      .reduce_by_window([](int64_t a, int64_t b) { return a + b; }, Seconds(2), Seconds(1))
      .foreach_rdd(count_into("reduce_by_window"));
  words.map([](const std::string& s) { return int64_t(s.size()); })
      .reduce_by_window([](int64_t a, int64_t b) { return a + b; }, [](int64_t a, int64_t b) { return a - b; },
                        Seconds(2), Seconds(1))
      .foreach_rdd(count_into("reduce_by_window_inv"));
  words.count_by_value_and_window(Seconds(2), Seconds(1)).foreach_rdd(count_into("count_by_value_and_window"));
  words.persist().cache().checkpoint(Seconds(10));
  words.print();
  words.print(3);
  words.save_as_text_files(dir.path() + "/text", "txt");
  words.save_as_object_files(dir.path() + "/objects");
  words.foreach_rdd([&](const RDD<std::string>& r) { count_into("foreach_rdd")(r); });
  words.foreach_rdd([&](const RDD<std::string>& r, Time) { count_into("foreach_rdd_t")(r); });
  std::atomic<int64_t> partition_records{0};
  words.foreach_partition([&](int, const std::vector<std::string>& records, Time) {
    partition_records += static_cast<int64_t>(records.size());
  });
  CHECK(&words.context() == &ssc);

  // -- pair streams --------------------------------------------------------------------
  auto sum = [](int64_t a, int64_t b) { return a + b; };
  pairs.reduce_by_key(sum).foreach_rdd(count_into("reduce_by_key"));
  pairs.reduce_by_key(sum, 3).foreach_rdd(count_into("reduce_by_key_n"));
  pairs.group_by_key().foreach_rdd(count_into("group_by_key"));
  pairs.combine_by_key([](int64_t v) { return v; }, [](int64_t& c, int64_t v) { c += v; },
                       [](int64_t& c, int64_t c2) { c += c2; })
      .foreach_rdd(count_into("combine_by_key"));
  pairs.map_values([](int64_t v) { return v * 2; }).foreach_rdd(count_into("map_values"));
  pairs.flat_map_values([](int64_t v) { return std::vector<int64_t>{v, v}; }).foreach_rdd(count_into("flat_map_values"));
  pairs.join(pairs).foreach_rdd(count_into("join"));
  pairs.left_outer_join(pairs).foreach_rdd(count_into("left_outer_join"));
  pairs.right_outer_join(pairs).foreach_rdd(count_into("right_outer_join"));
  pairs.full_outer_join(pairs).foreach_rdd(count_into("full_outer_join"));
  pairs.cogroup(pairs).foreach_rdd(count_into("cogroup"));
  pairs.update_state_by_key([](const std::vector<int64_t>& vs, std::optional<int64_t> s) -> std::optional<int64_t> {
         int64_t total = s.value_or(0);
         for (auto v : vs) total += v;
         return total;
       })
      .foreach_rdd(count_into("update_state_by_key"));
  pairs.update_state_by_key(
           [](Time, const std::string&, const std::vector<int64_t>& vs, std::optional<int64_t> s) -> std::optional<int64_t> {
             return s.value_or(0) + static_cast<int64_t>(vs.size());
           },
           2, ssc.parallelize(std::vector<Pair>{{"z", 7}}))
      .foreach_rdd(count_into("update_state_by_key_t"));
  auto mapped = pairs.map_with_state(
      StateSpec<std::string, int64_t, int64_t, Pair>::function(
          [](const std::string& k, std::optional<int64_t> v, State<int64_t>& state) {
            int64_t total = (state.exists() ? state.get() : 0) + v.value_or(0);
            if (!state.is_timing_out()) state.update(total);
            if (total > 1000) state.remove();
            return Pair(k, total);
          })
          .timeout(Seconds(30))
          .initial_state(ssc.parallelize(std::vector<Pair>{{"a", 10}}))
          .num_partitions(2));
  mapped.foreach_rdd(count_into("map_with_state"));
  mapped.state_snapshots().foreach_rdd(count_into("state_snapshots"));
  pairs.map_with_state(StateSpec<std::string, int64_t, int64_t, int64_t>::function(
                           [](Time, const std::string&, std::optional<int64_t> v, State<int64_t>&) {
                             return std::optional<int64_t>(v);
                           }))
      .foreach_rdd(count_into("map_with_state_t"));
  pairs.reduce_by_key_and_window(sum, Seconds(2), Seconds(1)).foreach_rdd(count_into("rbkaw"));
  pairs.reduce_by_key_and_window(sum, [](int64_t a, int64_t b) { return a - b; }, Seconds(2), Seconds(1), 2,
                                 [](const Pair& kv) { return kv.second != 0; })
      .foreach_rdd(count_into("rbkaw_inv"));
  pairs.group_by_key_and_window(Seconds(2), Seconds(1)).foreach_rdd(count_into("gbkaw"));
  joined_with_history.foreach_rdd(count_into("ssc_transform"));

  // -- RDD<T> -----------------------------------------------------------------------------
  RDD<int> numbers = ssc.parallelize(std::vector<int>{3, 1, 2, 3}, 2);
  CHECK(numbers.num_partitions() == 2);
  CHECK(numbers.count() == 4);
  CHECK(numbers.reduce([](int a, int b) { return a + b; }) == 9);
  CHECK(numbers.take(2).size() == 2);
  CHECK(numbers.map([](int x) { return x * 2; }).collect() == std::vector<int>{6, 2, 4, 6});
  CHECK(numbers.flat_map([](int x) { return std::vector<int>{x, x}; }).count() == 8);
  CHECK(numbers.filter([](int x) { return x > 1; }).count() == 3);
  CHECK(numbers.union_with(numbers).count() == 8);
  CHECK(numbers.distinct().count() == 3);
  CHECK(numbers.repartition(3).num_partitions() == 3);
  CHECK(numbers.map_partitions([](const std::vector<int>& v) { return std::vector<size_t>{v.size()}; }).count() == 2);
  std::atomic<int> foreach_sum{0};
  numbers.foreach([&](int x) { foreach_sum += x; });
  CHECK(foreach_sum == 9);
  std::atomic<int> partitions_seen{0};
  numbers.foreach_partition([&](int, const std::vector<int>&) { ++partitions_seen; });
  CHECK(partitions_seen == 2);
  RDD<Pair> kv = ssc.parallelize(std::vector<Pair>{{"a", 1}, {"b", 2}, {"a", 3}});
  RDD<Pair> other = ssc.parallelize(std::vector<Pair>{{"a", 5}, {"c", 6}});
  CHECK(kv.reduce_by_key(sum).count() == 2);
  CHECK(kv.group_by_key().count() == 2);
  CHECK(kv.join(other).count() == 2);
  CHECK(kv.left_outer_join(other).count() == 3);
  CHECK(kv.right_outer_join(other).count() == 3);
  CHECK(kv.full_outer_join(other).count() == 4);
  CHECK(kv.cogroup(other).count() == 3);
  CHECK(kv.map_values([](int64_t v) { return v + 1; }).count() == 3);

  // -- run it -----------------------------------------------------------------------------
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  CHECK(ssc.ui_web_url().value_or("").rfind("http://127.0.0.1:", 0) == 0);  // the UI is on by default
  driver.run_batches(3);
  CHECK_FALSE(ssc.await_termination_or_timeout(Milliseconds(1)));
  ssc.stop(false);
  ssc.await_termination();
  CHECK(ssc.state() == StreamingContext::State::stopped);
  CHECK(listener->events > 0);
  CHECK(partition_records == 8);  // a b b c c, then a a b
  std::lock_guard<std::mutex> lock(m);
  CHECK(seen["count"] == 3);  // one count record per batch
  CHECK(seen["foreach_rdd"] == 8);
  CHECK(seen["reduce_by_key"] == 5);  // {a, b, c} then {a, b}
  CHECK(seen["as_views"] == 5);
  CHECK(seen["split"] == 8);
  CHECK(seen["text_file_stream"] == 0);
  CHECK(seen["union_with"] == 16);
}

TEST_CASE("get_or_create calls the factory and returns its context, checkpointed in the directory", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::unique_ptr<StreamingContext> ssc = StreamingContext::get_or_create(dir.path(), [] {
    auto created = std::make_unique<StreamingContext>(rill::testing::manual_clock_config(), Seconds(1));
    created->queue_stream(std::make_shared<RDDQueue<int>>()).print();
    return created;
  });
  CHECK(ssc->checkpoint_directory() == dir.path());
}

TEST_CASE("the testing helpers run a pipeline over literal input", "[unit]") {
  auto out = rill::testing::run_operation<int>(
      {{1, 2}, {3}}, [](DStream<int> s) { return s.map([](int x) { return x * 2; }); }, 3);
  CHECK(out == std::vector<std::vector<int>>{{2, 4}, {6}, {}});
  auto joined = rill::testing::run_operation<Pair, Pair>(
      {{{"a", 1}}}, {{{"a", 2}}}, [](DStream<Pair> a, DStream<Pair> b) { return a.join(b); }, 1);
  REQUIRE(joined.size() == 1);
  CHECK(joined[0] == std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>>{{"a", {1, 2}}});
}
