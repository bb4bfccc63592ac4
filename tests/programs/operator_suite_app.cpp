// Operators, windows and state over fixed input on the manual clock, for the
// test that runs it with local[2] and with local-cluster[2,1] and compares
// the outputs batch for batch. Every output prints "NAME T record" lines,
// records sorted, in output order; then "done".
//
//   rill_test_operator_suite CHECKPOINT_DIR [SAVE_PREFIX] [--master M] [--conf k=v ...]
//
// With SAVE_PREFIX, the per-batch word counts are also saved with
// save_as_text_files(SAVE_PREFIX, "txt").
#include <algorithm>
#include <iostream>
#include <mutex>

#include "runtime/base/display.hpp"
#include "runtime/rill.hpp"
#include "runtime/testing.hpp"

using namespace rill;

namespace {

std::mutex print_mutex;

template <class T>
void print_records(const std::string& name, Time t, const std::vector<T>& records) {
  std::vector<std::string> shown;
  for (const auto& r : records) shown.push_back(to_display_string(r));
  std::sort(shown.begin(), shown.end());
  std::string text;
  for (const auto& s : shown) text += name + " " + std::to_string(t.milliseconds()) + " " + s + "\n";
  std::lock_guard<std::mutex> lock(print_mutex);
  std::cout << text << std::flush;
}

template <class T>
void print_each_batch(const DStream<T>& stream, const std::string& name) {
  stream.foreach_rdd([name](const RDD<T>& rdd, Time t) { print_records(name, t, rdd.collect()); });
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = Config::from_args(argc, argv);
    auto args = Config::app_arguments(argc, argv);
    if (args.empty() || args.size() > 2)
      throw ConfigError("usage: rill_test_operator_suite CHECKPOINT_DIR [SAVE_PREFIX] [--master M]");
    conf.set("rill.streaming.clock", "manual").set("rill.default.parallelism", "2").set("rill.ui.enabled", "false");
    StreamingContext ssc(conf, Milliseconds(1000));
    ssc.checkpoint(args[0]);
    const std::vector<std::vector<std::string>> input = {
        {"a b c", "a b", "a"}, {"b c d", "d d"}, {}, {"a a a e", "e f"}, {"c"}, {"f g h", "g"}, {"a"}, {}};
    auto lines = testing::detail::test_input(ssc, input, 2);
    auto pairs = lines.flat_map([](const std::string& s) { return split(s, ' '); })
                     .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); });
    auto add = [](int64_t a, int64_t b) { return a + b; };
    auto counts = pairs.reduce_by_key(add);
    print_each_batch(counts, "reduce_by_key");
    if (args.size() == 2) counts.save_as_text_files(args[1], "txt");
    print_each_batch(pairs.group_by_key().map_values([](const std::vector<int64_t>& v) { return v.size(); }),
                     "group_by_key");
    print_each_batch(counts.join(counts.map_values([](int64_t n) { return n * 10; })), "join");
    print_each_batch(counts.left_outer_join(counts.filter([](const auto& kv) { return kv.second > 1; })),
                     "left_outer_join");
    print_each_batch(lines.count(), "count");
    print_each_batch(pairs.map([](const auto& kv) { return kv.first; }).count_by_value(), "count_by_value");
    auto extra = ssc.parallelize(std::vector<std::pair<std::string, int64_t>>{{"z", 100}}, 2);
    print_each_batch(counts.transform([extra](const RDD<std::pair<std::string, int64_t>>& r) { return r.union_with(extra); }),
                     "transform");
    print_each_batch(pairs.reduce_by_key_and_window(add, Seconds(3), Seconds(1)), "window");
    print_each_batch(pairs.reduce_by_key_and_window(add, Seconds(4), Seconds(2)), "window_slide_2");
    print_each_batch(lines.window(Seconds(2), Seconds(1)).count(), "window_count");
    print_each_batch(
        pairs.reduce_by_key_and_window(add, [](int64_t a, int64_t b) { return a - b; }, Seconds(3), Seconds(1)),
        "window_inverse");
    auto state = pairs.update_state_by_key([](const std::vector<int64_t>& vs, const std::optional<int64_t>& s) {
      int64_t n = s.value_or(0);
      for (int64_t v : vs) n += v;
      return std::optional<int64_t>(n);
    });
    state.checkpoint(Seconds(2));  // several checkpoints, each releasing the state's lineage
    print_each_batch(state, "state");
    // An RDD derived in the body with a new closure: a cluster's driver
    // computes it from the state partitions the workers keep.
    state.foreach_rdd([](const RDD<std::pair<std::string, int64_t>>& rdd, Time t) {
      print_records("state_frequent", t, rdd.filter([](const auto& kv) { return kv.second > 2; }).collect());
    });
    auto tracked = pairs.map_with_state(
        StateSpec<std::string, int64_t, int64_t, std::string>::function(
            [](const std::string& word, std::optional<int64_t> one, State<int64_t>& state) {
              if (state.is_timing_out()) return word + "#idle";
              const int64_t n = state.get_option().value_or(0) + one.value_or(0);
              state.update(n);
              return word + "#" + std::to_string(n);
            })
            .timeout(Seconds(3)));
    print_each_batch(static_cast<DStream<std::string>>(tracked), "map_with_state");
    print_each_batch(tracked.state_snapshots(), "map_with_state_snapshot");
    testing::BatchDriver driver(ssc);
    driver.start();  // on a worker: serves the driver, then exits
    driver.run_batches(input.size() + 2);
    ssc.stop();
    std::cout << "done" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_test_operator_suite: " << e.what() << "\n";
    return 1;
  }
}
