// Receiver<T>: the user-facing base of every receiver-based source (Spark's
// Receiver). on_start() starts the receiver's own threads or connections and
// returns at once; those threads call store() until is_stopped().
//
// Flow control: store() hands records to the block generator in chunks on a
// credit window (rill.flow.credits chunks), and the block generator accepts
// chunks only while the receiver's bytes in flight (received, batch not yet
// completed) are under rill.streaming.receiver.maxBytesInFlight. When the
// pipeline falls behind, store() blocks, so a socket receiver stops reading
// and TCP pushes back on the sender instead of memory growing.
// rill.streaming.receiver.maxRate and backpressure limit records/s by making
// store() wait as well; under a rate limit chunks shrink to about 50 ms of
// records, so the limit is smooth.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstring>
#include <iterator>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "receivers/receiver_base.hpp"
#include "receivers/store_buffer.hpp"
#include "receivers/text_chunk_pool.hpp"
#include "runtime/base/received_block.hpp"
#include "runtime/base/record_size.hpp"

namespace rill {

template <class T>
class Receiver : public ReceiverBase {
 public:
  explicit Receiver(StorageLevel level = StorageLevel::memory_and_disk_ser_2)
      : ReceiverBase(level) {}

  // Takes every thread's buffered records (skipping a thread whose earlier
  // chunk is still on its way): the records of all threads as one chunk,
  // each thread's text as a chunk of its own.
  bool drain(std::vector<Chunk>& chunks, int64_t& records) override {
    std::vector<T> out;
    int64_t out_bytes = 0;
    bool any = false;
    {
      std::lock_guard<std::mutex> lock(buffers_mutex_);
      for (auto& buf : buffers_) {
        buf->lock();
        // Checked under the lock: a chunk the thread sent raised it before
        // the thread could buffer anything newer.
        if (buf->in_transit->load(std::memory_order_acquire) > 0) {
          buf->unlock();
          continue;
        }
        if (buf->has_text()) {
          records += buf->text_lines;
          chunks.push_back(take_text(*buf));
          any = true;
        } else if (!buf->records.empty()) {
          if (out.empty()) {
            out.swap(buf->records);
          } else {
            out.insert(out.end(), std::make_move_iterator(buf->records.begin()),
                       std::make_move_iterator(buf->records.end()));
            buf->records.clear();
          }
          out_bytes += buf->bytes;
        }
        buf->bytes = 0;
        buf->unlock();
      }
    }
    if (!out.empty()) {
      records += static_cast<int64_t>(out.size());
      chunks.push_back(records_chunk(std::move(out), out_bytes));
      any = true;
    }
    return any;
  }

