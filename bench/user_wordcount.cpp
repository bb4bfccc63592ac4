// The word count a user writes, measured end to end: from the first byte a
// line server sends over a real TCP socket (or the first store() of an
// in-memory custom receiver) to the batch whose output completes the count.
// Three programs: "istringstream" (the guide's split written with the
// standard library), "split" (the README's: flat_map(rill::split), a
// std::vector<std::string> per line), "views" (as_views() and
// rill::split_words: no allocation per line or word); all count with
// reduce_by_key. Next to each, in the same run, two hand-written limits over
// the same corpus in memory on as many threads: std::unordered_map, and an
// open-addressing table over views. Next to the end-to-end rate, the
// capacity: lines over the batches' processing time, what the partition
// workers sustain on the received data (local[2] / local[1] of it is how well
// one receiver's batches spread over the workers). And where the CPU went:
// the threads' CPU time per million lines, by part (partition workers,
// receiver, line server, the rest), and the ceiling those costs put on the
// end-to-end rate on this machine's cores.
//
//   rill_bench_user_wordcount [--lines N] [--runs R] [--batch-ms MS] [--set key=value ...]
//                             [--local-threads N] [--program istringstream|split|views] [--source tcp|memory]
//                             [--out RESULTS.md]
//   rill_bench_user_wordcount [--lines N] --write-corpus FILE
//
// --write-corpus writes the corpus, one line per line, and runs nothing: the
// same lines for another engine's word count, measured beside Rill's.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "bench/limit_runner.hpp"
#include "bench/line_server.hpp"
#include "bench/thread_cpu.hpp"
#include "runtime/base/thread_name.hpp"
#include "runtime/rill.hpp"

