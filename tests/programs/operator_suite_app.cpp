// Operators, windows and state over fixed input on the manual clock, for the
// test that runs it with local[2] and with local-cluster[2,1] and compares
// the outputs batch for batch. Every output prints "NAME T record" lines,
// records sorted, in output order; then "done".
//
//   rill_test_operator_suite CHECKPOINT_DIR [SAVE_PREFIX] [--master M] [--conf k=v ...]
//
// With SAVE_PREFIX, the per-batch word counts are also saved with
// save_as_text_files(SAVE_PREFIX, "txt").
#include "runtime/rill.hpp"
#include "runtime/testing.hpp"
#include "tests/file_modified_at.hpp"
#include "tests/programs/print_batches.hpp"
#include "tests/programs/word_state.hpp"

using namespace rill;
using namespace rill::test_programs;

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
    auto state = pairs.update_state_by_key(running_count);
    state.checkpoint(Seconds(2));  // several checkpoints, each releasing the state's lineage
    print_each_batch(state, "state");
    // An RDD derived in the body with a new closure: a cluster's driver
    // computes it from the state partitions the workers keep.
    state.foreach_rdd([](const RDD<std::pair<std::string, int64_t>>& rdd, Time t) {
      print_records("state_frequent", t, rdd.filter([](const auto& kv) { return kv.second > 2; }).collect());
    });
    // State built on an initial RDD, made before start() as the program is:
    // every process builds it, so the workers keep this state too.
    auto initial = ssc.parallelize(std::vector<std::pair<std::string, int64_t>>{{"a", 100}, {"q", 7}}, 2);
    print_each_batch(pairs.update_state_by_key(running_count, 0, initial), "state_initial");
    print_each_batch(static_cast<DStream<std::string>>(
                         pairs.map_with_state(TaggedCountSpec::function(tag_running_count).initial_state(initial))),
                     "map_with_state_initial");
    auto tracked = pairs.map_with_state(TaggedCountSpec::function(tag_running_count).timeout(Seconds(3)));
    print_each_batch(static_cast<DStream<std::string>>(tracked), "map_with_state");
    print_each_batch(tracked.state_snapshots(), "map_with_state_snapshot");
    // Inputs only the driver can make: a queue's RDDs and the files a
    // directory listing finds. Both are fed after start(), as users do (a
    // worker never gets there: its queue stays empty), and the workers get
    // each batch from the driver.
    auto queue = std::make_shared<RDDQueue<int64_t>>();
    print_each_batch(ssc.queue_stream(queue).map([](int64_t x) { return std::make_pair(x % 3, x); }).reduce_by_key(add),
                     "queue_stream");
    const std::string files_dir = args[0] + ".files";
    print_each_batch(ssc.text_file_stream(files_dir)
                         .flat_map([](const std::string& s) { return split(s, ' '); })
                         .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
                         .reduce_by_key(add),
                     "text_file_stream");
    testing::BatchDriver driver(ssc);
    const int64_t t0 = ssc.manual_clock()->now_ms();
    driver.start();  // on a worker: serves the driver, then exits
    for (int64_t k = 0; k < 4; ++k) {
      std::vector<int64_t> numbers;
      for (int64_t i = 0; i < 10 * (k + 1); ++i) numbers.push_back(i * (k + 1));
      queue->push(ssc.parallelize(numbers, 2));
      // Batch k + 1 reads file k: modified within its interval, renamed in.
      const std::string name = files_dir + "/" + std::to_string(k) + ".txt";
      write_file_modified_at(name, input[k], t0 + k * 1000 + 500);
    }
    driver.run_batches(input.size() + 2);
    ssc.stop();
    std::cout << "done" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_test_operator_suite: " << e.what() << "\n";
    return 1;
  }
}