 protected:
  // Buffers one record into the current block. Each thread buffers into its
  // own chunk (no shared lock); a full chunk (rill.flow.chunkRecords records
  // or 1 MiB) goes to the block generator, and may wait there while the
  // pipeline is behind. Records of one thread keep their order. A
  // std::string record that is a line (no '\n' in it, no '\r' at its end,
  // shorter than kTextChunkMaxBytes) is copied into the chunk's text, so
  // storing it allocates nothing.
  void store(const T& record) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (is_line(record)) return store_line(record);
    }
    store(T(record));
  }

  void store(T&& record) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (is_line(record)) return store_line(record);
    }
    StoreBuffer<T>& buf = local_buffer();
    buf.lock();
    if (buf.has_text()) {  // the text goes first, to keep the order
      send_buffered(buf);     // unlocks
      buf.lock();
    }
    buf.bytes += approximate_bytes(record);
    buf.records.push_back(std::move(record));
    send_if_full(buf, static_cast<int64_t>(buf.records.size()), kChunkMaxBytes);
  }

  // Hands many records to the block generator at once; they join the current
  // block after this thread's earlier store(T) records. Blocks while the
  // pipeline is behind (see the file comment).
  void store_buffered(std::vector<T> records) {
    if (records.empty()) return;
    StoreBuffer<T>& buf = flush_local();
    int64_t bytes = approximate_bytes(records);
    push(std::move(records), bytes, buf.in_transit);
  }

  // For text receivers (T = std::string): stores a buffer of whole lines,
  // each ending in '\n' (a "\r\n" ending loses its '\r' when read; a last
  // line without '\n' counts as a line). The text joins the current block as
  // it is: lines are not copied into records here, but split when the batch
  // reads them (or served as views: DStream::as_views). `lines` is the number
  // of lines if the caller counted them, -1 to have them counted. Under a
  // rate limit the text goes in pieces of chunk_records() lines.
  void store_text(std::string text, int64_t lines = -1) { store_text(shared_lines(std::move(text)), lines); }

  // As store_text(std::string), for text the caller already holds by a
  // shared_ptr (a receiver that recycles its buffers passes one whose deleter
  // takes the buffer back). `text` must not change while the block holds it;
  // if it does not end in '\n', a copy ending in one is stored instead.
  void store_text(std::shared_ptr<const std::string> text, int64_t lines = -1) {
    if (text->empty()) return;
    store_text(shared_text(std::move(text)), lines);
  }

  // As store_text(std::shared_ptr<const std::string>), for text in a buffer
  // of TextChunkPool (TextChunkPool::shared()->take(), filled, then share()),
  // or any SharedText: memory the pool reuses, with no copy.
  void store_text(SharedText text, int64_t lines = -1) {
    static_assert(std::is_same_v<T, std::string>, "store_text is for Receiver<std::string>");
    if (text->empty()) return;
    if (text->back() != '\n') text = shared_lines(std::string(*text));
    if (lines < 0) lines = count_lines(*text);
    StoreBuffer<T>& buf = flush_local();
    auto b = bridge();
    if (!b) return;
    const int64_t per_chunk = b->chunk_records();
    if (lines <= per_chunk) {
      auto bytes = static_cast<int64_t>(text->size());
      buf.in_transit->fetch_add(1, std::memory_order_acq_rel);
      b->push_chunk(Chunk{std::move(text), ChunkEncoding::text_lines, bytes}, lines, buf.in_transit);
      return;
    }
    const char* p = text->data();
    const char* end = p + text->size();
    while (p < end) {
      const char* piece_end = p;
      int64_t k = 0;
      while (k < per_chunk && piece_end < end) {
        piece_end = static_cast<const char*>(std::memchr(piece_end, '\n', static_cast<size_t>(end - piece_end))) + 1;
        ++k;
      }
      const auto bytes = static_cast<int64_t>(piece_end - p);
      auto piece = text_piece(text, std::string_view(p, static_cast<size_t>(bytes)));
      buf.in_transit->fetch_add(1, std::memory_order_acq_rel);
      b->push_chunk(Chunk{std::move(piece), ChunkEncoding::text_lines, bytes}, k, buf.in_transit);
      p = piece_end;
    }
  }

  // Reliable store_text: the lines become a block of their own, after this
  // thread's earlier stores; returns once the block is stored (and, with the
  // write-ahead log, logged), so the source may then be acknowledged.
  void store_text_reliably(std::string text, int64_t lines = -1) {
    store_text_reliably(shared_lines(std::move(text)), lines);
  }

  // As store_text_reliably(std::string), for shared text (see
  // store_text(std::shared_ptr<const std::string>)).
  void store_text_reliably(std::shared_ptr<const std::string> text, int64_t lines = -1) {
    if (text->empty()) return;
    store_text_reliably(shared_text(std::move(text)), lines);
  }

  // As store_text_reliably(std::string), for SharedText (see
  // store_text(SharedText)).
  void store_text_reliably(SharedText text, int64_t lines = -1) {
    static_assert(std::is_same_v<T, std::string>, "store_text_reliably is for Receiver<std::string>");
    if (text->empty()) return;
    if (text->back() != '\n') text = shared_lines(std::string(*text));
    if (lines < 0) lines = count_lines(*text);
    auto bytes = static_cast<int64_t>(text->size());
    store_own_block(Chunk{std::move(text), ChunkEncoding::text_lines, bytes}, lines);
  }

  // Reliable store: the records become a block of their own, after this
  // thread's earlier store(T) records; returns once the block is stored and
  // reported to the driver. Credits and the byte bound apply.
  void store(std::vector<T> records) {
    if (records.empty()) return;
    auto n = static_cast<int64_t>(records.size());
    int64_t bytes = approximate_bytes(records);
    store_own_block(records_chunk(std::move(records), bytes), n);
  }

 private:
  // A reliable store's block of `n` records, after this thread's earlier
  // stores; returns once it is stored.
  void store_own_block(Chunk chunk, int64_t n) {
    StoreBuffer<T>& buf = flush_local();
    auto b = bridge();
    if (!b) return;
    // The block request travels by another sender than this thread's chunks,
    // so it waits until they have arrived, to come after them.
    while (buf.in_transit->load(std::memory_order_acquire) > 0 && !b->stopped()) std::this_thread::yield();
    b->push_block(std::move(chunk), n);
  }

  // `text` shared, ended in '\n' unless empty.
  static SharedText shared_lines(std::string text) {
    if (!text.empty() && text.back() != '\n') text.push_back('\n');
    return shared_text(std::move(text));
  }

  // Whether `s` is kept as a line of text (else as a record).
  static bool is_line(const std::string& s) {
    return s.size() < static_cast<size_t>(kTextChunkMaxBytes) &&
           std::memchr(s.data(), '\n', s.size()) == nullptr && (s.empty() || s.back() != '\r');
  }

  // store() of a line: its bytes and a '\n' appended to this thread's text.
  void store_line(const std::string& line) {
    StoreBuffer<T>& buf = local_buffer();
    buf.lock();
    if (!buf.records.empty()) {  // the records go first, to keep the order
      send_buffered(buf);        // unlocks
      buf.lock();
    }
    if (buf.text && buf.text->room() <= line.size()) {  // full: it goes first
      send_buffered(buf);                               // unlocks
      buf.lock();
    }
    if (!buf.text) buf.text = TextChunkPool::shared()->take();
    buf.text->append(line.data(), line.size());
    buf.text->push_back('\n');
    ++buf.text_lines;
    buf.bytes += static_cast<int64_t>(line.size()) + 1;
    send_if_full(buf, buf.text_lines, kTextChunkMaxBytes);
  }

  // Called with buf locked: sends its chunk if it holds `n` >= the chunk
  // limit records or max_bytes bytes; unlocks.
  void send_if_full(StoreBuffer<T>& buf, int64_t n, int64_t max_bytes) {
    int64_t limit = chunk_limit_.load(std::memory_order_relaxed);
    if (limit == 0) {  // not attached yet when this thread started storing
      refresh_chunk_limit();
      limit = chunk_limit_.load(std::memory_order_relaxed);
    }
    if (limit == 0 || (n < limit && buf.bytes < max_bytes)) {
      buf.unlock();
      return;
    }
    send_buffered(buf);  // unlocks
  }

  // Called with buf locked: its text as a chunk. A chunk that fills half a
  // pooled buffer or more is the buffer itself (the thread goes on in
  // another from the pool); a smaller one is copied into memory of its own
  // size, and the thread keeps its buffer.
  static Chunk take_text(StoreBuffer<T>& buf) {
    const size_t size = buf.text->size();
    SharedText text;
    if (size * 2 < buf.text->capacity()) {
      text = shared_text(std::string(buf.text->view()));
      buf.text->clear();
    } else {
      text = TextChunkPool::shared()->share(std::move(buf.text));
    }
    buf.text_lines = 0;
    return Chunk{std::move(text), ChunkEncoding::text_lines, static_cast<int64_t>(size)};
  }

  static int64_t count_lines(std::string_view text) {
    int64_t n = 0;
    const char* p = text.data();
    const char* end = p + text.size();
    while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p))))) {
      ++n;
      ++p;
    }
    return n;
  }

  // This thread's buffer in this receiver: a thread-local cache hit costs a
  // compare; the first store of a thread registers its buffer.
  StoreBuffer<T>& local_buffer() {
    struct Cache {
      uint64_t instance = 0;
      StoreBuffer<T>* buffer = nullptr;
    };
    thread_local Cache cache;
    if (cache.instance == instance_) return *cache.buffer;
    std::lock_guard<std::mutex> lock(buffers_mutex_);
    const auto me = std::this_thread::get_id();
    StoreBuffer<T>* found = nullptr;
    for (auto& buf : buffers_)
      if (buf->owner == me) found = buf.get();
    if (!found) {
      buffers_.push_back(std::make_unique<StoreBuffer<T>>());
      found = buffers_.back().get();
      found->owner = me;
    }
    if (chunk_limit_.load(std::memory_order_relaxed) == 0) refresh_chunk_limit();
    cache = Cache{instance_, found};
    return *found;
  }

  // Sends this thread's buffered records (if any) ahead of what it stores
  // next; returns the buffer.
  StoreBuffer<T>& flush_local() {
    StoreBuffer<T>& buf = local_buffer();
    buf.lock();
    if (buf.records.empty() && !buf.has_text()) {
      buf.unlock();
      return buf;
    }
    send_buffered(buf);
    return buf;
  }

  // Called with buf locked: takes its records (or text) and sends them as a
  // chunk; unlocks.
  void send_buffered(StoreBuffer<T>& buf) {
    Chunk chunk;
    int64_t n = 0;
    if (buf.has_text()) {
      n = buf.text_lines;
      chunk = take_text(buf);
    } else {
      std::vector<T> full;
      full.swap(buf.records);
      // The next chunk is as long: no regrowth while it fills.
      buf.records.reserve(full.size());
      n = static_cast<int64_t>(full.size());
      chunk = records_chunk(std::move(full), buf.bytes);
    }
    buf.bytes = 0;
    buf.in_transit->fetch_add(1, std::memory_order_acq_rel);
    buf.unlock();
    send(std::move(chunk), n, buf.in_transit);
  }

  void push(std::vector<T> records, int64_t bytes, const std::shared_ptr<std::atomic<int>>& in_transit) {
    in_transit->fetch_add(1, std::memory_order_acq_rel);
    auto n = static_cast<int64_t>(records.size());
    send(records_chunk(std::move(records), bytes), n, in_transit);
  }

  static Chunk records_chunk(std::vector<T> records, int64_t bytes) {
    return Chunk{std::make_shared<const std::vector<T>>(std::move(records)), ChunkEncoding::records, bytes};
  }

  // in_transit was raised for this chunk of n records; the block generator
  // lowers it when it appends the chunk (push_chunk lowers it if nothing is
  // sent).
  void send(Chunk chunk, int64_t n, const std::shared_ptr<std::atomic<int>>& in_transit) {
    auto b = bridge();
    if (!b) {
      in_transit->fetch_sub(1, std::memory_order_acq_rel);
      return;
    }
    chunk_limit_.store(std::max<int64_t>(1, b->chunk_records()), std::memory_order_relaxed);
    b->push_chunk(std::move(chunk), n, in_transit);
  }

  void refresh_chunk_limit() {
    if (auto b = bridge()) chunk_limit_.store(std::max<int64_t>(1, b->chunk_records()), std::memory_order_relaxed);
  }

  const uint64_t instance_ = next_receiver_instance();
  std::mutex buffers_mutex_;
  std::vector<std::unique_ptr<StoreBuffer<T>>> buffers_;
  // Records per chunk, as the bridge last said (0: not asked yet; a store
  // before attach() buffers until the first cut).
  std::atomic<int64_t> chunk_limit_{0};
};

}  // namespace rill