namespace {

using namespace rill;
using bench::Clock;
using bench::LineServer;

// When the memory receiver stored its first line, and its thread's CPU time
// once it has stored the last (the thread ends then, before a snapshot of
// the threads could see it).
struct MemoryReceiverTimes {
  std::atomic<int64_t> first_ns{0};
  std::atomic<int64_t> cpu_ns{-1};  // -1 until the last line is stored
};

// Stores the corpus's lines one record at a time with store(T), as fast as
// it can: a custom receiver over an in-memory source.
class MemoryLineReceiver : public Receiver<std::string> {
 public:
  MemoryLineReceiver(std::shared_ptr<const LineCorpus> corpus, MemoryReceiverTimes* times)
      : corpus_(std::move(corpus)), times_(times) {}
  ~MemoryLineReceiver() override { on_stop(); }
  void on_start() override {
    thread_ = std::thread([this] {
      name_this_thread("memory.rx");
      times_->first_ns.store(Clock::now().time_since_epoch().count());
      for (const auto& line : corpus_->lines()) {
        if (is_stopped()) return;
        store(line);
      }
      timespec cpu{};
      ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu);
      times_->cpu_ns.store(int64_t{cpu.tv_sec} * 1000000000 + cpu.tv_nsec);
    });
  }
  void on_stop() override {
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

 private:
  std::shared_ptr<const LineCorpus> corpus_;
  MemoryReceiverTimes* times_;
  std::thread thread_;
};

struct RunSpec {
  std::string program;  // istringstream | split | views
  std::string source;   // tcp | memory
  std::string master;
  int64_t batch_ms = 1000;
  std::vector<std::string> sets;
  std::string checkpoint_root;  // empty: no checkpointing
};

// Word counts (K = std::string or std::string_view) summed until `expected`.
template <class K>
void count_into(const DStream<std::pair<K, int64_t>>& counts, std::mutex& m, std::condition_variable& cv,
                int64_t& seen, int64_t expected, Clock::time_point& done) {
  counts.foreach_rdd([&m, &cv, &seen, &done, expected](const RDD<std::pair<K, int64_t>>& r) {
    int64_t n = 0;
    for (const auto& kv : r.collect()) n += kv.second;
    std::lock_guard<std::mutex> lock(m);
    seen += n;
    if (seen >= expected) {
      done = Clock::now();
      cv.notify_all();
    }
  });
}

// Lines and processing time of the batches that held any.
struct ProcessingTotals : StreamingListener {
  std::mutex m;
  int64_t lines = 0;
  int64_t processing_ms = 0;
  void on_batch_completed(const BatchInfo& b) override {
    if (b.num_records() == 0 || !b.processing_delay()) return;
    std::lock_guard<std::mutex> lock(m);
    lines += b.num_records();
    processing_ms += *b.processing_delay();
  }
};

struct RillRates {
  double end_to_end = 0;  // lines/s from the first byte to the last output
  double capacity = 0;    // lines/s of processing time
  std::map<std::string, double> cpu_seconds;  // by part: see cpu_part()
};

// The part of a run a thread belongs to (bench::thread_part), except the
// memory receiver's, which reports its own CPU time (MemoryReceiverTimes).
std::string cpu_part(const std::string& thread_name) {
  return thread_name == "memory.rx" ? "reported" : bench::thread_part(thread_name);
}
const char* const kCpuParts[] = {"workers", "receiver", "line server", "other"};

// One of the user's programs, counting words until all `expected` have been
// seen; lines per second from the first byte (first store) to the output
// that completed the count, and per second of processing.
RillRates run_rill(const RunSpec& spec, std::shared_ptr<const LineCorpus> corpus,
                std::shared_ptr<const std::string> text, int64_t lines, int64_t expected) {
  const auto cpu_before = bench::snapshot_thread_cpu();
  std::unique_ptr<LineServer> server;
  if (spec.source == "tcp") server = std::make_unique<LineServer>(text);
  Config conf;
  conf.set_master(spec.master).set_app_name("user-wordcount").set("rill.ui.enabled", "false");
  for (const auto& kv : spec.sets) conf.set(kv.substr(0, kv.find('=')), kv.substr(kv.find('=') + 1));
  StreamingContext ssc(conf, Milliseconds(spec.batch_ms));
  // A fresh checkpoint directory per run: metadata checkpoints after every
  // batch, and the receivers' write-ahead log when --set enables it.
  std::string checkpoint_dir;
  if (!spec.checkpoint_root.empty()) {
    static int run = 0;
    checkpoint_dir = spec.checkpoint_root + "/run-" + std::to_string(::getpid()) + "-" + std::to_string(run++);
    ssc.checkpoint(checkpoint_dir);
  }
  struct RemoveAfter {
    std::string dir;
    ~RemoveAfter() {
      std::error_code ec;
      if (!dir.empty()) std::filesystem::remove_all(dir, ec);
    }
  } remove_after{checkpoint_dir};
  MemoryReceiverTimes memory_receiver;
  DStream<std::string> lines_stream =
      server ? ssc.socket_text_stream("127.0.0.1", server->port())
             : ssc.receiver_stream<std::string>([&] { return std::make_unique<MemoryLineReceiver>(corpus, &memory_receiver); });
  std::mutex m;
  std::condition_variable done_cv;
  int64_t seen = 0;
  Clock::time_point done;
  auto add = [](int64_t a, int64_t b) { return a + b; };
  if (spec.program == "istringstream") {  // the guide's program with the standard library's tools
    auto words = lines_stream.flat_map([](const std::string& line) {
      std::vector<std::string> out;
      std::istringstream in(line);
      for (std::string w; in >> w;) out.push_back(w);
      return out;
    });
    count_into(words.map([](const std::string& w) { return std::make_pair(w, int64_t{1}); }).reduce_by_key(add), m,
               done_cv, seen, expected, done);
  } else if (spec.program == "split") {  // the README's program: line.split(" ") as rill::split
    auto words = lines_stream.flat_map(rill::split);
    count_into(words.map([](const std::string& w) { return std::make_pair(w, int64_t{1}); }).reduce_by_key(add), m,
               done_cv, seen, expected, done);
  } else {  // views: no allocation per line or word
    auto words = lines_stream.as_views().flat_map(rill::split_words);
    count_into(words.map([](std::string_view w) { return std::make_pair(w, int64_t{1}); }).reduce_by_key(add), m,
               done_cv, seen, expected, done);
  }
  auto totals = std::make_shared<ProcessingTotals>();
  ssc.add_streaming_listener(totals);
  ssc.start();
  Clock::time_point first;
  if (server) {
    first = server->first_byte();
  }
  {
    std::unique_lock<std::mutex> lock(m);
    if (!done_cv.wait_for(lock, std::chrono::minutes(5), [&] { return seen >= expected; }))
      throw RillError("user word count: only " + std::to_string(seen) + " of " + std::to_string(expected) +
                      " words within 5 minutes");
  }
  if (!server) first = Clock::time_point(Clock::duration(memory_receiver.first_ns.load()));
  RillRates rates;
  rates.cpu_seconds = bench::cpu_seconds_by_group(cpu_before, bench::snapshot_thread_cpu(), cpu_part);
  if (!server) {  // every line is stored: its thread reports its CPU time as it ends
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (memory_receiver.cpu_ns.load() < 0 && Clock::now() < deadline) std::this_thread::yield();
    rates.cpu_seconds["receiver"] = static_cast<double>(std::max<int64_t>(0, memory_receiver.cpu_ns.load())) / 1e9;
  }
  ssc.stop();
  rates.end_to_end = static_cast<double>(lines) / std::chrono::duration<double>(done - first).count();
  std::lock_guard<std::mutex> lock(totals->m);
  if (totals->processing_ms > 0)
    rates.capacity = static_cast<double>(totals->lines) * 1000.0 / static_cast<double>(totals->processing_ms);
  return rates;
}

// The hand-written limits over the same lines in memory, on `threads`
// threads, merged at the end: std::unordered_map<std::string> (substr per
// word), and the open-addressing table over views.
double run_limit(const std::vector<std::string>& lines, int threads, bool open_addressing) {
  auto start = Clock::now();
  std::vector<std::unordered_map<std::string, int64_t>> maps(threads);
  std::vector<std::unique_ptr<bench::OpenAddressingCounts>> tables(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      size_t begin = lines.size() * t / threads, end = lines.size() * (t + 1) / threads;
      if (open_addressing) {
        tables[t] = std::make_unique<bench::OpenAddressingCounts>(16384);
        for (size_t i = begin; i < end; ++i) bench::for_each_word(lines[i], [&](std::string_view w) { tables[t]->add(w); });
        return;
      }
      auto& counts = maps[t];
      for (size_t i = begin; i < end; ++i) {
        const std::string& line = lines[i];
        size_t p = 0;
        while (p < line.size()) {
          while (p < line.size() && line[p] == ' ') ++p;
          size_t q = p;
          while (q < line.size() && line[q] != ' ') ++q;
          if (q > p) ++counts[line.substr(p, q - p)];
          p = q;
        }
      }
    });
  for (auto& th : pool) th.join();
  if (open_addressing) {
    for (int t = 1; t < threads; ++t) tables[t]->for_each([&](std::string_view w, int64_t n) {
      for (int64_t i = 0; i < n; ++i) tables[0]->add(w);
    });
  } else {
    for (int t = 1; t < threads; ++t)
      for (auto& [w, n] : maps[t]) maps[0][w] += n;
  }
  return static_cast<double>(lines.size()) / std::chrono::duration<double>(Clock::now() - start).count();
}

