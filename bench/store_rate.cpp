// The cost of Receiver::store(T): one or several threads of a custom receiver
// store N records each as fast as they can into a pipeline that only counts
// them; reported as ns per store() on the storing thread (the time from its
// first to its last store, divided by N), with the in-flight bound raised so
// that only store() itself is measured, not waits for credits. Records:
// int64 (--record int64), 100-byte lines into a Receiver<std::string>
// (--record line: kept as text), or 100-byte strings that are not lines (a
// '\r' at the end: --record string, kept as one std::string per record, as
// every string was before lines became text). With --vector V each call is
// a reliable store(std::vector<T>) of V records instead (each its own block,
// stored and reported before the call returns), and the figure is ns per
// record.
//
//   rill_bench_store [--records N] [--threads T] [--runs R] [--record int64|line|string]
//                    [--vector V] [--out RESULTS.md]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/rill.hpp"

namespace {

using namespace rill;
using Clock = std::chrono::steady_clock;

// Record i of a run: the number itself, or one of 1024 100-byte strings
// (stored by const reference, as a receiver passes what it read).
template <class T>
struct RecordSource;
template <>
struct RecordSource<int64_t> {
  explicit RecordSource(bool) {}
  int64_t operator()(int64_t i) const { return i; }
};
template <>
struct RecordSource<std::string> {
  explicit RecordSource(bool lines) {
    for (int k = 0; k < 1024; ++k) {
      std::string s = "record " + std::to_string(k) + " ";
      s.resize(lines ? 100 : 99, 'x');
      if (!lines) s.push_back('\r');
      strings.push_back(std::move(s));
    }
  }
  const std::string& operator()(int64_t i) const { return strings[static_cast<size_t>(i) & 1023]; }
  std::vector<std::string> strings;
};

template <class T>
class CountingReceiver : public Receiver<T> {
 public:
  CountingReceiver(int threads, int64_t records, bool lines, int64_t vector, std::atomic<int64_t>* ns_total)
      : threads_(threads), records_(records), vector_(vector), source_(lines), ns_total_(ns_total) {}
  ~CountingReceiver() override { on_stop(); }
  void on_start() override {
    for (int t = 0; t < threads_; ++t)
      workers_.emplace_back([this] {
        auto start = Clock::now();
        if (vector_ > 0) {
          for (int64_t i = 0; i < records_ && !this->is_stopped(); i += vector_) {
            std::vector<T> batch;
            batch.reserve(static_cast<size_t>(std::min(vector_, records_ - i)));
            for (int64_t k = i; k < i + vector_ && k < records_; ++k) batch.push_back(source_(k));
            this->store(std::move(batch));
          }
        } else {
          for (int64_t i = 0; i < records_ && !this->is_stopped(); ++i) this->store(source_(i));
        }
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
  int64_t vector_;  // > 0: reliable stores of this many records
  RecordSource<T> source_;
  std::atomic<int64_t>* ns_total_;
  std::vector<std::thread> workers_;
};

template <class T>
double ns_per_store(int threads, int64_t records, bool lines, int64_t vector) {
  Config conf;
  conf.set_master("local[2]").set("rill.ui.enabled", "false").set("rill.streaming.receiver.maxBytesInFlight", "8g");
  StreamingContext ssc(conf, Milliseconds(200));
  std::atomic<int64_t> ns_total{0}, counted{0};
  ssc.receiver_stream<T>([&] { return std::make_unique<CountingReceiver<T>>(threads, records, lines, vector, &ns_total); })
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
  int64_t records = 20000000, runs = 3, vector = 0;
  std::vector<int> thread_counts = {1, 4};
  std::string out, record = "int64";
  try {
    auto args = Config::app_arguments(argc, argv);
    for (size_t i = 0; i < args.size(); i += 2) {
      if (i + 1 >= args.size()) throw ConfigError("option " + args[i] + " needs a value");
      if (args[i] == "--records") records = parse_int_option(args[i], args[i + 1], 1000, 1000000000);
      else if (args[i] == "--threads") thread_counts = {static_cast<int>(parse_int_option(args[i], args[i + 1], 1, 64))};
      else if (args[i] == "--runs") runs = parse_int_option(args[i], args[i + 1], 1, 100);
      else if (args[i] == "--out") out = args[i + 1];
      else if (args[i] == "--record") record = args[i + 1];
      else if (args[i] == "--vector") vector = parse_int_option(args[i], args[i + 1], 1, 100000000);
      else throw ConfigError("unknown option " + args[i]);
    }
    if (record != "int64" && record != "line" && record != "string")
      throw ConfigError("--record must be int64, line or string, not " + record);
    std::ostringstream table;
    const std::string per = vector > 0 ? "ns per record, store(vector of " + std::to_string(vector) + ")" : "ns per store(T)";
    table << "| storing threads | records per thread | " << per << " (median of " << runs
          << ") | M records/s per thread |\n|---|---|---|---|\n";
    for (int threads : thread_counts) {
      std::vector<double> ns;
      for (int64_t r = 0; r < runs; ++r)
        ns.push_back(record == "int64" ? ns_per_store<int64_t>(threads, records, false, vector)
                                       : ns_per_store<std::string>(threads, records, record == "line", vector));
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
      f << "\n#### Receiver::store (`rill_bench_store --records " << records << " --runs " << runs
        << " --record " << record << (vector > 0 ? " --vector " + std::to_string(vector) : std::string()) << "`)\n\n"
        << table.str();
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_bench_store: " << e.what() << "\n";
    return 1;
  }
}
