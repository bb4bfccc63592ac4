// The example reliable receiver: a file of lines with a committed offset.
// One run stops gracefully part-way, a second run continues from the
// committed offset: together they see every line exactly once, in order.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "runtime/rill.hpp"
#include "test_helpers.hpp"

using namespace rill;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

void append_lines(const std::string& path, int from, int to, bool last_unterminated = false) {
  std::ofstream out(path, std::ios::app);
  for (int i = from; i < to; ++i) {
    out << "line " << i;
    if (!(last_unterminated && i + 1 == to)) out << "\n";
  }
}

// Runs a context over the file until `until` lines (in all) have been seen,
// then stops it gracefully; appends what it saw to `seen`.
void run_until(const std::string& path, std::vector<std::string>& seen, size_t until) {
  Config conf;
  conf.set_master("local[2]").set("rill.ui.enabled", "false").set("rill.streaming.blockInterval", "20ms");
  StreamingContext ssc(conf, Milliseconds(100));
  std::mutex m;
  Progress progress;
  ssc.receiver_stream<std::string>([path] { return std::make_unique<CommittedFileReceiver>(path, 250); })
      .foreach_rdd([&](const RDD<std::string>& r) {
        auto lines = r.collect();
        {
          std::lock_guard<std::mutex> lock(m);
          seen.insert(seen.end(), lines.begin(), lines.end());
        }
        progress.add(static_cast<int64_t>(lines.size()));
      });
  ssc.start();
  progress.wait_for_at_least(static_cast<int64_t>(until), 60s);
  ssc.stop(true);  // every stored (so committed) block is processed first
}

}  // namespace

TEST_CASE("CommittedFileReceiver: a second run continues at the committed offset; every line once, in order", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string path = dir.path() + "/numbered.txt";
  append_lines(path, 0, 10000);
  std::vector<std::string> seen;
  run_until(path, seen, 3000);
  REQUIRE(seen.size() >= 3000);
  const size_t first_run = seen.size();
  // The committed offset is exactly the end of what the first run processed.
  std::string expected_prefix;
  for (size_t i = 0; i < first_run; ++i) expected_prefix += "line " + std::to_string(i) + "\n";
  CHECK(CommittedFileReceiver::committed_offset(path) == static_cast<int64_t>(expected_prefix.size()));

  append_lines(path, 10000, 15000, /*last_unterminated=*/true);  // the last line is still being written
  std::vector<std::string> second;
  run_until(path, second, 15000 - 1 - first_run);
  seen.insert(seen.end(), second.begin(), second.end());
  REQUIRE(seen.size() == 14999);  // the unterminated line is not taken yet
  for (size_t i = 0; i < seen.size(); ++i)
    if (seen[i] != "line " + std::to_string(i)) FAIL("record " << i << " is \"" << seen[i] << "\"");
}

TEST_CASE("CommittedFileReceiver: a corrupt offset file is an error naming it", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string path = dir.path() + "/data.txt";
  std::ofstream(path + ".offset") << "12x";
  CHECK_THROWS_WITH(CommittedFileReceiver::committed_offset(path), Catch::Contains("data.txt.offset") && Catch::Contains("corrupt"));
  std::ofstream(path + ".offset") << "-5";
  CHECK_THROWS_AS(CommittedFileReceiver::committed_offset(path), RillError);
  std::ofstream(path + ".offset") << "42\n";
  CHECK(CommittedFileReceiver::committed_offset(path) == 42);
  fs::remove(path + ".offset");
  CHECK(CommittedFileReceiver::committed_offset(path) == 0);
}
