// Helpers of the multi-process tests: the word count's input and what its
// driver printed (tests/programs/wordcount_app.cpp), and process arguments.
#pragma once
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "runtime/testing.hpp"

namespace cluster_test {

inline std::string sub_dir(const rill::testing::TemporaryDirectory& dir, const std::string& name) {
  std::string path = dir.path() + "/" + name;
  std::filesystem::create_directories(path);
  return path;
}

inline std::function<bool(const std::string&)> contains(std::string text) {
  return [text](const std::string& s) { return s.find(text) != std::string::npos; };
}

// Lines of words from a small vocabulary, and their exact counts.
inline std::string word_lines(int n, std::map<std::string, int64_t>& counts) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    std::string line;
    for (int w : {i % 37, (i * 7) % 23, i % 5}) {
      std::string word = "w" + std::to_string(w);
      ++counts[word];
      line += (line.empty() ? "" : " ") + word;
    }
    text += line + "\n";
  }
  return text;
}

inline std::map<std::string, int64_t> printed_totals(const std::string& out) {
  static const std::regex total("total (\\S+) (\\d+)");
  std::map<std::string, int64_t> totals;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), total); it != std::sregex_iterator(); ++it)
    totals[(*it)[1]] = std::stoll((*it)[2]);
  return totals;
}

inline int64_t records_counted(const std::string& out) {
  static const std::regex records("records \\d+ (\\d+)");
  int64_t n = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), records); it != std::sregex_iterator(); ++it)
    n += std::stoll((*it)[1]);
  return n;
}

// How many tasks each worker said it ran when the driver stopped it.
inline std::vector<int64_t> tasks_run_by_workers(const std::string& log) {
  static const std::regex ran("stopped by the driver; exiting \\(ran (\\d+) tasks");
  std::vector<int64_t> n;
  for (auto it = std::sregex_iterator(log.begin(), log.end(), ran); it != std::sregex_iterator(); ++it)
    n.push_back(std::stoll((*it)[1]));
  return n;
}

// The running counts update_state_by_key printed for the last batch (or
// those of another output that prints "LABEL T WORD N" lines).
inline std::map<std::string, int64_t> last_state(const std::string& out, const std::string& label = "state") {
  const std::regex state(label + " (\\d+) (\\S+) (\\d+)");
  std::map<int64_t, std::map<std::string, int64_t>> by_batch;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), state); it != std::sregex_iterator(); ++it)
    by_batch[std::stoll((*it)[1])][(*it)[2]] = std::stoll((*it)[3]);
  return by_batch.empty() ? std::map<std::string, int64_t>{} : by_batch.rbegin()->second;
}

inline const std::vector<std::string> kQuiet = {"--conf", "rill.ui.enabled=false"};

inline std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace cluster_test
