// Metadata checkpoint files: they read back equal, only the two newest are
// kept, and a damaged newest one (flipped byte, torn write, garbage) is
// reported by path while the one before it is used.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "runtime/base/errors.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/testing.hpp"

using namespace rill;
namespace fs = std::filesystem;

namespace {

MetadataCheckpoint sample(int64_t t) {
  MetadataCheckpoint c;
  c.time_ms = t;
  c.graph_fingerprint = 0x9e3779b97f4a7c15ULL ^ static_cast<uint64_t>(t);
  c.config = {{"rill.master", "local[2]"}, {"rill.streaming.blockInterval", "200ms"}};
  c.pending_batches = {t + 1000, t + 2000};
  c.input_files[3][t] = {"/data/in/a.txt", "/data/in/b.txt"};
  c.state_checkpoints[5] = t - 10000;
  return c;
}

std::vector<std::string> checkpoint_names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(dir) / "metadata")) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

TEST_CASE("metadata checkpoints read back equal, and only the two newest are kept", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::vector<std::string> damaged;
  CHECK_FALSE(read_newest_metadata_checkpoint(dir.path(), &damaged).has_value());  // none: a fresh start
  for (int64_t t : {1000, 2000, 3000}) write_metadata_checkpoint(dir.path(), sample(t));
  CHECK(checkpoint_names(dir.path()) == std::vector<std::string>{"checkpoint-2000", "checkpoint-3000"});
  auto c = read_newest_metadata_checkpoint(dir.path(), &damaged);
  REQUIRE(c.has_value());
  CHECK(*c == sample(3000));
  CHECK(damaged.empty());
}

TEST_CASE("a damaged newest metadata checkpoint is reported by path and the previous one is used", "[unit]") {
  auto damage = GENERATE(as<std::string>{}, "flip", "truncate", "garbage");
  rill::testing::TemporaryDirectory dir;
  write_metadata_checkpoint(dir.path(), sample(1000));
  write_metadata_checkpoint(dir.path(), sample(2000));
  std::string newest = (fs::path(dir.path()) / "metadata" / "checkpoint-2000").string();
  std::string bytes = rill::read_file(newest);
  if (damage == "flip") bytes[bytes.size() / 2] ^= 0x20;
  if (damage == "truncate") bytes.resize(bytes.size() - 7);  // a torn write
  if (damage == "garbage") bytes = "not a checkpoint at all";
  std::ofstream(newest, std::ios::binary | std::ios::trunc) << bytes;
  std::vector<std::string> damaged;
  auto c = read_newest_metadata_checkpoint(dir.path(), &damaged);
  REQUIRE(c.has_value());
  CHECK(*c == sample(1000));
  REQUIRE(damaged.size() == 1);
  CHECK(damaged[0].find("checkpoint-2000") != std::string::npos);
}

TEST_CASE("a checkpoint directory that cannot be written is an error naming it", "[unit]") {
  rill::testing::TemporaryDirectory dir;
  std::string file = dir.path() + "/plain-file";
  std::ofstream(file) << "x";
  CHECK_THROWS_WITH(write_metadata_checkpoint(file, sample(1000)), Catch::Contains("plain-file"));
}