std::string median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << v[v.size() / 2] / 1e6;
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t lines = 2000000;
  int64_t runs = 3;
  int64_t batch_ms = 1000;
  std::vector<std::string> sets;
  std::string out, checkpoint_root, corpus_file;
  std::vector<int> core_counts = {1, 2};
  std::vector<std::string> programs = {"istringstream", "split", "views"};
  std::vector<std::string> sources = {"tcp", "memory"};
  try {
    auto args = Config::app_arguments(argc, argv);
    auto one_of = [](const std::string& opt, const std::string& v, std::initializer_list<const char*> allowed) {
      for (const char* a : allowed)
        if (v == a) return std::vector<std::string>{v};
      throw ConfigError(opt + " does not take " + v);
    };
    for (size_t i = 0; i < args.size(); i += 2) {
      if (i + 1 >= args.size()) throw ConfigError("option " + args[i] + " needs a value");
      const std::string& v = args[i + 1];
      if (args[i] == "--lines") lines = parse_int_option(args[i], v, 1000, 100000000);
      else if (args[i] == "--runs") runs = parse_int_option(args[i], v, 1, 100);
      else if (args[i] == "--batch-ms") batch_ms = parse_int_option(args[i], v, 10, 60000);
      else if (args[i] == "--set") sets.push_back(v);
      else if (args[i] == "--checkpoint-dir") checkpoint_root = v;
      else if (args[i] == "--out") out = v;
      else if (args[i] == "--write-corpus") corpus_file = v;
      else if (args[i] == "--local-threads") core_counts = {static_cast<int>(parse_int_option(args[i], v, 1, 256))};
      else if (args[i] == "--program") programs = one_of(args[i], v, {"istringstream", "split", "views"});
      else if (args[i] == "--source") sources = one_of(args[i], v, {"tcp", "memory"});
      else throw ConfigError("unknown option " + args[i]);
    }
    auto corpus = bench::make_corpus(static_cast<size_t>(lines));
    if (!corpus_file.empty()) {
      std::ofstream file(corpus_file, std::ios::binary | std::ios::trunc);
      for (const auto& line : corpus->lines()) file << line << '\n';
      file.flush();
      if (!file) throw std::runtime_error("cannot write the corpus to " + corpus_file);
      std::cout << "wrote " << corpus->lines().size() << " lines to " << corpus_file << "\n";
      return 0;
    }
    auto text = std::make_shared<std::string>();
    int64_t words = 0;
    for (const auto& line : corpus->lines()) {
      *text += line;
      *text += '\n';
      for (auto w : rill::split_words(line)) ++words, (void)w;
    }
    std::ostringstream table;
    table << "| program | source | master | Rill end to end M lines/s | Rill capacity M lines/s "
             "| limit: unordered_map M lines/s | ratio | limit: open addressing M lines/s | ratio |\n"
             "|---|---|---|---|---|---|---|---|---|\n";
    // Where the CPU went, per configuration: ms per million lines by part,
    // and the end-to-end rate those costs allow here at best (all cores
    // busy; no part faster than its threads: one receiver thread, one line
    // server thread, `cores` workers).
    const int machine_cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    std::ostringstream cpu_table;
    cpu_table << "| program | source | master | CPU ms per M lines: workers | receiver | line server | other | "
                 "ceiling on " << machine_cores << " cores M lines/s | end to end / ceiling |\n"
                 "|---|---|---|---|---|---|---|---|---|\n";
    std::ostringstream scaling;  // local[n] / local[1], per program and source
    std::pair<double, double> one_thread;  // local[1]'s end to end and capacity medians
    for (const auto& source : sources)
      for (const auto& program : programs)
        for (int cores : core_counts) {
          if (cores == core_counts.front()) one_thread = {0, 0};
          std::vector<double> rill, capacity, limit, limit_oa;
          std::map<std::string, std::vector<double>> cpu_ms_per_m;  // by part
          RunSpec spec{program, source, "local[" + std::to_string(cores) + "]", batch_ms, sets, checkpoint_root};
          for (int64_t r = 0; r < runs; ++r) {
            RillRates rates = run_rill(spec, corpus, text, lines, words);
            rill.push_back(rates.end_to_end);
            capacity.push_back(rates.capacity);
            for (const char* part : kCpuParts)
              cpu_ms_per_m[part].push_back(rates.cpu_seconds[part] * 1e3 / (static_cast<double>(lines) / 1e6));
            limit.push_back(run_limit(corpus->lines(), cores, false));
            limit_oa.push_back(run_limit(corpus->lines(), cores, true));
          }
          auto mid = [](std::vector<double> v) {
            std::sort(v.begin(), v.end());
            return v[v.size() / 2];
          };
          std::ostringstream ratio, ratio_oa;
          ratio << std::fixed << std::setprecision(2) << mid(rill) / mid(limit);
          ratio_oa << std::fixed << std::setprecision(2) << mid(rill) / mid(limit_oa);
          std::string row = "| " + program + " | " + source + " | " + spec.master + " | " + median(rill) + " | " +
                            median(capacity) + " | " + median(limit) + " | " + ratio.str() + " | " + median(limit_oa) +
                            " | " + ratio_oa.str() + " |\n";
          if (cores == 1) {
            one_thread = {mid(rill), mid(capacity)};
          } else if (one_thread.first > 0) {
            scaling << std::fixed << std::setprecision(2) << "- " << program << " over " << source << ": "
                    << spec.master << " / local[1]: end to end " << mid(rill) / one_thread.first << "×, capacity "
                    << mid(capacity) / one_thread.second << "×\n";
          }
          std::cout << row << std::flush;
          table << row;
          std::map<std::string, double> ms;  // medians, per million lines
          double total_ms = 0;
          for (const char* part : kCpuParts) total_ms += ms[part] = mid(cpu_ms_per_m[part]);
          double ceiling = total_ms > 0 ? machine_cores * 1e3 / total_ms : 0;  // M lines/s
          if (ms["workers"] > 0) ceiling = std::min(ceiling, cores * 1e3 / ms["workers"]);
          if (ms["receiver"] > 0) ceiling = std::min(ceiling, 1e3 / ms["receiver"]);
          if (ms["line server"] > 0) ceiling = std::min(ceiling, 1e3 / ms["line server"]);
          std::ostringstream cpu_row;
          cpu_row << std::fixed << std::setprecision(0) << "| " << program << " | " << source << " | " << spec.master;
          for (const char* part : kCpuParts) cpu_row << " | " << ms[part];
          cpu_row << std::setprecision(2) << " | " << ceiling << " | " << (ceiling > 0 ? mid(rill) / 1e6 / ceiling : 0)
                  << " |\n";
          std::cout << cpu_row.str() << std::flush;
          cpu_table << cpu_row.str();
        }
    std::cout << scaling.str();
    table << "\n" << cpu_table.str() << "\n" << scaling.str();
    if (!out.empty()) {
      std::ofstream f(out, std::ios::app);
      f << "\n#### The user's word count, end to end (`rill_bench_user_wordcount --lines " << lines << " --runs " << runs
        << " --batch-ms " << batch_ms;
      for (const auto& kv : sets) f << " --set " << kv;
      if (!checkpoint_root.empty()) f << " --checkpoint-dir " << checkpoint_root;
      f << "`; medians)\n\n" << table.str();
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_bench_user_wordcount: " << e.what() << "\n";
    return 1;
  }
}
