// Files of serialized records (save_as_object_files, and later checkpoints).
// Each file is one frame: a header Rill owns, then a Boost.Serialization binary
// archive of std::vector<T>:
//   "RILLOBJ1" | u32 format version (1) | u64 payload length | u32 CRC-32 of payload | payload
// A file whose magic, length or checksum does not match is reported by
// read_object_part with an error naming the file; it is never used silently.
#pragma once
#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/optional.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/base/errors.hpp"
#include "runtime/base/files.hpp"

namespace rill {

std::string frame_object_payload(const std::string& payload);
// Returns the payload of a framed file; throws RillError naming `path` when
// the frame is damaged.
std::string unframe_object_payload(const std::string& framed, const std::string& path);

template <class T>
std::string serialize_records(const std::vector<T>& records) {
  std::ostringstream os(std::ios::binary);
  {
    boost::archive::binary_oarchive ar(os, boost::archive::no_header);
    ar << records;
  }
  return frame_object_payload(os.str());
}

template <class T>
std::vector<T> read_object_part(const std::string& path) {
  std::string payload = unframe_object_payload(read_file(path), path);
  std::istringstream is(payload, std::ios::binary);
  std::vector<T> records;
  boost::archive::binary_iarchive ar(is, boost::archive::no_header);
  ar >> records;
  return records;
}

// Reads every part-NNNNN file of a directory written by save_as_object_files,
// in part order.
template <class T>
std::vector<T> read_object_files(const std::string& dir) {
  std::vector<std::string> parts;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind("part-", 0) == 0) parts.push_back(e.path().string());
  std::sort(parts.begin(), parts.end());
  std::vector<T> all;
  for (const auto& p : parts) {
    auto v = read_object_part<T>(p);
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

}  // namespace rill
