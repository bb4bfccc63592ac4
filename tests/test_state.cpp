// update_state_by_key and map_with_state, batch for batch against the
// expected output of Spark's StateSuite / MapWithStateSuite (compared as sets
// within a batch, as Spark's suites do).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <map>

#include "runtime/rill.hpp"
#include "test_helpers.hpp"

using namespace rill;
using rill::testing::run_operation;

namespace {
using P = std::pair<std::string, int>;
using Batches = std::vector<std::vector<P>>;


const std::vector<std::vector<std::string>> letters{{"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a"}, {}};
const Batches runningCounts{{{"a", 1}},
                            {{"a", 2}, {"b", 1}},
                            {{"a", 3}, {"b", 2}, {"c", 1}},
                            {{"a", 4}, {"b", 3}, {"c", 1}},
                            {{"a", 5}, {"b", 3}, {"c", 1}},
                            {{"a", 5}, {"b", 3}, {"c", 1}}};

DStream<P> pairs(const DStream<std::string>& s) {
  return s.map([](const std::string& x) { return std::make_pair(x, 1); });
}
}  // namespace

TEST_CASE("update_state_by_key keeps a running count", "[unit]") {
  auto out = run_operation(letters, [](DStream<std::string> s) {
    return pairs(s).update_state_by_key([](const std::vector<int>& values, std::optional<int> state) {
      int sum = state.value_or(0);
      for (int v : values) sum += v;
      return std::optional<int>(sum);
    });
  }, 6);
  CHECK(sorted(out) == runningCounts);
}

TEST_CASE("update_state_by_key with an initial state RDD", "[unit]") {
  auto out = run_operation<std::string>({{"a"}, {"a", "c"}}, [](DStream<std::string> s) {
    auto initial = s.context().parallelize(std::vector<P>{{"a", 1}, {"b", 2}});
    return pairs(s).update_state_by_key([](const std::vector<int>& values, std::optional<int> state) {
      int sum = state.value_or(0);
      for (int v : values) sum += v;
      return std::optional<int>(sum);
    }, 0, initial);
  }, 2);
  CHECK(sorted(out) == Batches{{{"a", 2}, {"b", 2}}, {{"a", 3}, {"b", 2}, {"c", 1}}});
}

TEST_CASE("update_state_by_key removes a key when the function returns nullopt", "[unit]") {
  // A key lives while it gets values and is removed the first batch it gets none.
  auto out = run_operation<std::string>({{"a", "b"}, {"a"}, {}, {"b"}}, [](DStream<std::string> s) {
    return pairs(s).update_state_by_key([](const std::vector<int>& values, std::optional<int> state) -> std::optional<int> {
      if (values.empty()) return std::nullopt;
      return state.value_or(0) + static_cast<int>(values.size());
    });
  }, 4);
  CHECK(sorted(out) == Batches{{{"a", 1}, {"b", 1}}, {{"a", 2}}, {}, {{"b", 1}}});
}

TEST_CASE("update_state_by_key runs the function for every key with state, every batch, with the time", "[unit]") {
  auto out = run_operation<std::string>({{"a"}, {}, {"b"}}, [](DStream<std::string> s) {
    return pairs(s).update_state_by_key(
        [](Time t, const std::string& key, const std::vector<int>& values, std::optional<std::string> state) {
          return std::optional<std::string>(state.value_or(key) + "@" + std::to_string(t.milliseconds() / 1000) +
                                            (values.empty() ? "" : "+"));
        });
  }, 3);
  using SS = std::pair<std::string, std::string>;
  CHECK(sorted(out) == std::vector<std::vector<SS>>{{{"a", "a@1+"}}, {{"a", "a@1+@2"}}, {{"a", "a@1+@2@3"}, {"b", "b@3+"}}});
}

TEST_CASE("update_state_by_key whose outputs read one partition: every partition exists after each batch", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.path());
  auto queue = std::make_shared<RDDQueue<P>>();
  const std::vector<std::string> keys{"a", "b", "c", "d", "e", "f", "g", "h"};
  for (int i = 0; i < 5; ++i) {
    std::vector<P> batch;
    for (const auto& k : keys) batch.push_back({k, 1});
    queue->push(ssc.parallelize(batch, 2));
  }
  std::vector<RDD<P>> kept;
  // print() reads partition 0 only (take); the batch's own job computes the
  // other three, so the stream can drop each state RDD's lineage when it forgets it.
  auto state = ssc.queue_stream(queue).update_state_by_key(
      [](const std::vector<int>& vs, std::optional<int> s) { return std::optional<int>(s.value_or(0) + static_cast<int>(vs.size())); },
      4);
  state.foreach_rdd([&kept](const RDD<P>& r) {
    r.take(1);
    kept.push_back(r);
  });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(5);
  REQUIRE(kept.size() == 5);
  for (const auto& r : kept) CHECK(r.node()->narrow_parents().empty());
  auto last = kept.back().collect();
  std::sort(last.begin(), last.end());
  std::vector<P> expected;
  for (const auto& k : keys) expected.push_back({k, 5});
  CHECK(last == expected);
  ssc.stop();
}

