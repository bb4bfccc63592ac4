// Recovery figures (issue: driver recovery):
//  - restart after kill -9 to the first completed batch, with N keys of
//    update_state_by_key state (default 1 M): the driver is a child process
//    that is SIGKILLed once its state checkpoint holds every key, then started
//    again; the time runs from the new process's start to its first output;
//  - the cost of one metadata checkpoint write (fsync, rename, directory fsync).
//
//   rill_bench_recovery [--keys N] [--runs R] [--out RESULTS.md]
//   rill_bench_recovery --child INPUT_DIR CHECKPOINT_DIR      (the driver; used by the above)
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/rill.hpp"
#include "tests/child_process.hpp"

using namespace rill;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

// The driver: word counts of a file stream as update_state_by_key state,
// checkpointed every batch; prints "batch <ms> keys <n>" after each batch.
int run_child(const std::string& input, const std::string& checkpoint) {
  Config conf;
  conf.set_master("local[2]").set_app_name("recovery-bench").set("rill.ui.enabled", "false");
  auto ssc = StreamingContext::get_or_create(checkpoint, [&] {
    auto created = std::make_unique<StreamingContext>(conf, Milliseconds(500));
    created->checkpoint(checkpoint);
    auto state = created->text_file_stream(input)
                     .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
                     .update_state_by_key([](const std::vector<int64_t>& news, std::optional<int64_t> total) {
                       int64_t sum = total.value_or(0);
                       for (int64_t n : news) sum += n;
                       return std::optional<int64_t>(sum);
                     });
    state.checkpoint(Milliseconds(500));
    state.foreach_rdd([](const RDD<std::pair<std::string, int64_t>>& rdd, Time t) {
      std::cout << "batch " << t.milliseconds() << " keys " << rdd.count() << std::endl;
    });
    return created;
  });
  ssc->start();
  ssc->await_termination();
  return 0;
}

int count_lines_with(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string fixed(double x, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << x;
  return s.str();
}

// Median µs of writing a metadata checkpoint like a running file-stream
// program's (60 batches of file lists, two state checkpoints).
double metadata_checkpoint_write_us(const std::string& dir, int writes) {
  MetadataCheckpoint c;
  c.batch_ms = 1000;
  c.graph_fingerprint = 0x1234;
  c.config = {{"rill.master", "local[2]"}, {"rill.streaming.blockInterval", "200ms"}};
  for (int b = 0; b < 60; ++b)
    c.input_files[0][b * 1000] = {dir + "/in/file-" + std::to_string(b) + "-a", dir + "/in/file-" + std::to_string(b) + "-b"};
  c.state_checkpoints = {{3, 50000}, {5, 50000}};
  std::vector<double> us;
  for (int i = 0; i < writes; ++i) {
    c.time_ms = 1000 * (i + 1);
    auto start = Steady::now();
    write_metadata_checkpoint(dir, c);
    us.push_back(std::chrono::duration<double, std::micro>(Steady::now() - start).count());
  }
  return median(us);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto args = Config::app_arguments(argc, argv);
    if (args.size() == 3 && args[0] == "--child") return run_child(args[1], args[2]);
    int64_t keys = 1000000, runs = 3;
    std::string out;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      if (args[i] == "--keys") keys = parse_int_option(args[i], args[i + 1], 1, 100000000);
      else if (args[i] == "--runs") runs = parse_int_option(args[i], args[i + 1], 1, 100);
      else if (args[i] == "--out") out = args[i + 1];
      else throw ConfigError("unknown option " + args[i]);
    }
    rill::testing::TemporaryDirectory dir;
    const std::string input = dir.path() + "/in", checkpoint = dir.path() + "/checkpoint";
    fs::create_directories(input);
    {
      std::ofstream f(input + "/.keys");
      for (int64_t k = 0; k < keys; ++k) f << "key-" << k << "\n";
    }
    fs::rename(input + "/.keys", input + "/keys");
    const std::string self = fs::read_symlink("/proc/self/exe").string();
    const std::string full = "keys " + std::to_string(keys) + "\n";
    int started = 0;
    auto start = [&] {
      std::string logs = dir.path() + "/run-" + std::to_string(++started);
      fs::create_directories(logs);
      return std::make_unique<ChildProcess>(self, std::vector<std::string>{"--child", input, checkpoint}, logs);
    };
    auto driver = start();
    // Three outputs with every key: the newest metadata checkpoint names a
    // state checkpoint that holds them all.
    if (!driver->wait_for_stdout([&](const std::string& s) { return count_lines_with(s, full) >= 3; },
                                 std::chrono::minutes(5)))
      throw RillError("the driver did not count every key within 5 minutes:\n" + driver->err());
    std::vector<double> restart_ms;
    for (int64_t r = 0; r < runs; ++r) {
      driver->signal(SIGKILL);
      driver->wait_exit(std::chrono::seconds(30));
      auto begin = Steady::now();
      driver = start();
      if (!driver->wait_for_stdout([&](const std::string& s) { return count_lines_with(s, full) >= 1; },
                                   std::chrono::minutes(5)))
        throw RillError("the restarted driver did not complete a batch with every key:\n" + driver->err());
      restart_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - begin).count());
      if (driver->err().find("recovering state from") == std::string::npos)
        throw RillError("the restarted driver did not read its state checkpoint:\n" + driver->err());
      std::cout << "restart " << r + 1 << ": " << fixed(restart_ms.back(), 0) << " ms to the first batch with "
                << keys << " keys" << std::endl;
      // Let it write a checkpoint of its own before the next kill.
      driver->wait_for_stdout([&](const std::string& s) { return count_lines_with(s, full) >= 3; },
                              std::chrono::minutes(5));
    }
    driver->signal(SIGTERM);
    driver->wait_exit(std::chrono::seconds(30));
    const double write_us = metadata_checkpoint_write_us(dir.path() + "/metadata-bench", 200);
    std::ostringstream table;
    table << "| keys of state | restart after kill -9 to first batch, median of " << runs
          << " (ms) | metadata checkpoint write, median of 200 (µs) |\n|---|---|---|\n| " << keys << " | "
          << fixed(median(restart_ms), 0) << " | " << fixed(write_us, 0) << " |\n";
    std::cout << table.str();
    if (!out.empty()) {
      std::ofstream f(out, std::ios::app);
      f << "\n#### Recovery (`rill_bench_recovery --keys " << keys << " --runs " << runs << "`)\n\n" << table.str();
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_bench_recovery: " << e.what() << "\n";
    return 1;
  }
}
