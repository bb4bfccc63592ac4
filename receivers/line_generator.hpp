// The built-in line source, for demos and benchmarks: lines of random words
// drawn from a fixed vocabulary, at a configured rate, with no outside system.
//
// LineCorpus pre-generates lines in memory; LineGeneratorReceiver emits owned
// std::string lines (what a socket receiver produces); CorpusViewReceiver
// emits std::string_view records pointing into a shared corpus (the record
// representation of in-memory benchmarks, which must outlive the stream).
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "receivers/receiver.hpp"

namespace rill {

struct LineGeneratorOptions {
  int64_t rate = 10;          // lines per second; 0 = as fast as the pipeline takes them
  int vocabulary = 1000;      // distinct words
  int line_bytes = 100;       // approximate line length
  uint64_t seed = 42;
  int64_t limit = 0;          // stop after this many lines; 0 = no limit
  std::string rare_word = "";  // if set, put this word in about one line in 10,000
};

// Deterministic lines for a given options' vocabulary, line size and seed.
class LineCorpus {
 public:
  LineCorpus(const LineGeneratorOptions& options, size_t lines);
  const std::vector<std::string>& lines() const { return lines_; }
  static std::vector<std::string> make_vocabulary(int size, uint64_t seed);
  static std::string make_line(const std::vector<std::string>& vocabulary, int line_bytes,
                               uint64_t& state);

 private:
  std::vector<std::string> lines_;
};

class LineGeneratorReceiver : public Receiver<std::string> {
 public:
  explicit LineGeneratorReceiver(LineGeneratorOptions options);
  ~LineGeneratorReceiver() override;
  void on_start() override;
  void on_stop() override;

 private:
  void run();
  LineGeneratorOptions options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

class CorpusViewReceiver : public Receiver<std::string_view> {
 public:
  // Emits the corpus's lines round and round, `rate` lines/s (0 = unlimited),
  // `limit` lines in all (0 = no limit).
  CorpusViewReceiver(std::shared_ptr<const LineCorpus> corpus, int64_t rate, int64_t limit);
  ~CorpusViewReceiver() override;
  void on_start() override;
  void on_stop() override;

 private:
  void run();
  std::shared_ptr<const LineCorpus> corpus_;
  int64_t rate_;
  int64_t limit_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace rill
