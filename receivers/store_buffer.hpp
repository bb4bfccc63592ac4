// The buffers behind Receiver<T>::store(record): one per storing thread, so
// that threads storing at once do not contend, taken by the block generator
// at each cut.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "receivers/text_chunk_pool.hpp"

namespace rill {

// A chunk stops growing at this many bytes, whatever its record count.
constexpr int64_t kChunkMaxBytes = int64_t{1} << 20;
// A chunk of lines stored one at a time stops growing at this many bytes,
// so that it stays within a pooled buffer (see TextChunkPool); a longer
// string is kept as a record of its own.
constexpr int64_t kTextChunkMaxBytes = int64_t{256} << 10;
static_assert(kTextChunkMaxBytes < static_cast<int64_t>(kTextChunkCapacity),
              "a line shorter than kTextChunkMaxBytes and its '\\n' fit in an empty pooled buffer");

// One storing thread's buffer of records stored one at a time. Only its
// thread appends; the block generator takes the records at each cut. The
// lock is a spin flag, so an uncontended store() costs one atomic exchange.
// String records that are lines (no '\n', no trailing '\r', shorter than
// kTextChunkMaxBytes) are buffered as text instead: their bytes appended,
// each ended by '\n', into a buffer from TextChunkPool, with no heap
// allocation per record. At most one of `records` and `text` holds
// anything, so the thread's records keep their order.
template <class T>
struct StoreBuffer {
  std::thread::id owner;
  std::atomic_flag busy = ATOMIC_FLAG_INIT;
  std::vector<T> records;
  TextBufferPtr text;  // null until the thread stores a line, and after its buffer is sent
  int64_t text_lines = 0;
  int64_t bytes = 0;
  // Chunks this thread handed to the block generator that it has not yet
  // appended: while any is on its way, a cut leaves this buffer alone, so the
  // thread's records keep their order.
  std::shared_ptr<std::atomic<int>> in_transit = std::make_shared<std::atomic<int>>(0);

  bool has_text() const { return text && !text->empty(); }
  void lock() {
    while (busy.test_and_set(std::memory_order_acquire)) std::this_thread::yield();
  }
  void unlock() { busy.clear(std::memory_order_release); }
};

// A unique number per receiver object (thread-local caches key on it).
inline uint64_t next_receiver_instance() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace rill
