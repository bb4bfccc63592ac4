#include "runtime/base/metadata_checkpoint.hpp"

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "runtime/base/errors.hpp"
#include "runtime/base/files.hpp"
#include "runtime/base/object_file.hpp"

namespace boost::serialization {
template <class Ar>
void serialize(Ar& ar, rill::WalRecordHandle& h, const unsigned /*version*/) {
  ar& h.segment& h.offset& h.length;
}
template <class Ar>
void serialize(Ar& ar, rill::MetadataCheckpoint& c, const unsigned /*version*/) {
  ar& c.time_ms& c.zero_time_ms& c.batch_ms& c.graph_fingerprint& c.config& c.pending_batches& c.input_files&
      c.state_checkpoints& c.recompute_from_ms& c.received_blocks& c.last_allocated_block;
}
}  // namespace boost::serialization

namespace rill {

namespace fs = std::filesystem;

namespace {

constexpr const char* kPrefix = "checkpoint-";

std::string metadata_dir(const std::string& dir) { return (fs::path(dir) / "metadata").string(); }

// Checkpoint files of `dir`, newest first, with their times.
std::vector<std::pair<int64_t, std::string>> checkpoint_files(const std::string& dir) {
  std::vector<std::pair<int64_t, std::string>> files;
  std::error_code ec;
  if (!fs::is_directory(metadata_dir(dir), ec)) return files;
  for (const auto& e : fs::directory_iterator(metadata_dir(dir), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(kPrefix, 0) != 0) continue;
    std::string digits = name.substr(std::string(kPrefix).size());
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
      continue;  // a temporary file, or not ours
    files.emplace_back(std::stoll(digits), e.path().string());
  }
  std::sort(files.begin(), files.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return files;
}

}  // namespace

void write_metadata_checkpoint(const std::string& dir, const MetadataCheckpoint& c) {
  std::error_code ec;
  fs::create_directories(metadata_dir(dir), ec);
  if (ec) throw RillError("cannot create the checkpoint directory '" + metadata_dir(dir) + "': " + ec.message());
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    ar << c;
  }
  std::string path = (fs::path(metadata_dir(dir)) / (kPrefix + std::to_string(c.time_ms))).string();
  write_file_durably(path, frame_object_payload(os.str()));
  auto files = checkpoint_files(dir);
  for (size_t i = 2; i < files.size(); ++i) fs::remove(files[i].second, ec);
}

std::optional<MetadataCheckpoint> read_newest_metadata_checkpoint(const std::string& dir,
                                                                  std::vector<std::string>* damaged) {
  for (const auto& [time, path] : checkpoint_files(dir)) {
    try {
      std::string payload = unframe_object_payload(read_file(path), path);
      std::istringstream is(payload, std::ios::binary);
      MetadataCheckpoint c;
      boost::archive::binary_iarchive ar(is, boost::archive::no_header);
      ar >> c;
      if (c.time_ms != time) throw RillError("it names batch " + std::to_string(c.time_ms));
      return c;
    } catch (const std::exception& e) {
      if (damaged) damaged->push_back(path + ": " + e.what());
    }
  }
  return std::nullopt;
}

}  // namespace rill
