// State across driver restarts, for the test that runs it on worker
// processes and compares with one uninterrupted local run: word counts of a
// file stream kept by update_state_by_key, map_with_state (3 s timeout) and
// reduce_by_key_and_window with an inverse, each checkpointed every 2 s, on
// the manual clock, through get_or_create.
//
//   rill_test_state_restart CHECKPOINT_DIR INPUT_DIR FROM TO [--master M]
//
// The driver runs batches FROM..TO (a restarted one resumes after the last
// batch that completed), placing batch k's input file just before it, then
// stops. Every output prints "NAME T record" lines, records sorted.
#include "runtime/rill.hpp"
#include "runtime/testing.hpp"
#include "tests/file_modified_at.hpp"
#include "tests/programs/print_batches.hpp"
#include "tests/programs/word_state.hpp"

using namespace rill;
using namespace rill::test_programs;

namespace {

// Batch k's input: modified inside its interval.
void place_batch_input(const std::string& dir, int64_t k) {
  write_file_modified_at(std::filesystem::path(dir) / ("f" + std::to_string(k) + ".txt"),
                         {"w" + std::to_string(k % 3) + " common", "k" + std::to_string(k) + " common"},
                         k * 1000 - 500);
}

std::unique_ptr<StreamingContext> make_program(const Config& conf, const std::string& checkpoint,
                                               const std::string& input) {
  auto ssc = std::make_unique<StreamingContext>(conf, Seconds(1));
  ssc->checkpoint(checkpoint);
  auto pairs = ssc->text_file_stream(input)
                   .flat_map([](const std::string& s) { return split(s, ' '); })
                   .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); });
  auto state = pairs.update_state_by_key(running_count);
  state.checkpoint(Seconds(2));
  print_each_batch(state, "state");
  auto tracked = pairs.map_with_state(TaggedCountSpec::function(tag_running_count).timeout(Seconds(3)));
  tracked.checkpoint(Seconds(2));
  print_each_batch(static_cast<DStream<std::string>>(tracked), "map_with_state");
  auto window = pairs.reduce_by_key_and_window([](int64_t a, int64_t b) { return a + b; },
                                               [](int64_t a, int64_t b) { return a - b; }, Seconds(3), Seconds(1));
  window.checkpoint(Seconds(2));
  print_each_batch(window, "window_inverse");
  return ssc;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = Config::from_args(argc, argv);
    auto args = Config::app_arguments(argc, argv);
    if (args.size() != 4)
      throw ConfigError("usage: rill_test_state_restart CHECKPOINT_DIR INPUT_DIR FROM TO [--master M]");
    conf.set("rill.streaming.clock", "manual").set("rill.default.parallelism", "2").set("rill.ui.enabled", "false");
    const std::string checkpoint = args[0], input = args[1];
    const int64_t from = parse_int_option("FROM", args[2], 1, 1000), to = parse_int_option("TO", args[3], 1, 1000);
    auto ssc = StreamingContext::get_or_create(checkpoint, [&] { return make_program(conf, checkpoint, input); });
    testing::BatchDriver driver(*ssc);
    driver.start();  // on a worker: serves the driver, then exits
    if (ssc->manual_clock()->now_ms() != (from - 1) * 1000)
      throw RillError("the driver resumed at " + std::to_string(ssc->manual_clock()->now_ms()) +
                      " ms, not after batch " + std::to_string(from - 1));
    for (int64_t k = from; k <= to; ++k) {
      place_batch_input(input, k);
      driver.run_batches(1);
    }
    ssc->stop(false);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_test_state_restart: " << e.what() << "\n";
    return 1;
  }
}
