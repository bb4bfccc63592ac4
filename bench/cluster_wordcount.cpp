// The README's word count (rill::split, reduce_by_key) over a real socket,
// run as a driver with workers: local[2] against local-cluster[2,1] on the
// same machine. One configuration per process, because local-cluster starts
// its workers from this executable with the same arguments.
//
//   rill_bench_cluster_wordcount --port P [--lines N] [--batch-ms MS] [--state DIR] [--replicas 1|2] --master M
//
// --replicas: the socket receiver's storage level, memory_and_disk_ser_2 (2,
// the default: each block copied to a second worker) or memory_and_disk_ser.
// With --state, the counts also feed update_state_by_key (running totals,
// checkpointed under DIR), whose partitions stay on the workers in a cluster.
//
// The driver serves N generated lines on 127.0.0.1:P (a worker only builds
// the same graph) and prints one line:
//   RESULT master=M lines=N lines_per_s=X p50_ms=A p99_ms=B batches=K
// end to end (first byte to the output that completed the count), with the
// percentiles of the batches' total delay. The driver's log line
// "cluster: ... bytes ..." gives the bytes exchanged with the workers.
#include <algorithm>
#include <condition_variable>
#include <iostream>
#include <mutex>

#include "bench/limit_runner.hpp"
#include "bench/line_server.hpp"
#include "runtime/rill.hpp"

using namespace rill;

namespace {

class DelayRecorder : public StreamingListener {
 public:
  void on_batch_completed(const BatchInfo& info) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (info.num_records() > 0 && info.total_delay()) delays_.push_back(*info.total_delay());
  }
  std::vector<int64_t> delays() {
    std::lock_guard<std::mutex> lock(mutex_);
    auto d = delays_;
    std::sort(d.begin(), d.end());
    return d;
  }

 private:
  std::mutex mutex_;
  std::vector<int64_t> delays_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    auto conf = Config::from_args(argc, argv);
    conf.set_app_name("cluster-wordcount").set("rill.ui.enabled", "false");
    auto args = Config::app_arguments(argc, argv);
    int64_t lines = 2000000, batch_ms = 200, port = 0, replicas = 2;
    std::string state_dir;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      if (args[i] == "--lines") lines = parse_int_option(args[i], args[i + 1], 1000, 100000000);
      else if (args[i] == "--batch-ms") batch_ms = parse_int_option(args[i], args[i + 1], 10, 60000);
      else if (args[i] == "--port") port = parse_int_option(args[i], args[i + 1], 1, 65535);
      else if (args[i] == "--state") state_dir = args[i + 1];
      else if (args[i] == "--replicas") replicas = parse_int_option(args[i], args[i + 1], 1, 2);
      else throw ConfigError("unknown option " + args[i]);
    }
    if (port == 0) throw ConfigError("--port P is required (the same for the driver and its workers)");
    std::unique_ptr<bench::LineServer> server;
    int64_t words = 0;
    if (!conf.is_worker()) {
      auto corpus = bench::make_corpus(static_cast<size_t>(lines));
      auto text = std::make_shared<std::string>();
      for (const auto& line : corpus->lines()) {
        *text += line;
        *text += '\n';
        words += static_cast<int64_t>(split(line).size());
      }
      server = std::make_unique<bench::LineServer>(text, static_cast<uint16_t>(port));
    }
    StreamingContext ssc(conf, Milliseconds(batch_ms));
    auto delays = std::make_shared<DelayRecorder>();
    std::mutex m;
    std::condition_variable done_cv;
    int64_t seen = 0;
    bench::Clock::time_point done;
    auto counts = ssc.socket_text_stream("127.0.0.1", static_cast<uint16_t>(port),
                                         replicas == 2 ? StorageLevel::memory_and_disk_ser_2
                                                       : StorageLevel::memory_and_disk_ser)
                      .flat_map(rill::split)
                      .map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
                      .reduce_by_key([](int64_t a, int64_t b) { return a + b; });
    counts.foreach_rdd([&](const RDD<std::pair<std::string, int64_t>>& r) {
      int64_t n = 0;
      for (const auto& kv : r.collect()) n += kv.second;
      std::lock_guard<std::mutex> lock(m);
      seen += n;
      if (seen >= words) {
        done = bench::Clock::now();
        done_cv.notify_all();
      }
    });
    if (!state_dir.empty()) {
      ssc.checkpoint(state_dir);
      counts
          .update_state_by_key([](const std::vector<int64_t>& vs, const std::optional<int64_t>& s) {
            int64_t n = s.value_or(0);
            for (int64_t v : vs) n += v;
            return std::optional<int64_t>(n);
          })
          .foreach_partition([](int, const std::vector<std::pair<std::string, int64_t>>&, Time) {});
    }
    if (!conf.is_worker()) ssc.add_streaming_listener(delays);
    ssc.start();  // on a worker: serves the driver, then exits
    auto first = server->first_byte();
    {
      std::unique_lock<std::mutex> lock(m);
      if (!done_cv.wait_for(lock, std::chrono::minutes(5), [&] { return seen >= words; }))
        throw RillError("only " + std::to_string(seen) + " of " + std::to_string(words) + " words within 5 minutes");
    }
    ssc.stop();
    auto d = delays->delays();
    auto pct = [&](double q) { return d.empty() ? 0 : d[std::min(d.size() - 1, static_cast<size_t>(q * d.size()))]; };
    std::cout << "RESULT master=" << conf.master() << " lines=" << lines << " lines_per_s="
              << static_cast<int64_t>(static_cast<double>(lines) / std::chrono::duration<double>(done - first).count())
              << " p50_ms=" << pct(0.5) << " p99_ms=" << pct(0.99) << " batches=" << d.size() << std::endl;
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_bench_cluster_wordcount: " << e.what() << "\n";
    return 1;
  }
}
