// Output of the test programs that several processes run: every batch of a
// stream printed as "NAME T record" lines (records sorted, so partitioning
// and task order do not show), written whole under one lock.
#pragma once
#include <algorithm>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/base/display.hpp"
#include "runtime/rill.hpp"

namespace rill::test_programs {

template <class T>
void print_records(const std::string& name, Time t, const std::vector<T>& records) {
  static std::mutex print_mutex;
  std::vector<std::string> shown;
  for (const auto& r : records) shown.push_back(to_display_string(r));
  std::sort(shown.begin(), shown.end());
  std::string text;
  for (const auto& s : shown) text += name + " " + std::to_string(t.milliseconds()) + " " + s + "\n";
  std::lock_guard<std::mutex> lock(print_mutex);
  std::cout << text << std::flush;
}

template <class T>
void print_each_batch(const DStream<T>& stream, const std::string& name) {
  stream.foreach_rdd([name](const RDD<T>& rdd, Time t) { print_records(name, t, rdd.collect()); });
}

}  // namespace rill::test_programs
