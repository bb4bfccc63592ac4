// Runs the hand-written kernels for a while on n threads and reports lines/s.
#pragma once
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/kernels.hpp"
#include "receivers/line_generator.hpp"

namespace rill::bench {

// No syllable of the vocabulary has an x or a y, so the word is rare and
// searching for it is a scan for a rare byte, as in the peers' benchmarks.
inline constexpr std::string_view kRareWord = "xylophone";

inline std::shared_ptr<const LineCorpus> make_corpus(size_t lines) {
  LineGeneratorOptions options;
  options.vocabulary = 10000;
  options.line_bytes = 100;
  options.rare_word = std::string(kRareWord);
  return std::make_shared<const LineCorpus>(options, lines);
}

// Lines per second of `workload` ("grep" or "wordcount") over the corpus, on
// `threads` threads that each loop over their half of it for `seconds`.
inline double limit_rate(const std::string& workload, const LineCorpus& corpus, int threads, double seconds) {
  const auto& lines = corpus.lines();
  std::atomic<int64_t> total{0};
  std::atomic<int64_t> sink{0};
  auto start = std::chrono::steady_clock::now();
  auto until = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      size_t begin = lines.size() * t / threads, end = lines.size() * (t + 1) / threads;
      int64_t done = 0;
      while (std::chrono::steady_clock::now() < until) {
        if (workload == "grep") {
          sink += grep_range(lines, begin, end, kRareWord);
        } else {
          FlatHashMap<std::string_view, int64_t> counts;
          wordcount_range(lines, begin, end, counts);
          sink += static_cast<int64_t>(counts.size());
        }
        done += static_cast<int64_t>(end - begin);
      }
      total += done;
    });
  }
  for (auto& th : pool) th.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(total.load()) / elapsed;
}

}  // namespace rill::bench