TEST_CASE("stateful operators need a checkpoint directory", "[unit]") {
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  auto s = ssc.queue_stream(std::make_shared<RDDQueue<P>>());
  s.update_state_by_key([](const std::vector<int>&, std::optional<int> st) { return st; }).print();
  CHECK_THROWS_WITH(ssc.start(), Catch::Contains("checkpoint directory"));
}

TEST_CASE("State handle follows Spark's rules", "[unit]") {
  State<int> state;
  CHECK_FALSE(state.exists());
  CHECK_THROWS_WITH(state.get(), Catch::Contains("not set"));
  state.wrap(1);
  CHECK(state.get() == 1);
  state.update(2);
  CHECK(state.is_updated());
  CHECK(state.get() == 2);
  state.remove();
  CHECK(state.is_removed());
  CHECK_FALSE(state.exists());
  CHECK_THROWS(state.remove());
  CHECK_THROWS(state.update(3));
  state.wrap_timing_out(3);
  CHECK(state.is_timing_out());
  CHECK(state.get() == 3);
  CHECK_THROWS_WITH(state.update(4), Catch::Contains("timing out"));
  CHECK_THROWS_WITH(state.remove(), Catch::Contains("timing out"));
}

namespace {
// Runs map_with_state over letters mapped to (letter, 1), collecting the
// mapped stream and the state snapshots per batch.
template <class U>
std::pair<std::vector<std::vector<U>>, Batches> map_with_state_run(const std::vector<std::vector<std::string>>& input,
                                                                    StateSpec<std::string, int, int, U> spec,
                                                                    size_t batches) {
  Batches snapshots;
  auto mapped = run_operation(input, [&](DStream<std::string> s) {
    auto stream = pairs(s).map_with_state(spec);
    auto snaps = std::make_shared<Batches>();
    stream.state_snapshots().foreach_rdd([&snapshots](const RDD<P>& r) { snapshots.push_back(r.collect()); });
    return static_cast<DStream<U>>(stream);
  }, batches);
  return {sorted(mapped), sorted(snapshots)};
}
const std::vector<std::vector<std::string>> mwsInput{{}, {"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b"}, {"a"}, {}};
const Batches mwsState{{},
                       {{"a", 1}},
                       {{"a", 2}, {"b", 1}},
                       {{"a", 3}, {"b", 2}, {"c", 1}},
                       {{"a", 4}, {"b", 3}, {"c", 1}},
                       {{"a", 5}, {"b", 3}, {"c", 1}},
                       {{"a", 5}, {"b", 3}, {"c", 1}}};
}  // namespace

TEST_CASE("map_with_state - basic operations with the simple function", "[unit]") {
  auto spec = StateSpec<std::string, int, int, int>::function(
      [](const std::string&, std::optional<int> value, State<int>& state) {
        int sum = value.value_or(0) + state.get_option().value_or(0);
        state.update(sum);
        return sum;
      });
  auto [mapped, states] = map_with_state_run(mwsInput, spec, 7);
  CHECK(mapped == std::vector<std::vector<int>>{{}, {1}, {1, 2}, {1, 2, 3}, {3, 4}, {5}, {}});
  CHECK(states == mwsState);
}

TEST_CASE("map_with_state - basic operations with the function of time", "[unit]") {
  auto spec = StateSpec<std::string, int, int, std::string>::function(
      [](Time, const std::string& key, std::optional<int> value, State<int>& state) -> std::optional<std::string> {
        state.update(value.value_or(0) + state.get_option().value_or(0));
        return key + key;
      });
  auto [mapped, states] = map_with_state_run(mwsInput, spec, 7);
  CHECK(mapped == std::vector<std::vector<std::string>>{{}, {"aa"}, {"aa", "bb"}, {"aa", "bb", "cc"}, {"aa", "bb"}, {"aa"}, {}});
  CHECK(states == mwsState);
}

