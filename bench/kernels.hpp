// The benchmark workloads written by hand, with no engine: the limit Rill's
// figures are compared with. Grep counts lines containing a rare word;
// WordCount counts words (split on spaces) into a hash map.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/flat_hash_map.hpp"
#include "runtime/base/hash.hpp"
#include "runtime/base/text.hpp"

namespace rill::bench {

// Calls f(word) for every space-separated word of `line`.
template <class F>
inline void for_each_word(std::string_view line, F&& f) {
  const char* p = line.data();
  const char* end = p + line.size();
  while (p < end) {
    while (p < end && *p == ' ') ++p;
    if (p == end) break;
    const char* start = p;
    const void* space = std::memchr(p, ' ', static_cast<size_t>(end - p));
    p = space ? static_cast<const char*>(space) : end;
    if (p > start) f(std::string_view(start, static_cast<size_t>(p - start)));
  }
}

// A hand-written word-count table: linear probing over slots that hold the
// key view, its hash and the count (one probe, one compare per word), sized
// up front to twice the expected keys. The limit tables are compared with.
class OpenAddressingCounts {
 public:
  explicit OpenAddressingCounts(size_t expected_keys) {
    size_t cap = 16;
    while (cap < expected_keys * 2) cap *= 2;
    slots_.assign(cap, Slot{});
    mask_ = cap - 1;
  }
  void add(std::string_view w) {
    uint64_t h = hash_bytes(w.data(), w.size()) | 1;
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s = Slot{h, w.data(), static_cast<uint32_t>(w.size()), 1};
        if (++size_ * 2 > slots_.size()) grow();
        return;
      }
      if (s.hash == h && s.len == w.size() && std::memcmp(s.data, w.data(), w.size()) == 0) {
        ++s.count;
        return;
      }
    }
  }
  size_t size() const { return size_; }
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.hash != 0) f(std::string_view(s.data, s.len), s.count);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    const char* data = nullptr;
    uint32_t len = 0;
    int64_t count = 0;
  };
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& s : old)
      if (s.hash != 0) {
        size_t i = s.hash & mask_;
        while (slots_[i].hash != 0) i = (i + 1) & mask_;
        slots_[i] = s;
      }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
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
