// Text without per-record allocations: rill::split / rill::split_words, view
// records from as_views() over received blocks and over any RDD<std::string>,
// views through shuffles, and the lifetime rule's type trait (the refusals
// themselves are compile-fail tests: tests/compile_fail/).
#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "runtime/rill.hpp"
#include "test_helpers.hpp"

using namespace rill;
using namespace std::chrono_literals;

TEST_CASE("split is Java's String.split on one character; split_words skips empty words", "[unit]") {
  CHECK(rill::split("a b  c") == std::vector<std::string>{"a", "b", "", "c"});
  CHECK(rill::split("a b  ") == std::vector<std::string>{"a", "b"});  // trailing empties removed
  CHECK(rill::split(" a") == std::vector<std::string>{"", "a"});
  CHECK(rill::split("") == std::vector<std::string>{});
  CHECK(rill::split("x,y", ',') == std::vector<std::string>{"x", "y"});
  std::vector<std::string_view> words;
  std::string line = "  to be  or not ";
  for (auto w : rill::split_words(line)) words.push_back(w);
  CHECK(words == std::vector<std::string_view>{"to", "be", "or", "not"});
  CHECK(words[0].data() == line.data() + 2);  // views into the line, not copies
  words.clear();
  for (auto w : rill::split_words("", ' ')) words.push_back(w);
  CHECK(words.empty());
}

TEST_CASE("flat_map(rill::split) hands on the pieces split() returns, in order", "[unit]") {
  const std::vector<std::string> lines = {"a b  c", "a b  ", " a", "", "   ", "one", "x  y   z  ",
                                          std::string(40, 'w') + " " + std::string(3, 'v')};
  std::vector<std::string> expected;
  for (const auto& line : lines)
    for (auto& piece : rill::split(line)) expected.push_back(piece);
  StreamingContext ssc(rill::testing::manual_clock_config(), Seconds(1));
  auto strings = ssc.parallelize(lines, 3);
  CHECK(strings.flat_map(rill::split).collect() == expected);  // streamed through a reused string
  std::vector<std::string> from_views;
  for (const auto& w : strings.as_views().flat_map(rill::split).collect()) from_views.push_back(w);
  CHECK(from_views == expected);
  // Pieces kept past the call are copies: a shuffle of them counts every word.
  std::map<std::string, int> counts, expected_counts;
  for (const auto& [w, n] : strings.flat_map(rill::split)
                                .map([](const std::string& w) { return std::make_pair(w, 1); })
                                .reduce_by_key([](int a, int b) { return a + b; })
                                .collect())
    counts[w] += n;
  for (const auto& w : expected) ++expected_counts[w];
  CHECK(counts == expected_counts);
  CHECK(expected_counts.at("") == 5);
}

TEST_CASE("holds_view_v finds a string_view anywhere in a record type", "[unit]") {
  STATIC_REQUIRE(holds_view_v<std::string_view>);
  STATIC_REQUIRE(holds_view_v<std::pair<std::string_view, int64_t>>);
  STATIC_REQUIRE(holds_view_v<std::pair<int, std::vector<std::optional<std::string_view>>>>);
  STATIC_REQUIRE(holds_view_v<std::tuple<int, std::string_view>>);
  STATIC_REQUIRE_FALSE(holds_view_v<std::string>);
  STATIC_REQUIRE_FALSE(holds_view_v<std::pair<std::string, int64_t>>);
}

TEST_CASE("as_views over an RDD that is not a received block keeps its partitions for the views", "[unit]") {
  std::vector<std::vector<std::string>> input = {{"a b", "b c c"}, {"d"}, {}};
  auto out = testing::run_operation(
      input,
      [](DStream<std::string> s) {
        return s.as_views()
            .flat_map(rill::split_words)
            .map([](std::string_view w) { return std::make_pair(w, int64_t{1}); })
            .reduce_by_key([](int64_t a, int64_t b) { return a + b; })
            .map([](const std::pair<std::string_view, int64_t>& kv) { return std::make_pair(std::string(kv.first), kv.second); });
      },
      3);
  using P = std::pair<std::string, int64_t>;
  CHECK(sorted(out) == std::vector<std::vector<P>>{{{"a", 1}, {"b", 2}, {"c", 2}}, {{"d", 1}}, {}});
}

