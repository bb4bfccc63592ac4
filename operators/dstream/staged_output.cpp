#include "operators/dstream/staged_output.hpp"

#include <filesystem>

#include "operators/dstream/output_ops.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/files.hpp"

namespace rill {

namespace fs = std::filesystem;

namespace {
const std::string kStagingSuffix = "._staging";
}

std::string staging_directory(const std::string& dir) { return dir + kStagingSuffix; }

void begin_staged_output(const std::string& dir) {
  const std::string staging = staging_directory(dir);
  std::error_code ec;
  fs::remove_all(staging, ec);
  fs::create_directories(staging, ec);
  if (ec) throw RillError("cannot create the output directory '" + staging + "': " + ec.message());
}

void write_staged_part(const std::string& dir, int p, const std::string& data) {
  const std::string staging = staging_directory(dir);
  std::error_code ec;
  if (!fs::is_directory(staging, ec))
    throw RillError("the output directory '" + staging + "', which the driver created, is not on this node: the " +
                    "output path must be absolute and on a filesystem every node shares");
  write_file_synced(staging + "/" + part_file_name(p), data);
}

void commit_staged_output(const std::string& dir, int partitions) {
  const std::string staging = staging_directory(dir);
  for (int p = 0; p < partitions; ++p) {
    std::error_code ec;
    if (!fs::exists(staging + "/" + part_file_name(p), ec))
      throw RillError("the output of '" + dir + "' has no " + part_file_name(p) + " although its task succeeded: a task " +
                      "that ran on another node wrote it there, so the output path must be absolute and on a " +
                      "filesystem every node shares");
  }
  write_file_synced(staging + "/_SUCCESS", "");
  fsync_directory(staging);
  replace_directory(staging, dir);
}

void abort_staged_output(const std::string& dir) {
  std::error_code ec;
  fs::remove_all(staging_directory(dir), ec);
}

int remove_abandoned_staging(const std::string& parent) {
  int removed = 0;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(parent, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= kStagingSuffix.size() ||
        name.compare(name.size() - kStagingSuffix.size(), kStagingSuffix.size(), kStagingSuffix) != 0)
      continue;
    std::error_code rm;
    fs::remove_all(e.path(), rm);
    if (!rm) ++removed;
  }
  return removed;
}

}  // namespace rill
