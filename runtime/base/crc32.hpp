// CRC-32 (the IEEE polynomial of zlib, gzip and PNG) of checkpoint files and
// write-ahead log records.
#pragma once
#include <cstddef>
#include <cstdint>

namespace rill {

// The CRC-32 of `n` bytes at `data`, continuing from `crc` (0 to begin).
uint32_t crc32_bytes(const void* data, size_t n, uint32_t crc = 0);

}  // namespace rill
