// The guide's word count as a user writes it, for tests that run it in
// several processes (--master local-cluster[w,c], rill://host:port, or
// --worker --driver host:port) and compare with a local run.
//
//   rill_test_wordcount --socket PORT [--socket PORT ...] [--window-batches N] [--state CHECKPOINT_DIR]
//                       [--checkpoint-batches N] [--tracked 1] [--window-inverse N]
//                       [--partition-pids 1] [--reshuffle 1] [--master M] [--conf k=v ...]
//
// Several --socket: one socket stream (and receiver) per port, unioned. The
// driver prints "receiver started NAME at LOCATION" for each receiver that
// started (the listener's ReceiverInfo).
// Per batch it prints "records T N" (the words counted in batch T); once
// await_termination() has returned, "total WORD N" for every word, sorted,
// summed over the batches' reduce_by_key outputs. With --window-batches N it
// also prints, per batch, "window T WORD N" from reduce_by_key_and_window
// over the last N batches (no inverse function). With --state it keeps
// running counts with update_state_by_key and prints, per batch, "state T
// WORD N" for every word, checkpointed every N batches with
// --checkpoint-batches N (default: Spark's, 10 s). With --state and
// --tracked 1 it also keeps them with map_with_state and prints its state
// snapshots, "tracked T WORD N"; with --state and --window-inverse N, "winv T
// WORD N" from reduce_by_key_and_window with an inverse over the last N
// batches (both checkpointed as the state). With --partition-pids 1, foreach_partition prints
// "partition T P pid PID" for every non-empty partition of the counts, from
// the process it ran in. With --reshuffle 1 the counts go through a second
// reduce_by_key (the same counts, one more shuffle).
//
// A process started with RILL_TEST_DIE_WHEN=FILE in its environment kills
// itself with SIGKILL in the middle of a reduce task (while computing a word's
// count) once FILE exists: the tests' way to lose a worker at a known point.
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include <algorithm>
#include <iostream>
#include <map>
#include <mutex>

#include "runtime/rill.hpp"

