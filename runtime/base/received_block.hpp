// Blocks of received records and the record of which blocks belong to which
// batch. A block is the unit a receiver's data is stored, reported and
// processed in: each block becomes one partition of its batch's RDD.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "runtime/base/task.hpp"
#include "runtime/base/time.hpp"
#include "runtime/base/write_ahead_log.hpp"

namespace rill {

// How a chunk holds its records: as an immutable std::vector<T> of the
// stream's record type, or (text sources) as SharedText: complete
// '\n'-terminated lines, split when the block is read. The second is how
// Spark's receivers keep blocks, serialized (MEMORY_AND_DISK_SER_2): a line
// costs its bytes, not an allocation, and splitting runs in parallel tasks.
enum class ChunkEncoding : uint8_t { records, text_lines };

struct Chunk {
  ErasedPartition data;  // std::vector<T> (records) or std::string_view (text_lines)
  ChunkEncoding encoding = ChunkEncoding::records;
  int64_t bytes = 0;  // approximate memory it holds (runtime/base/record_size.hpp)
};

// The bytes of a text chunk, which never change. The pointer keeps their
// memory alive, whoever owns it: a pooled buffer (receivers/text_chunk_pool.hpp),
// a std::string, or a larger text this is a piece of.
using SharedText = std::shared_ptr<const std::string_view>;

// A text_lines chunk's bytes.
inline std::string_view chunk_text(const Chunk& chunk) {
  return *std::static_pointer_cast<const std::string_view>(chunk.data);
}

// `text` as SharedText, moved, not copied.
inline SharedText shared_text(std::string text) {
  struct Owned {
    std::string text;
    std::string_view view;
  };
  auto owned = std::make_shared<Owned>();
  owned->text = std::move(text);
  owned->view = owned->text;
  return SharedText(owned, &owned->view);
}

// Shared `text` as SharedText; it stays alive as long as the result.
inline SharedText shared_text(std::shared_ptr<const std::string> text) {
  struct Held {
    std::shared_ptr<const std::string> text;
    std::string_view view;
  };
  auto held = std::make_shared<Held>();
  held->text = std::move(text);
  held->view = *held->text;
  return SharedText(held, &held->view);
}

// `piece`, a part of `whole`, as SharedText that keeps `whole` alive: no copy.
inline SharedText text_piece(SharedText whole, std::string_view piece) {
  struct Piece {
    SharedText whole;
    std::string_view view;
  };
  auto held = std::make_shared<Piece>();
  held->whole = std::move(whole);
  held->view = piece;
  return SharedText(held, &held->view);
}

struct ReceivedBlock;

// Reads the records of a block another node holds (a receiver on a worker
// stored it there).
class RemoteBlockReader {
 public:
  virtual ~RemoteBlockReader() = default;
  // The holder's node id ("host/pid"), and the holder for messages ("worker host/pid").
  virtual std::string node() const = 0;
  virtual std::string holder() const = 0;
  // Chunks [first, end) of `block`, with their data; blocks the calling
  // thread. Throws RillError naming the holder when they cannot be read.
  virtual std::vector<Chunk> read(const ReceivedBlock& block, size_t first, size_t end) const = 0;
};

struct ReceivedBlock {
  int64_t id = 0;
  int stream_id = 0;
  int64_t num_records = 0;
  int64_t bytes = 0;  // sum of its chunks' bytes
  // The records, as the chunks the receiver handed over.
  std::vector<Chunk> chunks;
  // Where the write-ahead log holds it (when the log is on).
  std::optional<WalRecordHandle> wal;
  // Set when another node holds the records: then each chunk carries its
  // encoding and bytes only (null data), and `remote` reads them.
  std::shared_ptr<const RemoteBlockReader> remote;
};
using ReceivedBlockPtr = std::shared_ptr<const ReceivedBlock>;
using BlockAllocation = std::map<int, std::vector<ReceivedBlockPtr>>;  // stream id -> blocks

// The received blocks this node holds, by id (its block manager's store; a
// worker's task server serves them to other nodes from here). It has internal
// synchronization and may be used from any thread.
class ReceivedBlockIndex {
 public:
  void put(ReceivedBlockPtr block) {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_[block->id] = std::move(block);
  }
  ReceivedBlockPtr get(int64_t id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find(id);
    return it == blocks_.end() ? nullptr : it->second;
  }
  void erase(int64_t id) {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks_.erase(id);
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return blocks_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_map<int64_t, ReceivedBlockPtr> blocks_;
};

// Blocks allocated to batches, by (stream, batch time). Written by the job
// generator, read when a receiver stream computes its RDD, erased when the
// stream forgets the batch. It has internal synchronization: those are three
// different threads.
class ReceivedBlockStore {
 public:
  void put(Time t, const BlockAllocation& allocation) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& kv : allocation) blocks_[{kv.first, t}] = kv.second;
  }
  std::vector<ReceivedBlockPtr> get(int stream_id, Time t) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = blocks_.find({stream_id, t});
    return it == blocks_.end() ? std::vector<ReceivedBlockPtr>{} : it->second;
  }
  // Removes the stream's allocations of every batch at or before `cutoff`
  // and returns their blocks.
  // The (stream, batch time) pairs that have an allocation.
  std::vector<std::pair<int, Time>> keys() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::pair<int, Time>> out;
    for (const auto& kv : blocks_) out.push_back(kv.first);
    return out;
  }
  std::vector<ReceivedBlockPtr> erase_through(int stream_id, Time cutoff) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<ReceivedBlockPtr> out;
    auto it = blocks_.lower_bound({stream_id, Time(INT64_MIN)});
    while (it != blocks_.end() && it->first.first == stream_id && it->first.second <= cutoff) {
      out.insert(out.end(), it->second.begin(), it->second.end());
      it = blocks_.erase(it);
    }
    return out;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return blocks_.size();
  }

  // -- blocks a restarted driver read back from the write-ahead log ------------
  // For the receiver tracker: batches after the last completed one get the
  // blocks they had before the restart; the first batch it allocates also
  // gets the blocks that had been received but not allocated.
  void set_recovered(int stream_id, std::map<int64_t, std::vector<ReceivedBlockPtr>> allocations,
                     std::vector<ReceivedBlockPtr> unallocated) {
    std::lock_guard<std::mutex> lock(mutex_);
    recovered_allocations_[stream_id] = std::move(allocations);
    recovered_unallocated_[stream_id] = std::move(unallocated);
  }
  std::optional<std::vector<ReceivedBlockPtr>> take_recovered_allocation(int stream_id, Time t) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto s = recovered_allocations_.find(stream_id);
    if (s == recovered_allocations_.end()) return std::nullopt;
    auto it = s->second.find(t.milliseconds());
    if (it == s->second.end()) return std::nullopt;
    auto blocks = std::move(it->second);
    s->second.erase(it);
    return blocks;
  }
  std::vector<ReceivedBlockPtr> take_recovered_unallocated(int stream_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = recovered_unallocated_.find(stream_id);
    if (it == recovered_unallocated_.end()) return {};
    auto blocks = std::move(it->second);
    recovered_unallocated_.erase(it);
    return blocks;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<int, Time>, std::vector<ReceivedBlockPtr>> blocks_;
  std::map<int, std::map<int64_t, std::vector<ReceivedBlockPtr>>> recovered_allocations_;
  std::map<int, std::vector<ReceivedBlockPtr>> recovered_unallocated_;
};

}  // namespace rill
