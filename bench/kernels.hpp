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
#include "runtime/text.hpp"

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
