#include "receivers/line_generator.hpp"

#include <chrono>

#include "runtime/base/thread_name.hpp"

namespace rill {
namespace {
uint64_t next_random(uint64_t& s) {  // splitmix64
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Paces a producer at `rate` items/s (0 = unpaced) by sleeping until each
// chunk is due.
class Pacer {
 public:
  explicit Pacer(int64_t rate) : rate_(rate), start_(std::chrono::steady_clock::now()) {}
  void wait_for(int64_t produced) const {
    if (rate_ <= 0) return;
    auto due = start_ + std::chrono::microseconds(produced * 1000000 / rate_);
    std::this_thread::sleep_until(due);
  }
  int64_t chunk() const { return rate_ <= 0 ? 4096 : std::max<int64_t>(1, std::min<int64_t>(4096, rate_ / 100)); }

 private:
  int64_t rate_;
  std::chrono::steady_clock::time_point start_;
};
}  // namespace

std::vector<std::string> LineCorpus::make_vocabulary(int size, uint64_t seed) {
  static const char* syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa",
                                    "do", "fi", "gu", "ha", "je", "bo"};
  std::vector<std::string> words;
  uint64_t s = seed;
  for (int i = 0; i < size; ++i) {
    std::string w;
    int n = 2 + static_cast<int>(next_random(s) % 3);
    for (int k = 0; k < n; ++k) w += syllables[next_random(s) % 16];
    w += std::to_string(i);  // keeps words distinct
    words.push_back(std::move(w));
  }
  return words;
}

std::string LineCorpus::make_line(const std::vector<std::string>& vocabulary, int line_bytes,
                                  uint64_t& state) {
  std::string line;
  line.reserve(line_bytes + 16);
  while (static_cast<int>(line.size()) < line_bytes) {
    if (!line.empty()) line += ' ';
    line += vocabulary[next_random(state) % vocabulary.size()];
  }
  return line;
}

LineCorpus::LineCorpus(const LineGeneratorOptions& options, size_t lines) {
  auto vocabulary = make_vocabulary(options.vocabulary, options.seed);
  uint64_t state = options.seed * 31 + 7;
  lines_.reserve(lines);
  for (size_t i = 0; i < lines; ++i) {
    std::string line = make_line(vocabulary, options.line_bytes, state);
    if (!options.rare_word.empty() && next_random(state) % 10000 == 0)
      line = options.rare_word + " " + line.substr(0, line.size() - std::min(line.size(), options.rare_word.size() + 1));
    lines_.push_back(std::move(line));
  }
}

LineGeneratorReceiver::LineGeneratorReceiver(LineGeneratorOptions options)
    : Receiver<std::string>(StorageLevel::memory_only), options_(std::move(options)) {}

LineGeneratorReceiver::~LineGeneratorReceiver() { on_stop(); }

void LineGeneratorReceiver::on_start() {
  if (thread_.joinable()) thread_.join();  // the previous run, ended by restart()
  stopping_ = false;
  thread_ = std::thread([this] {
    name_this_thread("rill.linegen.rx");
    run();
  });
}

void LineGeneratorReceiver::on_stop() {
  stopping_ = true;
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void LineGeneratorReceiver::run() {
  auto vocabulary = LineCorpus::make_vocabulary(options_.vocabulary, options_.seed);
  uint64_t state = options_.seed * 31 + 7;
  Pacer pacer(options_.rate);
  int64_t produced = 0;
  while (!stopping_ && !is_stopped() && (options_.limit == 0 || produced < options_.limit)) {
    int64_t n = pacer.chunk();
    if (options_.limit) n = std::min(n, options_.limit - produced);
    std::vector<std::string> lines;
    lines.reserve(n);
    for (int64_t i = 0; i < n; ++i) lines.push_back(LineCorpus::make_line(vocabulary, options_.line_bytes, state));
    store_buffered(std::move(lines));
    produced += n;
    pacer.wait_for(produced);
  }
}

CorpusViewReceiver::CorpusViewReceiver(std::shared_ptr<const LineCorpus> corpus, int64_t rate,
                                       int64_t limit)
    : Receiver<std::string_view>(StorageLevel::memory_only),
      corpus_(std::move(corpus)), rate_(rate), limit_(limit) {}

CorpusViewReceiver::~CorpusViewReceiver() { on_stop(); }

void CorpusViewReceiver::on_start() {
  if (thread_.joinable()) thread_.join();  // the previous run, ended by restart()
  stopping_ = false;
  thread_ = std::thread([this] {
    name_this_thread("rill.corpus.rx");
    run();
  });
}

void CorpusViewReceiver::on_stop() {
  stopping_ = true;
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CorpusViewReceiver::run() {
  const auto& lines = corpus_->lines();
  Pacer pacer(rate_);
  int64_t produced = 0;
  size_t next = 0;
  const int64_t chunk = pacer.chunk();  // chunks stay below malloc's mmap threshold
  while (!stopping_ && !is_stopped() && (limit_ == 0 || produced < limit_)) {
    int64_t n = chunk;
    if (limit_) n = std::min(n, limit_ - produced);
    std::vector<std::string_view> views;
    views.reserve(n);
    for (int64_t i = 0; i < n; ++i) {
      views.emplace_back(lines[next]);
      if (++next == lines.size()) next = 0;
    }
    store_buffered(std::move(views));
    produced += n;
    pacer.wait_for(produced);
  }
}

}  // namespace rill
