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
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "runtime/received_block.hpp"
#include "runtime/record_size.hpp"

namespace rill {

enum class StorageLevel { memory_only, memory_only_2, memory_and_disk, memory_and_disk_ser,
                          memory_and_disk_ser_2 };

// The supervisor's side of a running receiver. Implemented by the engine.
class ReceiverBridge {
 public:
  virtual ~ReceiverBridge() = default;
  // Hands a chunk of `n` records to the block generator; blocks while the
  // credit window is exhausted or the rate limit says wait. Returns false when
  // the receiver is stopping (the chunk is then still delivered).
  virtual bool push_chunk(Chunk chunk, int64_t n) = 0;
  // Stores a chunk as a block of its own and returns once it is stored and
  // reported (Spark's reliable store of many records). The same credits,
  // byte bound and rate limit apply.
  virtual void push_block(Chunk chunk, int64_t n) = 0;
  virtual void restart(const std::string& message) = 0;
  virtual void report_error(const std::string& message) = 0;
  virtual bool stopped() const = 0;
  // Records per chunk: rill.flow.chunkRecords, or about 50 ms' worth under a
  // rate limit.
  virtual int64_t chunk_records() const = 0;
};

// A chunk stops growing at this many bytes, whatever its record count.
constexpr int64_t kChunkMaxBytes = int64_t{1} << 20;

// What the supervisor calls, without knowing the record type.
class ReceiverBase {
 public:
  explicit ReceiverBase(StorageLevel level) : storage_level_(level) {}
  virtual ~ReceiverBase() = default;
  virtual void on_start() = 0;
  virtual void on_stop() = 0;
  StorageLevel storage_level() const { return storage_level_; }

  // -- engine side ------------------------------------------------------------
  void attach(std::shared_ptr<ReceiverBridge> bridge) {
    std::lock_guard<std::mutex> lock(bridge_mutex_);
    bridge_ = std::move(bridge);
  }
  // Takes the records stored one at a time since the last drain, as one
  // chunk of `records` records; false when there are none. The block
  // generator calls it when it cuts.
  virtual bool drain(Chunk& chunk, int64_t& records) = 0;

  bool is_stopped() const {
    auto b = bridge();
    return !b || b->stopped();
  }

 protected:
  // Asks the supervisor to stop the receiver, wait, and start it again.
  void restart(const std::string& message) {
    if (auto b = bridge()) b->restart(message);
  }
  // Reports an error to the driver (listeners, logs) without stopping.
  void report_error(const std::string& message) {
    if (auto b = bridge()) b->report_error(message);
  }
  std::shared_ptr<ReceiverBridge> bridge() const {
    std::lock_guard<std::mutex> lock(bridge_mutex_);
    return bridge_;
  }

 private:
  StorageLevel storage_level_;
  mutable std::mutex bridge_mutex_;
  std::shared_ptr<ReceiverBridge> bridge_;
};

template <class T>
class Receiver : public ReceiverBase {
 public:
  explicit Receiver(StorageLevel level = StorageLevel::memory_and_disk_ser_2)
      : ReceiverBase(level) {}

  bool drain(Chunk& chunk, int64_t& records) override {
    std::lock_guard<std::mutex> lock(buffer_mutex_);
    if (buffer_.empty()) return false;
    records = static_cast<int64_t>(buffer_.size());
    chunk = Chunk{std::make_shared<const std::vector<T>>(std::move(buffer_)), ChunkEncoding::records, buffer_bytes_};
    buffer_ = std::vector<T>();
    buffer_bytes_ = 0;
    return true;
  }

 protected:
  // Buffers one record into the current block.
  void store(T record) {
    std::vector<T> full;
    int64_t bytes = 0;
    {
      std::lock_guard<std::mutex> lock(buffer_mutex_);
      buffer_bytes_ += approximate_bytes(record);
      buffer_.push_back(std::move(record));
      auto b = bridge();
      if (!b || (static_cast<int64_t>(buffer_.size()) < b->chunk_records() && buffer_bytes_ < kChunkMaxBytes)) return;
      full.swap(buffer_);
      bytes = buffer_bytes_;
      buffer_bytes_ = 0;
    }
    push(std::move(full), bytes);
  }

  // Hands many records to the block generator at once; they join the current
  // block. Blocks while the pipeline is behind (see the file comment).
  void store_buffered(std::vector<T> records) {
    if (records.empty()) return;
    int64_t bytes = approximate_bytes(records);
    push(std::move(records), bytes);
  }

  // For text receivers (T = std::string): hands over `lines`, complete lines
  // each ending in '\n' (a "\r\n" ending loses its '\r' when read), `n` of
  // them. They join the current block without being split into records here;
  // under a rate limit they go in pieces of chunk_records() lines.
  void store_text_lines(std::string lines, int64_t n) {
    static_assert(std::is_same_v<T, std::string>, "store_text_lines is for Receiver<std::string>");
    if (n == 0) return;
    auto b = bridge();
    if (!b) return;
    const int64_t per_chunk = b->chunk_records();
    if (n <= per_chunk) {
      auto bytes = static_cast<int64_t>(lines.size());
      b->push_chunk(Chunk{std::make_shared<const std::string>(std::move(lines)), ChunkEncoding::text_lines, bytes}, n);
      return;
    }
    const char* p = lines.data();
    const char* end = p + lines.size();
    while (p < end) {
      const char* piece_end = p;
      int64_t k = 0;
      while (k < per_chunk && piece_end < end) {
        piece_end = static_cast<const char*>(std::memchr(piece_end, '\n', static_cast<size_t>(end - piece_end))) + 1;
        ++k;
      }
      auto piece = std::make_shared<const std::string>(p, piece_end);
      auto bytes = static_cast<int64_t>(piece->size());
      b->push_chunk(Chunk{std::move(piece), ChunkEncoding::text_lines, bytes}, k);
      p = piece_end;
    }
  }

  // Reliable store: the records become a block of their own; returns once the
  // block is stored and reported to the driver.
  void store(std::vector<T> records) {
    if (records.empty()) return;
    auto n = static_cast<int64_t>(records.size());
    int64_t bytes = approximate_bytes(records);
    if (auto b = bridge())
      b->push_block(Chunk{std::make_shared<const std::vector<T>>(std::move(records)), ChunkEncoding::records, bytes}, n);
  }

 private:
  void push(std::vector<T> records, int64_t bytes) {
    auto n = static_cast<int64_t>(records.size());
    if (auto b = bridge())
      b->push_chunk(Chunk{std::make_shared<const std::vector<T>>(std::move(records)), ChunkEncoding::records, bytes}, n);
  }

  std::mutex buffer_mutex_;
  std::vector<T> buffer_;
  int64_t buffer_bytes_ = 0;
};

}  // namespace rill