namespace {

// Stores `lines` numbered lines of words as text buffers (store_text), as a
// custom text receiver would.
class TextReceiver : public Receiver<std::string> {
 public:
  TextReceiver(int buffers, int lines_per_buffer) : buffers_(buffers), lines_(lines_per_buffer) {}
  ~TextReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      int64_t n = 0;
      for (int b = 0; b < buffers_ && !is_stopped(); ++b) {
        std::string text;
        for (int i = 0; i < lines_; ++i, ++n)
          text += "w" + std::to_string(n % 97) + " x" + std::to_string(n % 13) + " line" + std::to_string(n) + "\n";
        store_text(std::move(text));
      }
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  int buffers_, lines_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("views into received blocks count the same words as strings, through shuffles", "[unit]") {
  Config conf;
  conf.set_master("local[2]").set("rill.streaming.blockInterval", "20ms").set("rill.ui.enabled", "false");
  StreamingContext ssc(conf, Milliseconds(100));
  const int buffers = 60, per_buffer = 500;
  auto lines = ssc.receiver_stream<std::string>([&] { return std::make_unique<TextReceiver>(buffers, per_buffer); });
  std::mutex m;
  std::map<std::string, int64_t> by_view, by_string, by_repartitioned_view;
  int64_t lines_seen = 0;
  lines.as_views()
      .flat_map(rill::split_words)
      .map([](std::string_view w) { return std::make_pair(w, int64_t{1}); })
      .reduce_by_key([](int64_t a, int64_t b) { return a + b; })
      .foreach_rdd([&](const RDD<std::pair<std::string_view, int64_t>>& r) {
        for (const auto& [w, n] : r.collect()) {
          std::lock_guard<std::mutex> lock(m);
          by_view[std::string(w)] += n;
        }
      });
  lines.as_views()
      .repartition(3)  // views cross a shuffle uncombined, still pointing into the blocks
      .flat_map(rill::split_words)
      .filter([](std::string_view w) { return w[0] == 'w'; })
      .map([](std::string_view w) { return std::make_pair(w, int64_t{1}); })
      .reduce_by_key([](int64_t a, int64_t b) { return a + b; })
      .foreach_rdd([&](const RDD<std::pair<std::string_view, int64_t>>& r) {
        for (const auto& [w, n] : r.collect()) {
          std::lock_guard<std::mutex> lock(m);
          by_repartitioned_view[std::string(w)] += n;
        }
      });
  lines.flat_map(rill::split)
      .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
      .reduce_by_key([](int64_t a, int64_t b) { return a + b; })
      .foreach_rdd([&](const RDD<std::pair<std::string, int64_t>>& r) {
        auto c = r.collect();
        std::lock_guard<std::mutex> lock(m);
        for (const auto& [w, n] : c) by_string[w] += n;
      });
  Progress progress;
  lines.count().foreach_rdd([&](const RDD<int64_t>& r) {
    for (auto n : r.collect()) {
      {
        std::lock_guard<std::mutex> lock(m);
        lines_seen += n;
      }
      progress.add(n);
    }
  });
  ssc.start();
  progress.wait_for_at_least(buffers * per_buffer, 60s);
  ssc.stop(true);
  REQUIRE(lines_seen == buffers * per_buffer);
  CHECK(by_string.size() == 97 + 13 + buffers * per_buffer);
  CHECK(by_view == by_string);
  std::map<std::string, int64_t> w_words;
  for (const auto& [w, n] : by_string)
    if (w[0] == 'w') w_words[w] = n;
  CHECK(by_repartitioned_view == w_words);
}