TEST_CASE("map_with_state - initial states, with nothing returned", "[unit]") {
  Batches snapshots;
  auto mapped = run_operation(mwsInput, [&](DStream<std::string> s) {
    auto initial = s.context().parallelize(std::vector<P>{{"a", 5}, {"b", 10}, {"c", -20}, {"d", 0}});
    auto spec = StateSpec<std::string, int, int, int>::function(
        [](Time, const std::string&, std::optional<int> value, State<int>& state) -> std::optional<int> {
          state.update(value.value_or(0) + state.get_option().value_or(0));
          return std::nullopt;
        }).initial_state(initial);
    auto stream = pairs(s).map_with_state(spec);
    stream.state_snapshots().foreach_rdd([&snapshots](const RDD<P>& r) { snapshots.push_back(r.collect()); });
    return static_cast<DStream<int>>(stream);
  }, 7);
  CHECK(mapped == std::vector<std::vector<int>>(7));
  CHECK(sorted(snapshots) == Batches{{{"a", 5}, {"b", 10}, {"c", -20}, {"d", 0}},
                                     {{"a", 6}, {"b", 10}, {"c", -20}, {"d", 0}},
                                     {{"a", 7}, {"b", 11}, {"c", -20}, {"d", 0}},
                                     {{"a", 8}, {"b", 12}, {"c", -19}, {"d", 0}},
                                     {{"a", 9}, {"b", 13}, {"c", -19}, {"d", 0}},
                                     {{"a", 10}, {"b", 13}, {"c", -19}, {"d", 0}},
                                     {{"a", 10}, {"b", 13}, {"c", -19}, {"d", 0}}});
}

TEST_CASE("map_with_state - state removing", "[unit]") {
  auto spec = StateSpec<std::string, int, int, std::string>::function(
      [](Time, const std::string& key, std::optional<int> value, State<int>& state) -> std::optional<std::string> {
        if (state.exists()) {
          state.remove();
          return key;
        }
        state.update(*value);
        return std::nullopt;
      }).num_partitions(1);
  auto [mapped, states] = map_with_state_run(
      {{}, {"a"}, {"a", "b"}, {"a", "b", "c"}, {"a", "b", "c"}, {"a", "b"}, {"a"}, {}}, spec, 8);
  CHECK(mapped == std::vector<std::vector<std::string>>{{}, {}, {"a"}, {"b"}, {"a", "c"}, {"b"}, {"a"}, {}});
  CHECK(states == Batches{{}, {{"a", 1}}, {{"b", 1}}, {{"a", 1}, {"c", 1}}, {{"b", 1}}, {{"a", 1}}, {}, {}});
}

TEST_CASE("map_with_state - state timing out (found by the scan at checkpoint times)", "[unit]") {
  std::vector<std::vector<std::string>> input{{"a", "b", "c"}, {"a", "b"}, {"a"}, {}, {}, {"a"}};
  for (int i = 0; i < 20; ++i) input.push_back({"a"});
  auto spec = StateSpec<std::string, int, int, std::string>::function(
      [](Time, const std::string& key, std::optional<int> value, State<int>& state) -> std::optional<std::string> {
        if (value) state.update(1);
        if (state.is_timing_out()) return key;
        return std::nullopt;
      }).timeout(Seconds(3));
  auto [mapped, states] = map_with_state_run(input, spec, 20);
  std::vector<std::string> timed_out;
  for (auto& b : mapped) timed_out.insert(timed_out.end(), b.begin(), b.end());
  std::sort(timed_out.begin(), timed_out.end());
  CHECK(timed_out == std::vector<std::string>{"b", "c"});
  // Both time out at batch 10, the first full scan (checkpoint interval: 10 batches).
  CHECK(mapped[9] == std::vector<std::string>{"b", "c"});
  CHECK(std::find(states.begin(), states.end(), Batches::value_type{{"a", 1}, {"b", 1}, {"c", 1}}) != states.end());
  CHECK(states.back() == Batches::value_type{{"a", 1}});
}

