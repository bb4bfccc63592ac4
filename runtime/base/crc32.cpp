#include "runtime/base/crc32.hpp"

#include <zlib.h>

#include <algorithm>

namespace rill {

uint32_t crc32_bytes(const void* data, size_t n, uint32_t crc) {
  auto* p = static_cast<const Bytef*>(data);
  uLong value = crc;
  while (n > 0) {  // zlib takes at most a uInt at a time
    const uInt step = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
    value = ::crc32(value, p, step);
    p += step;
    n -= step;
  }
  return static_cast<uint32_t>(value);
}

}  // namespace rill
