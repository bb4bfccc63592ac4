// Hash-table micro-benchmark: ns per word of counting the benchmark corpus's
// words, a fresh table per block of words (as each shuffle map task builds
// one), for Rill's FlatHashMap next to a hand-written open-addressing table
// (key view, hash and count inline in the slot: one probe, one compare) and
// std::unordered_map.
//
//   rill_bench_hash_table [--lines N] [--block-words W] [--runs R] [--out RESULTS.md]
//
// Rill's table is measured fresh (grown by rehashing) and sized from the
// previous block's key count, as the combining shuffle sizes it.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "bench/kernels.hpp"
#include "bench/limit_runner.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/flat_hash_map.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/text.hpp"

namespace {

using Clock = std::chrono::steady_clock;

template <class Count>
double ns_per_word(const std::vector<std::string_view>& words, size_t block, Count&& count_block) {
  auto start = Clock::now();
  size_t sink = 0;
  for (size_t b = 0; b < words.size(); b += block)
    sink += count_block(words.data() + b, std::min(block, words.size() - b));
  double ns = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (sink == 0) std::cerr << "";
  return ns / static_cast<double>(words.size());
}


// One table per kind of hash table, for the keys `words`.
std::string run_tables(const std::string& title, const std::vector<std::string_view>& words, size_t block,
                       int64_t runs) {
  std::vector<std::string> owned(words.begin(), words.end());
  struct Row {
    std::string name;
    std::vector<double> ns;
  };
  std::vector<Row> rows = {{"hand-written open addressing (string_view keys)", {}},
                           {"rill::FlatHashMap<std::string_view>, fresh", {}},
                           {"rill::FlatHashMap<std::string_view>, sized from the previous block", {}},
                           {"rill::FlatHashMap<std::string>, sized from the previous block", {}},
                           {"std::unordered_map<std::string_view>", {}},
                           {"std::unordered_map<std::string>", {}}};
  for (int64_t r = 0; r < runs; ++r) {
    size_t hint = 0;
    rows[0].ns.push_back(ns_per_word(words, block, [&](const std::string_view* w, size_t n) {
      rill::bench::OpenAddressingCounts t(hint);
      for (size_t i = 0; i < n; ++i) t.add(w[i]);
      hint = t.size();
      return t.size();
    }));
    rows[1].ns.push_back(ns_per_word(words, block, [&](const std::string_view* w, size_t n) {
      rill::FlatHashMap<std::string_view, int64_t> t;
      for (size_t i = 0; i < n; ++i) ++t[w[i]];
      return t.size();
    }));
    hint = 0;
    rows[2].ns.push_back(ns_per_word(words, block, [&](const std::string_view* w, size_t n) {
      rill::FlatHashMap<std::string_view, int64_t> t;
      t.reserve(hint);
      for (size_t i = 0; i < n; ++i) ++t[w[i]];
      hint = t.size();
      return t.size();
    }));
    hint = 0;
    const std::string* base = owned.data();
    rows[3].ns.push_back(ns_per_word(words, block, [&](const std::string_view* w, size_t n) {
      rill::FlatHashMap<std::string, int64_t> t;
      t.reserve(hint);
      const std::string* s = base + (w - words.data());
      for (size_t i = 0; i < n; ++i) ++t[s[i]];
      hint = t.size();
      return t.size();
    }));
    rows[4].ns.push_back(ns_per_word(words, block, [&](const std::string_view* w, size_t n) {
      std::unordered_map<std::string_view, int64_t> t;
      for (size_t i = 0; i < n; ++i) ++t[w[i]];
      return t.size();
    }));
    rows[5].ns.push_back(ns_per_word(words, block, [&](const std::string_view* w, size_t n) {
      std::unordered_map<std::string, int64_t> t;
      const std::string* s = base + (w - words.data());
      for (size_t i = 0; i < n; ++i) ++t[s[i]];
      return t.size();
    }));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  const double limit = median(rows[0].ns);
  std::ostringstream table;
  table << "\n" << title << ":\n\n| table | ns per word (median of " << runs << ") | / hand-written |\n|---|---|---|\n";
  for (const auto& row : rows) {
    double m = median(row.ns);
    table << "| " << row.name << " | " << std::fixed << std::setprecision(1) << m << " | " << std::setprecision(2)
          << m / limit << " |\n";
  }
  return table.str();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t lines = 1000000, block_words = 500000, runs = 5;
  std::string out;
  try {
    std::vector<std::string> args(argv + 1, argv + argc);
    for (size_t i = 0; i < args.size(); i += 2) {
      if (i + 1 >= args.size()) throw rill::ConfigError("option " + args[i] + " needs a value");
      if (args[i] == "--lines") lines = rill::parse_int_option(args[i], args[i + 1], 1000, 50000000);
      else if (args[i] == "--block-words") block_words = rill::parse_int_option(args[i], args[i + 1], 100, 100000000);
      else if (args[i] == "--runs") runs = rill::parse_int_option(args[i], args[i + 1], 1, 100);
      else if (args[i] == "--out") out = args[i + 1];
      else throw rill::ConfigError("unknown option " + args[i]);
    }
  } catch (const std::exception& e) {
    std::cerr << "rill_bench_hash_table: " << e.what() << "\n";
    return 2;
  }
  auto corpus = rill::bench::make_corpus(static_cast<size_t>(lines));
  std::vector<std::string_view> words;
  for (const auto& line : corpus->lines())
    for (std::string_view w : rill::split_words(line)) words.push_back(w);
  // The same number of keys drawn from a million distinct ones ("user-NNNNNN"):
  // tables too large for the caches, where each dependent miss shows.
  std::vector<std::string> many_keys;
  many_keys.reserve(words.size());
  uint64_t state = 42;
  for (size_t i = 0; i < words.size(); ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    many_keys.push_back("user-" + std::to_string((state >> 33) % 1000000));
  }
  std::ostringstream tables;
  tables << run_tables("corpus words (10,000 distinct)", words, static_cast<size_t>(block_words), runs)
         << run_tables("keys of 1,000,000 distinct", std::vector<std::string_view>(many_keys.begin(), many_keys.end()),
                       static_cast<size_t>(block_words), runs);
  std::cout << words.size() << " keys, " << block_words << " per table\n" << tables.str();
  if (!out.empty()) {
    std::ofstream f(out, std::ios::app);
    f << "\n#### Hash tables (`rill_bench_hash_table --lines " << lines << " --block-words " << block_words
      << " --runs " << runs << "`: " << words.size() << " keys, a fresh table per " << block_words << ")\n\n"
      << tables.str();
  }
  return 0;
}
