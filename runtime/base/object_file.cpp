#include "runtime/base/object_file.hpp"

#include "runtime/base/byte_io.hpp"
#include "runtime/base/crc32.hpp"

#include <cstring>

namespace rill {
namespace {
constexpr char kMagic[8] = {'R', 'I', 'L', 'L', 'O', 'B', 'J', '1'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderSize = 8 + 4 + 8 + 4;

uint32_t crc32_of(const std::string& s) { return crc32_bytes(s.data(), s.size()); }
using byte_io::get;
using byte_io::put;
}  // namespace

std::string frame_object_payload(const std::string& payload) {
  std::string out(kMagic, sizeof kMagic);
  put<uint32_t>(out, kVersion);
  put<uint64_t>(out, payload.size());
  put<uint32_t>(out, crc32_of(payload));
  out += payload;
  return out;
}

std::string unframe_object_payload(const std::string& framed, const std::string& path) {
  if (framed.size() < kHeaderSize || std::memcmp(framed.data(), kMagic, sizeof kMagic) != 0)
    throw RillError("'" + path + "' is not a Rill object file (bad magic)");
  if (get<uint32_t>(framed, 8) != kVersion)
    throw RillError("'" + path + "' has unsupported format version " +
                    std::to_string(get<uint32_t>(framed, 8)));
  uint64_t length = get<uint64_t>(framed, 12);
  if (framed.size() - kHeaderSize != length)
    throw RillError("'" + path + "' is truncated or damaged: header says " +
                    std::to_string(length) + " payload bytes, file has " +
                    std::to_string(framed.size() - kHeaderSize));
  std::string payload = framed.substr(kHeaderSize);
  if (crc32_of(payload) != get<uint32_t>(framed, 20))
    throw RillError("'" + path + "' failed its checksum: the file is damaged");
  return payload;
}

}  // namespace rill
