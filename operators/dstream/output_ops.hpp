// The work of the built-in output operations, batch by batch.
#pragma once
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "operators/rdd/rdd.hpp"
#include "runtime/base/display.hpp"
#include "runtime/base/files.hpp"
#include "runtime/base/object_file.hpp"
#include "runtime/base/time.hpp"

namespace rill {

// Spark's print(): a header with the batch time, the first n records, "..."
// when there are more, and an empty line; written in one piece.
template <class T>
void print_rdd(const RDD<T>& rdd, Time t, size_t n, std::ostream& out = std::cout) {
  auto first = rdd.take(n + 1);
  std::string s =
      "-------------------------------------------\n"
      "Time: " + std::to_string(t.milliseconds()) + " ms\n"
      "-------------------------------------------\n";
  for (size_t i = 0; i < first.size() && i < n; ++i) s += to_display_string(first[i]) + "\n";
  if (first.size() > n) s += "...\n";
  s += "\n";
  out << s << std::flush;
}

// "prefix-<ms>[.suffix]", as Spark names a batch's output.
inline std::string batch_output_path(const std::string& prefix, const std::string& suffix, Time t) {
  std::string path = prefix + "-" + std::to_string(t.milliseconds());
  if (!suffix.empty()) path += "." + suffix;
  return path;
}

inline std::string part_file_name(int p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "part-%05d", p);
  return buf;
}

// Writes every partition as a part file into a temporary directory on the
// partition workers, then renames the directory into place with a _SUCCESS
// marker: readers see all of a batch's output or none, and a rerun replaces it.
template <class T, class Encode>
void save_partitions(const RDD<T>& rdd, const std::string& dir, Encode encode) {
  std::string tmp = temporary_sibling(dir);
  std::filesystem::create_directories(tmp);
  try {
    rdd.foreach_partition([tmp, encode](int p, const std::vector<T>& records) {
      write_file_synced(tmp + "/" + part_file_name(p), encode(records));
    });
    write_file_synced(tmp + "/_SUCCESS", "");
    fsync_directory(tmp);
    replace_directory(tmp, dir);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove_all(tmp, ec);
    throw;
  }
}

template <class T>
void save_text_files(const RDD<T>& rdd, const std::string& dir) {
  save_partitions(rdd, dir, [](const std::vector<T>& records) {
    std::string text;
    for (const auto& r : records) {
      text += to_display_string(r);
      text += '\n';
    }
    return text;
  });
}

template <class T>
void save_object_files(const RDD<T>& rdd, const std::string& dir) {
  save_partitions(rdd, dir, [](const std::vector<T>& records) { return serialize_records(records); });
}

}  // namespace rill
