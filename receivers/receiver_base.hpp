// What the engine sees of a receiver, without its record type: ReceiverBase
// (start, stop, drain what was stored one record at a time) and the
// ReceiverBridge the engine attaches to it, through which store() hands
// records over (credits, byte bound, rate limit). Users derive from
// Receiver<T> (receivers/receiver.hpp), not from these.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/base/received_block.hpp"

namespace rill {

enum class StorageLevel { memory_only, memory_only_2, memory_and_disk, memory_and_disk_ser,
                          memory_and_disk_ser_2 };

// The supervisor's side of a running receiver. Implemented by the engine.
class ReceiverBridge {
 public:
  virtual ~ReceiverBridge() = default;
  // Hands a chunk of `n` records to the block generator; blocks while the
  // credit window is exhausted or the rate limit says wait. Returns false when
  // the receiver is stopping (the chunk is then still delivered). The block
  // generator decrements *in_transit (if given) once it has appended the
  // chunk; so does push_chunk if it cannot send it.
  virtual bool push_chunk(Chunk chunk, int64_t n, std::shared_ptr<std::atomic<int>> in_transit = nullptr) = 0;
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
    current_.store(bridge.get(), std::memory_order_release);
    if (bridge) attached_.push_back(bridge);
    bridge_ = std::move(bridge);
  }
  // Takes the records stored one at a time since the last drain: appends
  // them to `chunks` (a chunk of records, and for std::string records a text
  // chunk per storing thread) and adds their number to `records`; false when
  // there are none. The block generator calls it when it cuts.
  virtual bool drain(std::vector<Chunk>& chunks, int64_t& records) = 0;

  // Cheap enough to call once per record: one atomic load, no lock.
  bool is_stopped() const {
    const ReceiverBridge* b = current_.load(std::memory_order_acquire);
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
  // The bridge is_stopped() reads without the lock; every bridge ever
  // attached is kept (one per start), so this pointer never dangles.
  std::atomic<const ReceiverBridge*> current_{nullptr};
  std::vector<std::shared_ptr<ReceiverBridge>> attached_;
};

}  // namespace rill
