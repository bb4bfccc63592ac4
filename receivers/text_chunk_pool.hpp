// TextChunkPool: the memory received text is kept in, used again once the
// batch that held it is done.
//
// A fast source fills a new chunk every read; memory the process has never
// touched (or gave back to the kernel) costs a page fault per page on first
// write, and on a virtual machine that fault can cost more than the copy
// itself (15 µs per 4 KiB page was measured on one: 150 ns per 100-byte
// line). A buffer taken from the pool was written before, so it is mapped.
//
// One pool serves every text receiver of the process (shared()), so memory
// is also used again across receivers, restarts and streaming contexts. Its
// buffers have one capacity (kTextChunkCapacity), so any idle buffer fits
// any chunk; a chunk much smaller than that gets memory of exactly its size
// (copy), so a trickle of short chunks never holds whole buffers. Released
// buffers are kept up to an idle bound and freed beyond it. Thread-safe:
// chunks come back on whichever thread releases their block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rill {

// The capacity of pooled buffers: a 256 KiB read or chunk of lines, and room
// for a partial line.
constexpr size_t kTextChunkCapacity = (size_t{256} << 10) + (size_t{16} << 10);

class TextChunkPool : public std::enable_shared_from_this<TextChunkPool> {
 public:
  // The process's pool: buffers of kTextChunkCapacity, 32 MiB idle at first.
  static const std::shared_ptr<TextChunkPool>& shared();

  static std::shared_ptr<TextChunkPool> create(size_t chunk_capacity, int64_t max_idle_bytes);

  // Raises the idle bound to at least `bytes` (it is never lowered).
  void keep_idle_at_least(int64_t bytes);

  // [begin, end) as a chunk that must not change: in a pooled buffer if it
  // fills at least half of one, else in memory of its own size.
  std::shared_ptr<const std::string> copy(const char* begin, const char* end);

  // An empty buffer with at least the pool's capacity reserved: an idle
  // one, or new.
  std::unique_ptr<std::string> take();

  // `buffer` as a chunk that must not change; when the chunk is released,
  // the buffer returns to the pool (if there is room and its capacity is
  // between one and two times the pool's).
  std::shared_ptr<const std::string> share(std::unique_ptr<std::string> buffer);

  size_t chunk_capacity() const { return chunk_capacity_; }
  // Buffers waiting to be used again, and their bytes.
  size_t idle_buffers() const;
  int64_t idle_bytes() const;

 private:
  TextChunkPool(size_t chunk_capacity, int64_t max_idle_bytes)
      : chunk_capacity_(chunk_capacity), max_idle_bytes_(max_idle_bytes) {}
  void give_back(std::string* buffer);

  const size_t chunk_capacity_;
  mutable std::mutex mutex_;
  int64_t max_idle_bytes_;
  std::vector<std::unique_ptr<std::string>> idle_;  // the last released is used first: the warmest
  int64_t idle_bytes_ = 0;
};

}  // namespace rill
