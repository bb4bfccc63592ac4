// The state functions the multi-process test programs share, so that their
// outputs can be compared with each other's and with a local run's.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "runtime/rill.hpp"

namespace rill::test_programs {

// update_state_by_key: a word's running count.
inline const auto running_count = [](const std::vector<int64_t>& ones, const std::optional<int64_t>& count) {
  int64_t n = count.value_or(0);
  for (int64_t one : ones) n += one;
  return std::optional<int64_t>(n);
};

// map_with_state: "word#N" (its running count) for each word of a batch, and
// "word#idle" when its state times out.
inline const auto tag_running_count = [](const std::string& word, std::optional<int64_t> one, State<int64_t>& state) {
  if (state.is_timing_out()) return word + "#idle";
  const int64_t n = state.get_option().value_or(0) + one.value_or(0);
  state.update(n);
  return word + "#" + std::to_string(n);
};
using TaggedCountSpec = StateSpec<std::string, int64_t, int64_t, std::string>;

}  // namespace rill::test_programs
