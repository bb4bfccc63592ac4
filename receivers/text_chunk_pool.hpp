// TextChunkPool: the memory received text is kept in, used again once the
// batch that held it is done.
//
// A fast source fills a new chunk every read; memory the process has never
// touched (or gave back to the kernel) costs a page fault per page on first
// write, and on a virtual machine that fault can cost more than the copy
// itself (10-15 µs per 4 KiB page was measured on one: 100-150 ns per
// 100-byte line). So the pool
//  - keeps released buffers, which are mapped already, and hands out the
//    most recently released first (the warmest);
//  - maps new memory in slabs aligned to 2 MiB and asks for transparent huge
//    pages on them (madvise MADV_HUGEPAGE): where the kernel grants them, a
//    slab costs one fault per 2 MiB instead of 512 (measured: 0.3 µs per
//    4 KiB instead of 10). Where it does not, nothing else changes.
//
// One pool serves every text receiver of the process (shared()), so memory
// is also used again across receivers, restarts and streaming contexts. Its
// buffers have one capacity (chunk_capacity()) and never grow, so any free
// buffer fits any chunk; a chunk much smaller than that gets memory of
// exactly its size (copy), so a trickle of short chunks never holds whole
// buffers. Free buffers stay mapped up to an idle bound; beyond it, each
// slab whose buffers are all free is unmapped. (Giving back single buffers
// would split the slab's huge pages, and refilling them would fault 4 KiB at
// a time again.) Thread-safe: chunks come back on whichever thread releases
// their block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/base/received_block.hpp"

namespace rill {

// The capacity of pooled buffers: a 256 KiB read or chunk of lines, and room
// for a partial line.
constexpr size_t kTextChunkCapacity = (size_t{256} << 10) + (size_t{16} << 10);

class TextChunkPool;

// A pooled buffer being filled with text. Its capacity is fixed: append()
// never reallocates, so the caller checks room() first.
class TextBuffer {
 public:
  const char* data() const { return data_; }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  size_t room() const { return capacity_ - size_; }
  bool empty() const { return size_ == 0; }
  std::string_view view() const { return {data_, size_}; }

  // Appends `n` bytes; `n` must be at most room().
  void append(const char* bytes, size_t n) {
    std::memcpy(data_ + size_, bytes, n);
    size_ += n;
  }
  void push_back(char c) { data_[size_++] = c; }
  void clear() { size_ = 0; }

 private:
  friend class TextChunkPool;
  TextBuffer(char* data, size_t capacity, void* slab) : data_(data), capacity_(capacity), slab_(slab) {}

  char* const data_;
  const size_t capacity_;
  void* const slab_;  // the pool's Slab it is carved from
  size_t size_ = 0;
  std::string_view shared_;  // what a chunk made by TextChunkPool::share() points at
};

// Gives a buffer back to its pool (which it keeps alive).
struct TextBufferReturn {
  std::shared_ptr<TextChunkPool> pool;
  void operator()(TextBuffer* buffer) const;
};
using TextBufferPtr = std::unique_ptr<TextBuffer, TextBufferReturn>;

class TextChunkPool : public std::enable_shared_from_this<TextChunkPool> {
 public:
  // The process's pool: buffers of kTextChunkCapacity, 32 MiB idle at first.
  static const std::shared_ptr<TextChunkPool>& shared();

  // A pool of buffers of `chunk_capacity` bytes (rounded up to whole 4 KiB
  // pages) that keeps up to `max_idle_bytes` of released buffers mapped.
  static std::shared_ptr<TextChunkPool> create(size_t chunk_capacity, int64_t max_idle_bytes);
  ~TextChunkPool();
  TextChunkPool(const TextChunkPool&) = delete;
  TextChunkPool& operator=(const TextChunkPool&) = delete;

  // Raises the idle bound to at least `bytes` (it is never lowered).
  void keep_idle_at_least(int64_t bytes);

  // [begin, end) as a chunk's text: in a pooled buffer if it fills at least
  // half of one, else in memory of its own size.
  SharedText copy(const char* begin, const char* end);

  // An empty buffer: an idle one (the last released first), or new. When
  // the result is destroyed unshared, the buffer returns to the pool.
  TextBufferPtr take();

  // `buffer`'s bytes as a chunk's text, without a copy; the buffer returns
  // to the pool when the chunk is released.
  SharedText share(TextBufferPtr buffer);

  size_t chunk_capacity() const { return chunk_capacity_; }
  size_t buffers_per_slab() const { return buffers_per_slab_; }
  // Free buffers in mapped slabs, and their bytes. Above the idle bound only
  // while no slab is wholly free.
  size_t idle_buffers() const;
  int64_t idle_bytes() const;
  // Address space mapped for buffers, in use or not.
  int64_t mapped_bytes() const;

 private:
  friend struct TextBufferReturn;
  struct Slab;
  TextChunkPool(size_t chunk_capacity, int64_t max_idle_bytes);
  void give_back(TextBuffer* buffer);
  // Called with mutex_ held.
  void map_slab();
  void unmap_free_slabs();  // while idle memory is over the bound
  int64_t idle_bytes_locked() const;

  const size_t chunk_capacity_;
  const size_t buffers_per_slab_;
  mutable std::mutex mutex_;
  int64_t max_idle_bytes_;
  std::vector<std::unique_ptr<Slab>> slabs_;
  std::vector<TextBuffer*> idle_;  // free; the last released is used first
};

}  // namespace rill
