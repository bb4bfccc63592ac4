// The limit program: Grep and WordCount over the benchmark's in-memory
// 100-byte lines in a tight loop on 1 and 2 threads, with no engine.
//   rill_bench_limit [--lines N] [--seconds S]
#include <chrono>
#include <iostream>
#include <thread>

#include "bench/limit_runner.hpp"

int main(int argc, char** argv) {
  size_t lines = 1000000;
  double seconds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--lines") lines = std::stoul(argv[i + 1]);
    else if (k == "--seconds") seconds = std::stod(argv[i + 1]);
  }
  auto corpus = rill::bench::make_corpus(lines);
  for (int threads : {1, 2}) {
    std::cout << "grep      threads=" << threads << " " << rill::bench::limit_rate("grep", *corpus, threads, seconds) / 1e6 << " M lines/s\n";
    std::cout << "wordcount threads=" << threads << " " << rill::bench::limit_rate("wordcount", *corpus, threads, seconds) / 1e6 << " M lines/s\n";
  }
}
