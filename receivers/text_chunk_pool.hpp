// TextChunkPool: the memory a text receiver copies received lines into, used
// again once the batch that held it is done.
//
// A fast source fills a new chunk every read; memory the process has never
// touched (or gave back to the kernel) costs a page fault per page on first
// write, and on a virtual machine that fault can cost more than the copy
// itself. A chunk taken from the pool was written before, so it is mapped.
//
// Only large chunks are pooled (all of the same capacity, so any idle buffer
// fits any such chunk); a small chunk gets memory of exactly its size, so a
// trickle of short reads never holds large buffers. At most max_idle_bytes
// of released buffers are kept; the rest are freed. Thread-safe: chunks come
// back on whichever thread releases their block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rill {

class TextChunkPool : public std::enable_shared_from_this<TextChunkPool> {
 public:
  // Chunks of at least half of `chunk_capacity` bytes come from the pool.
  static std::shared_ptr<TextChunkPool> create(size_t chunk_capacity, int64_t max_idle_bytes);

  // [begin, end) as a chunk that must not change; when it is released, its
  // memory returns to the pool (if the pool has room).
  std::shared_ptr<const std::string> copy(const char* begin, const char* end);

  // Buffers waiting to be used again, and their bytes.
  size_t idle_buffers() const;
  int64_t idle_bytes() const;

 private:
  TextChunkPool(size_t chunk_capacity, int64_t max_idle_bytes)
      : chunk_capacity_(chunk_capacity), max_idle_bytes_(max_idle_bytes) {}
  void give_back(std::string* buffer);

  const size_t chunk_capacity_;
  const int64_t max_idle_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<std::string>> idle_;  // the last released is used first: the warmest
  int64_t idle_bytes_ = 0;
};

}  // namespace rill
