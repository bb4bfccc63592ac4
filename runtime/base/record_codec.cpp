#include "runtime/base/record_codec.hpp"

#include <cstring>

#include "runtime/base/byte_io.hpp"
#include "runtime/base/crc32.hpp"
#include "runtime/base/errors.hpp"

namespace rill {
namespace {

constexpr char kMagic[4] = {'R', 'L', 'R', 'F'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeader = 4 + 4 + 8 + 4;  // magic, version, length, crc

using byte_io::get;
using byte_io::put;

}  // namespace

std::string frame_records(const std::string& payload) {
  std::string out;
  out.reserve(kHeader + payload.size());
  out.append(kMagic, 4);
  put<uint32_t>(out, kVersion);
  put<uint64_t>(out, payload.size());
  put<uint32_t>(out, crc32_bytes(payload.data(), payload.size()));
  out += payload;
  return out;
}

std::string unframe_records(const std::string& frame, const std::string& origin) {
  auto bad = [&](const std::string& why) { return RillError("records from " + origin + " are unusable: " + why); };
  if (frame.size() < kHeader) throw bad("the frame is cut short (" + std::to_string(frame.size()) + " bytes)");
  if (std::memcmp(frame.data(), kMagic, 4) != 0) throw bad("not a Rill record frame (wrong magic)");
  if (get<uint32_t>(frame, 4) != kVersion)
    throw bad("frame version " + std::to_string(get<uint32_t>(frame, 4)) + ", this build reads " +
              std::to_string(kVersion));
  const uint64_t length = get<uint64_t>(frame, 8);
  if (length != frame.size() - kHeader)
    throw bad("the frame says " + std::to_string(length) + " bytes and holds " +
              std::to_string(frame.size() - kHeader));
  std::string payload = frame.substr(kHeader);
  if (crc32_bytes(payload.data(), payload.size()) != get<uint32_t>(frame, 16)) throw bad("CRC-32 mismatch");
  return payload;
}

}  // namespace rill
