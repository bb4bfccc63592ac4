// The word count a user writes (the guide's quick example, as in the README:
// lines split into std::vector<std::string> with istringstream, pairs counted
// with reduce_by_key), over a real TCP socket, measured end to end: from the
// first byte a line server sends to the batch whose output completes the
// count. Next to it, in the same run, the hand-written limit: the same corpus
// counted in memory with std::unordered_map on the same number of threads.
//
//   rill_bench_user_wordcount [--lines N] [--runs R] [--set key=value ...] [--out RESULTS.md]
//                             [--cores N] [--settings defaults|maxBytesInFlight=8g]
//
// Runs local[1] and local[2], at the default settings and with the
// in-flight bound raised to 8g (the default bound caps one receiver at about
// 64 MiB per batch interval).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "bench/limit_runner.hpp"
#include "runtime/rill.hpp"

namespace {

using namespace rill;
using Clock = std::chrono::steady_clock;

// Serves `text` once to the first client, as fast as the socket takes it.
class LineServer {
 public:
  explicit LineServer(std::shared_ptr<const std::string> text) : text_(std::move(text)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 1) != 0)
      throw RillError("line server: cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LineServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  // When the first byte was sent.
  Clock::time_point first_byte() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return started_; });
    return first_;
  }

 private:
  void serve() {
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      first_ = Clock::now();
      started_ = true;
    }
    cv_.notify_all();
    size_t done = 0;
    while (done < text_->size()) {
      ssize_t n = ::send(client, text_->data() + done, std::min<size_t>(1 << 20, text_->size() - done), MSG_NOSIGNAL);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    // Keep the connection open: a closed one would make the receiver restart.
    char byte;
    while (::recv(client, &byte, 1, 0) > 0) {
    }
    ::close(client);
  }

  std::shared_ptr<const std::string> text_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool started_ = false;
  Clock::time_point first_;
};

// The README's program, counting words until all `expected` have been seen.
double run_rill(const std::string& master, const std::vector<std::string>& sets,
                std::shared_ptr<const std::string> text, int64_t lines, int64_t expected) {
  LineServer server(text);
  Config conf;
  conf.set_master(master).set_app_name("user-wordcount").set("rill.ui.enabled", "false");
  for (const auto& kv : sets) conf.set(kv.substr(0, kv.find('=')), kv.substr(kv.find('=') + 1));
  StreamingContext ssc(conf, Seconds(1));
  auto words = ssc.socket_text_stream("127.0.0.1", server.port()).flat_map([](const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  });
  auto counts = words.map([](const std::string& w) { return std::make_pair(w, int64_t{1}); })
                    .reduce_by_key([](int64_t a, int64_t b) { return a + b; });
  std::mutex m;
  std::condition_variable done_cv;
  int64_t seen = 0;
  Clock::time_point done;
  counts.foreach_rdd([&](const RDD<std::pair<std::string, int64_t>>& r) {
    int64_t n = 0;
    for (const auto& kv : r.collect()) n += kv.second;
    std::lock_guard<std::mutex> lock(m);
    seen += n;
    if (seen >= expected) {
      done = Clock::now();
      done_cv.notify_all();
    }
  });
  ssc.start();
  auto first = server.first_byte();
  {
    std::unique_lock<std::mutex> lock(m);
    if (!done_cv.wait_for(lock, std::chrono::minutes(5), [&] { return seen >= expected; }))
      throw RillError("user word count: only " + std::to_string(seen) + " of " + std::to_string(expected) +
                      " words within 5 minutes");
  }
  ssc.stop();
  return static_cast<double>(lines) / std::chrono::duration<double>(done - first).count();
}

// The hand-written limit: std::unordered_map word count on `threads` threads
// over the same lines in memory, merged at the end.
double run_limit(const std::vector<std::string>& lines, int threads) {
  auto start = Clock::now();
  std::vector<std::unordered_map<std::string, int64_t>> maps(threads);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      auto& counts = maps[t];
      size_t begin = lines.size() * t / threads, end = lines.size() * (t + 1) / threads;
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
  for (int t = 1; t < threads; ++t)
    for (auto& [w, n] : maps[t]) maps[0][w] += n;
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
  std::vector<std::string> sets;
  std::string out;
  std::vector<int> core_counts = {1, 2};
  std::vector<std::string> settings_list = {"defaults", "maxBytesInFlight=8g"};
  try {
    auto args = Config::app_arguments(argc, argv);
    for (size_t i = 0; i < args.size(); i += 2) {
      if (i + 1 >= args.size()) throw ConfigError("option " + args[i] + " needs a value");
      if (args[i] == "--lines") lines = parse_int_option(args[i], args[i + 1], 1000, 100000000);
      else if (args[i] == "--runs") runs = parse_int_option(args[i], args[i + 1], 1, 100);
      else if (args[i] == "--set") sets.push_back(args[i + 1]);
      else if (args[i] == "--out") out = args[i + 1];
      else if (args[i] == "--cores") core_counts = {static_cast<int>(parse_int_option(args[i], args[i + 1], 1, 256))};
      else if (args[i] == "--settings") {
        if (args[i + 1] != "defaults" && args[i + 1] != "maxBytesInFlight=8g")
          throw ConfigError("--settings takes defaults or maxBytesInFlight=8g, not " + args[i + 1]);
        settings_list = {args[i + 1]};
      }
      else throw ConfigError("unknown option " + args[i]);
    }
    auto corpus = bench::make_corpus(static_cast<size_t>(lines));
    auto text = std::make_shared<std::string>();
    int64_t words = 0;
    for (const auto& line : corpus->lines()) {
      *text += line;
      *text += '\n';
      std::istringstream in(line);
      for (std::string w; in >> w;) ++words;
    }
    std::ostringstream table;
    table << "| settings | master | Rill end to end M lines/s (median of " << runs
          << ") | limit: unordered_map, same threads, M lines/s | ratio |\n|---|---|---|---|---|\n";
    for (const std::string& settings : settings_list) {
      for (int cores : core_counts) {
        std::vector<double> rill, limit;
        auto run_sets = sets;
        if (settings != "defaults") run_sets.push_back("rill.streaming.receiver.maxBytesInFlight=8g");
        for (int64_t r = 0; r < runs; ++r) {
          rill.push_back(run_rill("local[" + std::to_string(cores) + "]", run_sets, text, lines, words));
          limit.push_back(run_limit(corpus->lines(), cores));
        }
        std::sort(rill.begin(), rill.end());
        std::sort(limit.begin(), limit.end());
        std::ostringstream ratio;
        ratio << std::fixed << std::setprecision(2) << rill[rill.size() / 2] / limit[limit.size() / 2];
        std::string row = "| " + settings + " | local[" + std::to_string(cores) + "] | " + median(rill) + " | " +
                          median(limit) + " | " + ratio.str() + " |\n";
        std::cout << row << std::flush;
        table << row;
      }
    }
    if (!out.empty()) {
      std::ofstream f(out, std::ios::app);
      f << "\n#### The user's word count over TCP, end to end (`rill_bench_user_wordcount --lines " << lines
        << " --runs " << runs << "`)\n\n"
        << table.str();
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "rill_bench_user_wordcount: " << e.what() << "\n";
    return 1;
  }
}