TEST_CASE("state checkpoint files appear at the interval and are complete; all but the two newest are deleted", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.path());
  auto queue = std::make_shared<RDDQueue<P>>();
  for (int i = 1; i <= 5; ++i) queue->push(ssc.parallelize(std::vector<P>{{"k" + std::to_string(i), i}, {"a", 1}}));
  auto state = ssc.queue_stream(queue).update_state_by_key([](const std::vector<int>& v, std::optional<int> s) {
    int sum = s.value_or(0);
    for (int x : v) sum += x;
    return std::optional<int>(sum);
  });
  state.checkpoint(Seconds(2));
  std::vector<P> last;
  state.foreach_rdd([&last](const RDD<P>& r) { last = r.collect(); });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  std::string stream_dir;
  for (int k = 1; k <= 6; ++k) {
    driver.run_batches(1);
    if (k % 2 == 0) {
      std::vector<std::string> found;
      for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
        if (e.path().filename().string().rfind("update_state_by_key-", 0) != 0) continue;  // metadata/
        stream_dir = e.path().string();
        for (const auto& c : std::filesystem::directory_iterator(e.path())) found.push_back(c.path().filename().string());
      }
      std::sort(found.begin(), found.end());
      // The one before the newest stays: the metadata checkpoint may name it.
      if (k == 2) CHECK(found == std::vector<std::string>{"2000"});
      if (k == 6) CHECK(found == std::vector<std::string>{"4000", "6000"});
      auto saved = read_object_files<P>(stream_dir + "/" + std::to_string(1000 * k));
      std::sort(saved.begin(), saved.end());
      auto expected = last;
      std::sort(expected.begin(), expected.end());
      CHECK(saved == expected);
      CHECK(std::filesystem::exists(stream_dir + "/" + std::to_string(1000 * k) + "/_SUCCESS"));
    }
  }
  ssc.stop();
  CHECK(stream_dir.find("update_state_by_key") != std::string::npos);
}

TEST_CASE("old RDDs are dropped when no window or remember needs them", "[unit]") {
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(1));
  auto queue = std::make_shared<RDDQueue<int>>();
  for (int i = 1; i <= 8; ++i) queue->push(ssc.parallelize(std::vector<int>{i}));
  auto input = ssc.queue_stream(queue);
  auto mapped = input.map([](int x) { return x; });
  auto windowed = mapped.window(Seconds(3), Seconds(1));
  auto nested = windowed.window(Seconds(4), Seconds(2));
  nested.foreach_rdd([](const RDD<int>& r) { r.count(); });
  std::map<int64_t, int> windowed_ids;  // batch second -> RDD id
  windowed.foreach_rdd([&windowed_ids](const RDD<int>& r, Time t) {
    r.count();
    windowed_ids[t.milliseconds() / 1000] = r.id();
  });
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(8);
  // After batch 8 completed: nested (slide 2 s) remembers 2 s; windowed must keep
  // what a 4 s window over it needs (2 s + 4 s); mapped adds its own 3 s window.
  auto times = [](const auto& stream) {
    std::vector<int64_t> v;
    for (auto t : stream.node()->generated_times()) v.push_back(t.milliseconds() / 1000);
    return v;
  };
  CHECK(times(nested) == std::vector<int64_t>{8});
  CHECK(times(windowed) == std::vector<int64_t>{3, 4, 5, 6, 7, 8});
  CHECK(times(mapped) == std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8});
  // Windows persist their parent implicitly: the kept RDDs' partitions are in
  // the block store, the forgotten ones' are gone from it.
  BlockStore& store = ssc.executor()->block_store();
  CHECK(store.partitions_of(windowed_ids[1]) == 0);
  CHECK(store.partitions_of(windowed_ids[2]) == 0);
  for (int64_t k = 3; k <= 8; ++k) CHECK(store.partitions_of(windowed_ids[k]) > 0);
  ssc.stop();
}

TEST_CASE("default checkpoint intervals follow Spark's rules", "[unit]") {
  auto interval_of = [](Duration batch, bool map_with_state, std::optional<Duration> explicit_interval) {
    rill::testing::TemporaryDirectory dir;
    Config conf = rill::testing::manual_clock_config();
    StreamingContext ssc(conf, batch);
    ssc.checkpoint(dir.path());
    auto s = ssc.queue_stream(std::make_shared<RDDQueue<P>>());
    Duration result;
    if (map_with_state) {
      auto stream = s.map_with_state(StateSpec<std::string, int, int, int>::function(
          [](const std::string&, std::optional<int>, State<int>&) { return 0; }));
      if (explicit_interval) stream.checkpoint(*explicit_interval);
      stream.foreach_rdd([](const RDD<int>&) {});
      ssc.start();
      // The interval sits on the internal stream, the mapped stream's parent.
      result = stream.node()->parents()[0]->checkpoint_interval();
    } else {
      auto stream = s.update_state_by_key([](const std::vector<int>&, std::optional<int> st) { return st; });
      if (explicit_interval) stream.checkpoint(*explicit_interval);
      stream.foreach_rdd([](const RDD<P>&) {});
      ssc.start();
      result = stream.node()->checkpoint_interval();
    }
    ssc.stop();
    return result;
  };
  // Stateful streams: the smallest multiple of the slide that is at least 10 s.
  CHECK(interval_of(Seconds(1), false, std::nullopt) == Seconds(10));
  CHECK(interval_of(Seconds(3), false, std::nullopt) == Seconds(12));
  CHECK(interval_of(Seconds(1), false, Seconds(4)) == Seconds(4));
  // map_with_state: ten slides (MapWithStateSuite's "checkpoint durations").
  CHECK(interval_of(Milliseconds(100), true, std::nullopt) == Seconds(1));
  CHECK(interval_of(Seconds(1), true, std::nullopt) == Seconds(10));
  CHECK(interval_of(Seconds(10), true, std::nullopt) == Seconds(100));
  CHECK(interval_of(Milliseconds(100), true, Seconds(2)) == Seconds(2));
}

