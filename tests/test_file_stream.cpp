// text_file_stream on the manual clock: files are placed with the guide's
// protocol (written under a hidden name, renamed in) and given modification
// times on the manual clock's scale, so each batch's selection is exact.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "place_file.hpp"
#include "runtime/rill.hpp"

using namespace rill;
namespace fs = std::filesystem;

namespace {

struct Collected {
  std::mutex m;
  std::map<int64_t, std::vector<std::string>> by_batch;
};

}  // namespace

TEST_CASE("text_file_stream reads each new file once, in the batch whose interval holds its modification time", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  fs::path in = fs::path(dir.path()) / "in";
  fs::create_directories(in);
  StreamingContext ssc(rill::testing::manual_clock_config(), Seconds(1));
  auto got = std::make_shared<Collected>();
  ssc.text_file_stream(in.string()).foreach_rdd([got](const RDD<std::string>& r, Time t) {
    auto lines = r.collect();
    std::lock_guard<std::mutex> lock(got->m);
    got->by_batch[t.milliseconds()] = lines;
  });
  rill::testing::BatchDriver driver(ssc);
  const int64_t t0 = ssc.manual_clock()->now_ms();
  place_file(in, "before-start.txt", {"old"}, t0);  // modified at the start: not new
  driver.start();
  place_file(in, "a.txt", {"a1", "a2"}, t0 + 500);             // batch t0+1000
  place_file(in, "b.txt", {"b1"}, t0 + 1000);                  // batch t0+1000 (interval end included)
  place_file(in, "c.txt", {"c1"}, t0 + 2500);                  // in the future: batch t0+3000
  place_file(in, ".hidden.txt", {"never"}, t0 + 500);          // hidden: ignored
  fs::create_directories(in / "sub");                          // directories are not files
  driver.run_batches(2);
  place_file(in, "late.txt", {"late1"}, t0 + 1500);            // arrives late, still within the window
  driver.run_batches(2);
  std::lock_guard<std::mutex> lock(got->m);
  CHECK(got->by_batch[t0 + 1000] == std::vector<std::string>{"a1", "a2", "b1"});
  CHECK(got->by_batch[t0 + 2000].empty());
  CHECK(got->by_batch[t0 + 3000] == std::vector<std::string>{"c1", "late1"});
  CHECK(got->by_batch[t0 + 4000].empty());  // nothing read twice
  ssc.stop();
}

TEST_CASE("text_file_stream: a glob names directories; files older than the remember window are never read", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  fs::path root = dir.path();
  Config conf = rill::testing::manual_clock_config();
  conf.set("rill.streaming.fileStream.minRememberDuration", "2500ms");  // 3 batches of 1 s
  StreamingContext ssc(conf, Seconds(1));
  auto got = std::make_shared<Collected>();
  ssc.text_file_stream((root / "logs-*").string()).foreach_rdd([got](const RDD<std::string>& r, Time t) {
    auto lines = r.collect();
    std::sort(lines.begin(), lines.end());
    std::lock_guard<std::mutex> lock(got->m);
    got->by_batch[t.milliseconds()] = lines;
  });
  rill::testing::BatchDriver driver(ssc);
  const int64_t t0 = ssc.manual_clock()->now_ms();
  driver.start();
  place_file(root / "logs-1", "x", {"x"}, t0 + 800);
  place_file(root / "logs-2", "y", {"y"}, t0 + 900);
  place_file(root / "other", "z", {"z"}, t0 + 900);  // not named by the glob
  driver.run_batches(5);                             // through t0 + 5000
  place_file(root / "logs-1", "stale", {"stale"}, t0 + 1500);  // older than t0+5000 - 3 s
  place_file(root / "logs-2", "fresh", {"fresh"}, t0 + 5500);
  driver.run_batches(1);
  std::lock_guard<std::mutex> lock(got->m);
  CHECK(got->by_batch[t0 + 1000] == std::vector<std::string>{"x", "y"});
  CHECK(got->by_batch[t0 + 6000] == std::vector<std::string>{"fresh"});
  for (int k = 2; k <= 5; ++k) CHECK(got->by_batch[t0 + k * 1000].empty());
  ssc.stop();
}

TEST_CASE("text_file_stream: a file removed before its batch reads it fails the batch naming the file", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  fs::path in = fs::path(dir.path()) / "in";
  fs::create_directories(in);
  StreamingContext ssc(rill::testing::manual_clock_config(), Seconds(1));
  ssc.text_file_stream(in.string())
      .transform([&in](const RDD<std::string>& r) {
        fs::remove(in / "second.txt");  // after the batch listed it, before its task reads it
        return r;
      })
      .foreach_rdd([](const RDD<std::string>& r) { r.collect(); });
  rill::testing::BatchDriver driver(ssc);
  const int64_t t0 = ssc.manual_clock()->now_ms();
  driver.start();
  place_file(in, "first.txt", {"1"}, t0 + 100);
  place_file(in, "second.txt", {"2"}, t0 + 200);
  CHECK_THROWS_WITH(driver.run_batches(1), Catch::Contains("second.txt"));
  ssc.stop();
}

TEST_CASE("rill.streaming.fileStream.minRememberDuration is range-checked", "[unit]") {
  Config conf;
  CHECK_THROWS_AS(conf.set("rill.streaming.fileStream.minRememberDuration", "0ms"), ConfigError);
  CHECK_NOTHROW(conf.set("rill.streaming.fileStream.minRememberDuration", "90s"));
}
