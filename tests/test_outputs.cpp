// Output operations: print's format byte for byte, save_as_text_files' layout
// and atomicity, save_as_object_files round trip and damage detection.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "runtime/rill.hpp"

using namespace rill;
namespace fs = std::filesystem;

namespace {
Config manual_local2() {
  Config conf = rill::testing::manual_clock_config();
  return conf;
}

// Runs `batches` batches of a queue stream fed one RDD per batch.
template <class T, class Setup>
void run_queue(const std::vector<std::vector<T>>& input, size_t batches, Setup setup) {
  StreamingContext ssc(manual_local2(), Seconds(1));
  auto queue = std::make_shared<RDDQueue<T>>();
  for (const auto& b : input) queue->push(ssc.parallelize(b, 2));
  setup(ssc.queue_stream(queue));
  rill::testing::BatchDriver driver(ssc);
  driver.start();
  driver.run_batches(batches);
  ssc.stop();
}

struct CaptureStdout {
  std::ostringstream out;
  std::streambuf* old;
  CaptureStdout() : old(std::cout.rdbuf(out.rdbuf())) {}
  ~CaptureStdout() { std::cout.rdbuf(old); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

TEST_CASE("print writes Spark's format byte for byte", "[unit]") {
  CaptureStdout capture;
  run_queue<std::pair<std::string, int>>({{{"a", 1}, {"b", 2}}, {}}, 2, [](auto s) { s.print(); });
  CHECK(capture.out.str() ==
        "-------------------------------------------\n"
        "Time: 1000 ms\n"
        "-------------------------------------------\n"
        "(a,1)\n"
        "(b,2)\n"
        "\n"
        "-------------------------------------------\n"
        "Time: 2000 ms\n"
        "-------------------------------------------\n"
        "\n");
}

TEST_CASE("print(n) shows n records and ... when there are more", "[unit]") {
  CaptureStdout capture;
  run_queue<int>({{1, 2, 3, 4}}, 1, [](auto s) { s.print(3); });
  CHECK(capture.out.str() ==
        "-------------------------------------------\n"
        "Time: 1000 ms\n"
        "-------------------------------------------\n"
        "1\n2\n3\n...\n\n");
}

TEST_CASE("records display as Scala would show them", "[unit]") {
  CHECK(to_display_string(std::make_pair(std::string("k"), 2.0)) == "(k,2.0)");
  CHECK(to_display_string(0.25) == "0.25");
  CHECK(to_display_string(std::make_tuple(1, true, std::string("x"))) == "(1,true,x)");
  CHECK(to_display_string(std::vector<int>{1, 2}) == "[1, 2]");
  CHECK(to_display_string(std::optional<int>(3)) == "Some(3)");
  CHECK(to_display_string(std::optional<int>()) == "None");
}

TEST_CASE("save_as_text_files writes one directory per batch with part files", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string prefix = dir.path() + "/out";
  run_queue<std::string>({{"a", "b", "c"}, {}}, 2, [&](auto s) { s.save_as_text_files(prefix, "txt"); });
  std::string first = prefix + "-1000.txt";
  REQUIRE(fs::is_directory(first));
  CHECK(slurp(first + "/part-00000") == "a\n");
  CHECK(slurp(first + "/part-00001") == "b\nc\n");
  CHECK(fs::exists(first + "/_SUCCESS"));
  REQUIRE(fs::is_directory(prefix + "-2000.txt"));
  // Only the final directories remain: no temporary names are left behind.
  size_t entries = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++entries;
  }
  CHECK(entries == 2);
}

TEST_CASE("rewriting a batch's text output replaces it whole", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string target = dir.path() + "/out-1000";
  fs::create_directories(target);
  std::ofstream(target + "/part-00007") << "stale\n";
  run_queue<std::string>({{"fresh"}}, 1, [&](auto s) { s.save_as_text_files(dir.path() + "/out"); });
  CHECK_FALSE(fs::exists(target + "/part-00007"));
  CHECK(slurp(target + "/part-00001") == "fresh\n");
}

TEST_CASE("a failing partition leaves no partial output directory", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string prefix = dir.path() + "/out";
  StreamingContext ssc(manual_local2(), Seconds(1));
  auto rdd = ssc.parallelize(std::vector<int>{1, 2}, 2).map([](int x) {
    if (x == 2) throw std::runtime_error("disk on fire");
    return x;
  });
  CHECK_THROWS_WITH(save_text_files(rdd, prefix + "-1000"), Catch::Contains("disk on fire"));
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("save_as_object_files round-trips records and detects damage", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string prefix = dir.path() + "/obj";
  using P = std::pair<std::string, int64_t>;
  run_queue<P>({{{"x", 1}, {"y", 2}, {"z", 3}}}, 1, [&](auto s) { s.save_as_object_files(prefix); });
  auto back = read_object_files<P>(prefix + "-1000");
  CHECK(back == std::vector<P>{{"x", 1}, {"y", 2}, {"z", 3}});
  std::string part = prefix + "-1000/part-00001";
  std::string bytes = slurp(part);
  bytes[bytes.size() - 1] ^= 0x5a;
  std::ofstream(part, std::ios::binary | std::ios::trunc) << bytes;
  CHECK_THROWS_WITH(read_object_part<P>(part), Catch::Contains("checksum") && Catch::Contains("part-00001"));
  std::ofstream(part, std::ios::binary | std::ios::trunc) << "junk";
  CHECK_THROWS_WITH(read_object_part<P>(part), Catch::Contains("not a Rill object file"));
}

TEST_CASE("foreach_rdd gets each batch's RDD and time; outputs run in definition order", "[unit]") {
  std::vector<std::string> log;
  std::mutex m;
  run_queue<int>({{1, 2}, {3}}, 2, [&](auto s) {
    s.foreach_rdd([&](const RDD<int>& r, Time t) {
      std::lock_guard<std::mutex> lock(m);
      log.push_back("first " + std::to_string(t.milliseconds()) + " " + std::to_string(r.count()));
    });
    s.foreach_rdd([&](const RDD<int>& r) {
      std::lock_guard<std::mutex> lock(m);
      log.push_back("second " + std::to_string(r.count()));
    });
  });
  CHECK(log == std::vector<std::string>{"first 1000 2", "second 2", "first 2000 1", "second 1"});
}
