#include "operators/dstream/state_checkpoint.hpp"

#include <spdlog/spdlog.h>

#include "runtime/base/streaming_context_fwd.hpp"

namespace rill {

void keep_every_partition(const std::shared_ptr<const RDDBase>& node) {
  std::vector<TaskPtr> tasks;
  for (int p = 0; p < node->num_partitions(); ++p) {
    auto task = make_task(TaskName::Kind::persist, node->name(), p, [node, p] {
      node->keep_partition(p);
      return TaskOutput{nullptr};
    });
    task->rdd = node.get();
    tasks.push_back(std::move(task));
  }
  run_job(*node, std::move(tasks));
  node->set_all_partitions_kept();
}

std::string state_checkpoint_directory(StreamingContext& ssc, const DStreamBase& stream) {
  return checkpoint_directory_of(ssc) + "/" + stream.name() + "-" + std::to_string(stream.id());
}

void delete_checkpoints_before(const std::string& dir, int64_t keep) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoll(name) < keep) std::filesystem::remove_all(entry.path(), ec);
  }
}

std::vector<std::string> state_checkpoint_parts(const std::string& dir, int64_t time_ms, int partitions) {
  const std::string at = dir + "/" + std::to_string(time_ms);
  std::error_code ec;
  if (!std::filesystem::exists(at + "/_SUCCESS", ec))
    throw RillError("state checkpoint '" + at +
                    "', named by the metadata checkpoint, is missing or incomplete (no _SUCCESS); the state "
                    "cannot be recovered: to start fresh, remove or rename the checkpoint directory '" +
                    std::filesystem::path(dir).parent_path().string() + "'");
  std::vector<std::string> parts;
  for (int p = 0; p < partitions; ++p) {
    std::string path = at + "/" + part_file_name(p);
    if (!std::filesystem::exists(path, ec))
      throw RillError("state checkpoint '" + at + "' has no " + part_file_name(p) + ": it was written with " +
                      "another number of partitions than the program's " + std::to_string(partitions));
    parts.push_back(std::move(path));
  }
  spdlog::info("recovering state from the state checkpoint '{}' ({} partitions)", at, partitions);
  if (std::filesystem::exists(at + "/" + part_file_name(partitions), ec))
    throw RillError("state checkpoint '" + at + "' has more partitions than the program's " +
                    std::to_string(partitions) + ": the number of partitions of this stream changed");
  return parts;
}

}  // namespace rill