namespace {
class ReceiverPrinter : public rill::StreamingListener {
 public:
  void on_receiver_started(const rill::ReceiverInfo& info) override {
    std::cout << "receiver started " << info.name << " at " << info.location << std::endl;
  }
};
}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = rill::Config::from_args(argc, argv);
    auto args = rill::Config::app_arguments(argc, argv);
    std::vector<uint16_t> ports;
    int64_t window = 0, partition_pids = 0, reshuffle = 0, checkpoint_batches = 0, tracked = 0, window_inverse = 0;
    std::string state_dir;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      if (args[i] == "--state") {
        state_dir = args[i + 1];
        continue;
      }
      int64_t n = rill::parse_int_option(args[i], args[i + 1], 1, 65535);
      if (args[i] == "--socket")
        ports.push_back(static_cast<uint16_t>(n));
      else if (args[i] == "--window-batches")
        window = n;
      else if (args[i] == "--partition-pids")
        partition_pids = n;
      else if (args[i] == "--reshuffle")
        reshuffle = n;
      else if (args[i] == "--checkpoint-batches")
        checkpoint_batches = n;
      else if (args[i] == "--tracked")
        tracked = n;
      else if (args[i] == "--window-inverse")
        window_inverse = n;
      else
        throw rill::ConfigError("unknown option " + args[i]);
    }
    if (ports.empty()) throw rill::ConfigError("--socket PORT is required");
    const rill::Duration batch = rill::Milliseconds(200);
    rill::StreamingContext ssc(conf, batch);
    auto lines = ssc.socket_text_stream("127.0.0.1", ports[0]);
    for (size_t k = 1; k < ports.size(); ++k) lines = lines.union_with(ssc.socket_text_stream("127.0.0.1", ports[k]));
    ssc.add_streaming_listener(std::make_shared<ReceiverPrinter>());
    auto pairs = lines.flat_map([](const std::string& line) { return rill::split(line, ' '); })
                     .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); });
    auto sum = [](int64_t a, int64_t b) { return a + b; };
    auto counts = pairs.reduce_by_key(sum);
    // A second shuffle whose map tasks read the first's reduce partitions:
    // they need no input bytes, so each worker runs one of them.
    if (reshuffle > 0) counts = counts.reduce_by_key(sum);
    const char* die_when = std::getenv("RILL_TEST_DIE_WHEN");
    counts = counts.map([die_when](const std::pair<std::string, int64_t>& count) {
      struct stat st;
      if (die_when && ::stat(die_when, &st) == 0) ::raise(SIGKILL);
      return count;
    });
    auto mutex = std::make_shared<std::mutex>();
    auto totals = std::make_shared<std::map<std::string, int64_t>>();
    counts.foreach_rdd([mutex, totals](const rill::RDD<std::pair<std::string, int64_t>>& rdd, rill::Time t) {
      int64_t records = 0;
      auto batch_counts = rdd.collect();
      std::lock_guard<std::mutex> lock(*mutex);
      for (const auto& [w, n] : batch_counts) {
        (*totals)[w] += n;
        records += n;
      }
      std::cout << "records " << t.milliseconds() << " " << records << std::endl;
    });
    if (partition_pids > 0)
      counts.foreach_partition([](int p, const std::vector<std::pair<std::string, int64_t>>& records, rill::Time t) {
        if (records.empty()) return;
        std::string line = "partition " + std::to_string(t.milliseconds()) + " " + std::to_string(p) + " pid " +
                           std::to_string(::getpid()) + "\n";
        std::cout << line << std::flush;
      });
    if (window > 0) {
      auto windowed = pairs.reduce_by_key_and_window([](int64_t a, int64_t b) { return a + b; }, batch * window, batch);
      windowed.foreach_rdd([mutex](const rill::RDD<std::pair<std::string, int64_t>>& rdd, rill::Time t) {
        auto records = rdd.collect();
        std::sort(records.begin(), records.end());
        std::lock_guard<std::mutex> lock(*mutex);
        for (const auto& [w, n] : records) std::cout << "window " << t.milliseconds() << " " << w << " " << n << "\n";
        std::cout << std::flush;
      });
    }
    if (!state_dir.empty()) {
      ssc.checkpoint(state_dir);
      auto running = pairs.update_state_by_key([](const std::vector<int64_t>& values, const std::optional<int64_t>& s) {
        int64_t n = s.value_or(0);
        for (int64_t v : values) n += v;
        return std::optional<int64_t>(n);
      });
      if (checkpoint_batches > 0) running.checkpoint(batch * checkpoint_batches);
      auto print_each_batch = [mutex](const rill::DStream<std::pair<std::string, int64_t>>& stream,
                                      const std::string& label) {
        stream.foreach_rdd([mutex, label](const rill::RDD<std::pair<std::string, int64_t>>& rdd, rill::Time t) {
          auto records = rdd.collect();
          std::sort(records.begin(), records.end());
          std::lock_guard<std::mutex> lock(*mutex);
          for (const auto& [w, n] : records) std::cout << label << " " << t.milliseconds() << " " << w << " " << n << "\n";
          std::cout << std::flush;
        });
      };
      print_each_batch(running, "state");
      if (tracked > 0) {
        using Spec = rill::StateSpec<std::string, int64_t, int64_t, int64_t>;
        auto counted = pairs.map_with_state(
            Spec::function([](const std::string&, std::optional<int64_t> v, rill::State<int64_t>& s) {
              const int64_t n = s.get_option().value_or(0) + v.value_or(0);
              s.update(n);
              return n;
            }));
        if (checkpoint_batches > 0) counted.checkpoint(batch * checkpoint_batches);
        print_each_batch(counted.state_snapshots(), "tracked");
      }
      if (window_inverse > 0) {
        auto windowed = pairs.reduce_by_key_and_window(sum, [](int64_t a, int64_t b) { return a - b; },
                                                       batch * window_inverse, batch);
        if (checkpoint_batches > 0) windowed.checkpoint(batch * checkpoint_batches);
        print_each_batch(windowed, "winv");
      }
    }
    ssc.start();
    ssc.await_termination();
    std::lock_guard<std::mutex> lock(*mutex);
    for (const auto& [w, n] : *totals) std::cout << "total " << w << " " << n << "\n";
    std::cout << "done" << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_test_wordcount: " << e.what() << "\n";
    return 1;
  }
}
