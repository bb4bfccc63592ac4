// The work of the built-in output operations, batch by batch.
#pragma once
#include <cstdio>
#include <iostream>
#include <string>

#include "operators/dstream/output_dstream.hpp"
#include "operators/dstream/staged_output.hpp"
#include "operators/rdd/rdd.hpp"
#include "runtime/base/display.hpp"
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

// Writes every partition as a part file where it is computed, through the
// staged directory writer (operators/dstream/staged_output.hpp): readers see
// all of the directory or none, and a rerun replaces it. State checkpoints
// and DStream outputs share it.
template <class T, class Encode>
void save_partitions(const RDD<T>& rdd, const std::string& dir, Encode encode) {
  begin_staged_output(dir);
  try {
    rdd.foreach_partition([dir, encode](int p, const std::vector<T>& records) {
      write_staged_part(dir, p, encode(records));
    });
    commit_staged_output(dir, rdd.num_partitions());
  } catch (...) {
    abort_staged_output(dir);
    throw;
  }
}

// A partition's records as a text part file: a line per record, as print
// shows it.
template <class T>
std::string encode_text_part(const std::vector<T>& records) {
  std::string text;
  for (const auto& r : records) {
    text += to_display_string(r);
    text += '\n';
  }
  return text;
}

template <class T>
void save_text_files(const RDD<T>& rdd, const std::string& dir) {
  save_partitions(rdd, dir, [](const std::vector<T>& records) { return encode_text_part(records); });
}

// The output stream behind save_as_text_files and save_as_object_files: for
// every batch of `parent`, the directory batch_output_path(prefix, suffix, t)
// with one part file per partition, `encode`d and written by the task that
// computes the partition (on the workers, in a cluster); the driver stages
// the directory before the tasks and renames it into place after them.
template <class T, class Encode>
std::shared_ptr<ForEachDStream<T>> make_file_output(StreamingContext& ssc, DStreamNodePtr<T> parent,
                                                    const char* name, const std::string& prefix,
                                                    const std::string& suffix, Encode encode) {
  using Out = ForEachDStream<T>;
  auto path = [prefix, suffix](Time t) { return batch_output_path(prefix, suffix, t); };
  typename Out::BatchCommit commit;
  commit.begin = [path](Time t) { begin_staged_output(path(t)); };
  commit.commit = [path](Time t, int partitions) { commit_staged_output(path(t), partitions); };
  commit.abort = [path](Time t) { abort_staged_output(path(t)); };
  return std::make_shared<Out>(ssc, std::move(parent), name,
                               typename Out::PartitionFn([path, encode](int p, const std::vector<T>& records, Time t) {
                                 write_staged_part(path(t), p, encode(records));
                               }),
                               std::move(commit));
}

}  // namespace rill
