// The benchmark workloads written by hand, with no engine: the limit Rill's
// figures are compared with. Grep counts lines containing a rare word;
// WordCount counts words (split on spaces) into a hash map.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/flat_hash_map.hpp"

namespace rill::bench {

// Calls f(word) for every space-separated word of `line`.
template <class F>
inline void for_each_word(std::string_view line, F&& f) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    while (p < end && *p == ' ') ++p;
    const char* start = p;
    const void* space = std::memchr(p, ' ', static_cast<size_t>(end - p));
    p = space ? static_cast<const char*>(space) : end;
    if (p > start) f(std::string_view(start, static_cast<size_t>(p - start)));
  }
}

// The words of a line as an iterable of string_views, split while iterating:
// flat_map over it allocates nothing per line.
class Words {
 public:
  explicit Words(std::string_view line) : line_(line) {}
  class iterator {
   public:
    iterator(const char* p, const char* end) : p_(p), end_(end) { advance(); }
    std::string_view operator*() const { return word_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    bool operator!=(const iterator& o) const { return word_.data() != o.word_.data(); }

   private:
    void advance() {
      while (p_ < end_ && *p_ == ' ') ++p_;
      if (p_ >= end_) {
        word_ = std::string_view(end_, 0);
        return;
      }
      const char* start = p_;
      const void* space = std::memchr(p_, ' ', static_cast<size_t>(end_ - p_));
      p_ = space ? static_cast<const char*>(space) : end_;
      word_ = std::string_view(start, static_cast<size_t>(p_ - start));
    }
    const char* p_;
    const char* end_;
    std::string_view word_;
  };
  iterator begin() const { return iterator(line_.data(), line_.data() + line_.size()); }
  iterator end() const { return iterator(line_.data() + line_.size(), line_.data() + line_.size()); }

 private:
  std::string_view line_;
};

inline bool contains(std::string_view line, std::string_view word) {
  return line.find(word) != std::string_view::npos;
}

inline int64_t grep_range(const std::vector<std::string>& lines, size_t begin, size_t end,
                          std::string_view word) {
  int64_t n = 0;
  for (size_t i = begin; i < end; ++i) n += contains(lines[i], word);
  return n;
}

// The same hash table Rill's shuffles combine in, so that the ratio to this
// limit measures the engine, not a data structure.
inline void wordcount_range(const std::vector<std::string>& lines, size_t begin, size_t end,
                            FlatHashMap<std::string_view, int64_t>& counts) {
  for (size_t i = begin; i < end; ++i)
    for_each_word(lines[i], [&](std::string_view w) { ++counts[w]; });
}

}  // namespace rill::bench