TEST_CASE("a checkpoint interval that is not a multiple of the slide is an error at start", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  Config conf = rill::testing::manual_clock_config();
  StreamingContext ssc(conf, Seconds(2));
  ssc.checkpoint(dir.path());
  auto stream = ssc.queue_stream(std::make_shared<RDDQueue<P>>())
                    .update_state_by_key([](const std::vector<int>&, std::optional<int> st) { return st; });
  stream.checkpoint(Seconds(3));
  stream.print();
  CHECK_THROWS_WITH(ssc.start(), Catch::Contains("not a multiple of its slide"));
}

TEST_CASE("update_state_by_key honours its partition count", "[unit]") {
  auto out = run_operation<std::string>({{"a", "b", "c", "d"}}, [](DStream<std::string> s) {
    return pairs(s)
        .update_state_by_key([](const std::vector<int>& v, std::optional<int>) { return std::optional<int>(static_cast<int>(v.size())); }, 3)
        .glom()
        .map([](const std::vector<P>& p) { return p.size(); });
  }, 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].size() == 3);
}

TEST_CASE("map_with_state: a batch whose function throws half-way leaves the state as it was", "[unit]") {
  // One partition: "a" is updated before "boom" throws in batch 2. The
  // batch fails; when batch 3 recomputes batch 2 (the function no longer
  // throws), "a" must be counted once for batch 2, not twice.
  Config conf = rill::testing::manual_clock_config();
  rill::testing::TemporaryDirectory dir;
  StreamingContext ssc(conf, Seconds(1));
  ssc.checkpoint(dir.path());
  using KV = std::pair<std::string, int>;
  auto input = rill::testing::detail::test_input<KV>(
      ssc, {{{"a", 1}}, {{"a", 1}, {"boom", 1}}, {{"a", 1}}}, 1);
  auto armed = std::make_shared<std::atomic<bool>>(true);
  auto spec = StateSpec<std::string, int, int, int>::function(
                  [armed](const std::string& key, std::optional<int> v, State<int>& state) {
                    int total = (state.exists() ? state.get() : 0) + v.value_or(0);
                    state.update(total);
                    if (key == "boom" && armed->load()) throw std::runtime_error("boom");
                    return total;
                  })
                  .num_partitions(1);
  std::mutex m;
  std::vector<std::vector<std::pair<std::string, int>>> snapshots;
  input.map_with_state(spec).state_snapshots().foreach_rdd([&](const RDD<std::pair<std::string, int>>& r) {
    auto v = r.collect();
    std::sort(v.begin(), v.end());
    std::lock_guard<std::mutex> lock(m);
    snapshots.push_back(v);
  });
  auto waiter = std::make_shared<rill::testing::BatchCompletionWaiter>();
  ssc.add_streaming_listener(waiter);
  ssc.start();
  for (int b = 1; b <= 3; ++b) {
    if (b == 3) *armed = false;
    ssc.manual_clock()->advance(1000);
    REQUIRE(waiter->wait_for(Time(b * 1000), std::chrono::seconds(30)));
  }
  ssc.stop();
  std::lock_guard<std::mutex> lock(m);
  REQUIRE(snapshots.size() == 2);  // batch 2's output failed
  CHECK(snapshots[0] == std::vector<std::pair<std::string, int>>{{"a", 1}});
  CHECK(snapshots[1] == std::vector<std::pair<std::string, int>>{{"a", 3}, {"boom", 1}});
}
