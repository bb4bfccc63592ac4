#include "operators/state_checkpoint.hpp"

#include "runtime/streaming_context.hpp"

namespace rill {

std::string state_checkpoint_directory(StreamingContext& ssc, const DStreamBase& stream) {
  return ssc.checkpoint_directory() + "/" + stream.name() + "-" + std::to_string(stream.id());
}

void delete_checkpoints_before(const std::string& dir, int64_t keep) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoll(name) < keep) std::filesystem::remove_all(entry.path(), ec);
  }
}

}  // namespace rill
