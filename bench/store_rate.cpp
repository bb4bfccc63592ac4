// The cost of Receiver::store(T): one or several threads of a custom receiver
// store N int64 records each as fast as they can into a pipeline that only
// counts them; reported as ns per store() on the storing thread (the time
// from its first to its last store, divided by N), with the in-flight bound
// raised so that only store() itself is measured, not waits for credits.
//
//   rill_bench_store [--records N] [--threads T] [--runs R] [--out RESULTS.md]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include "runtime/rill.hpp"

namespace {

using namespace rill;
using Clock = std::chrono::steady_clock;

class CountingReceiver : public Receiver<int64_t> {
 public:
  CountingReceiver(int threads, int64_t records, std::atomic<int64_t>* ns_total)
      : threads_(threads), records_(records), ns_total_(ns_total) {}
  ~CountingReceiver() override { on_stop(); }
  void on_start() override {
    for (int t = 0; t < threads_; ++t)
      workers_.emplace_back([this] {
        auto start = Clock::now();
        for (int64_t i = 0; i < records_ && !is_stopped(); ++i) store(i);
        ns_total_->fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
      });
  }
  void on_stop() override {
    for (auto& w : workers_)
      if (w.joinable() && w.get_id() != std::this_thread::get_id()) w.join();
    workers_.clear();
  }

 private:
  int threads_;
  int64_t records_;
  std::atomic<int64_t>* ns_total_;
  std::vector<std::thread> workers_;
};

double ns_per_store(int threads, int64_t records) {
  Config conf;
  conf.set_master("local[2]").set("rill.ui.enabled", "false").set("rill.streaming.receiver.maxBytesInFlight", "8g");
  StreamingContext ssc(conf, Milliseconds(200));
  std::atomic<int64_t> ns_total{0}, counted{0};
  ssc.receiver_stream<int64_t>([&] { return std::make_unique<CountingReceiver>(threads, records, &ns_total); })
      .count()
      .foreach_rdd([&](const RDD<int64_t>& r) {
        for (auto n : r.collect()) counted += n;
      });
  ssc.start();
  auto deadline = Clock::now() + std::chrono::minutes(5);
  while (counted.load() < threads * records && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ssc.stop();
  if (counted.load() != threads * records) throw RillError("store bench: records lost or late");
  return static_cast<double>(ns_total.load()) / static_cast<double>(threads * records);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t records = 20000000, runs = 3;
  std::vector<int> thread_counts = {1, 4};
  std::string out;
  try {
    auto args = Config::app_arguments(argc, argv);
    for (size_t i = 0; i < args.size(); i += 2) {
      if (i + 1 >= args.size()) throw ConfigError("option " + args[i] + " needs a value");
      if (args[i] == "--records") records = parse_int_option(args[i], args[i + 1], 1000, 1000000000);
      else if (args[i] == "--threads") thread_counts = {static_cast<int>(parse_int_option(args[i], args[i + 1], 1, 64))};
      else if (args[i] == "--runs") runs = parse_int_option(args[i], args[i + 1], 1, 100);
      else if (args[i] == "--out") out = args[i + 1];
      else throw ConfigError("unknown option " + args[i]);
    }
    std::ostringstream table;
    table << "| storing threads | records per thread | ns per store(T) (median of " << runs
          << ") | M records/s per thread |\n|---|---|---|---|\n";
    for (int threads : thread_counts) {
      std::vector<double> ns;
      for (int64_t r = 0; r < runs; ++r) ns.push_back(ns_per_store(threads, records));
      std::sort(ns.begin(), ns.end());
      double m = ns[ns.size() / 2];
      std::ostringstream row;
      row << "| " << threads << " | " << records << " | " << std::fixed << std::setprecision(1) << m << " | "
          << std::setprecision(1) << 1000.0 / m << " |\n";
      std::cout << row.str() << std::flush;
      table << row.str();
    }
    if (!out.empty()) {
      std::ofstream f(out, std::ios::app);
      f << "\n#### Receiver::store(T) (`rill_bench_store --records " << records << " --runs " << runs << "`)\n\n"
        << table.str();
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_bench_store: " << e.what() << "\n";
    return 1;
  }
}
