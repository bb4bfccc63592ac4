// Helpers shared by the tests.
#pragma once
#include <algorithm>
#include <vector>

// Each batch's records sorted: for comparing batches as sets (shuffles give
// records in hash-table order, and Spark's own suites compare sets too).
template <class T>
std::vector<std::vector<T>> sorted(std::vector<std::vector<T>> batches) {
  for (auto& b : batches) std::sort(b.begin(), b.end());
  return batches;
}
