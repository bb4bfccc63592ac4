// Blocks of received records and the record of which blocks belong to which
// batch. A block is the unit a receiver's data is stored, reported and
// processed in: each block becomes one partition of its batch's RDD.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "runtime/task.hpp"
#include "runtime/time.hpp"

namespace rill {

// How a chunk holds its records: as an immutable std::vector<T> of the
// stream's record type, or (text sources) as one std::string of complete
// '\n'-terminated lines, split when the block is read. The second is how
// Spark's receivers keep blocks, serialized (MEMORY_AND_DISK_SER_2): a line
// costs its bytes, not an allocation, and splitting runs in parallel tasks.
enum class ChunkEncoding : uint8_t { records, text_lines };

struct Chunk {
  ErasedPartition data;
  ChunkEncoding encoding = ChunkEncoding::records;
  int64_t bytes = 0;  // approximate memory it holds (runtime/record_size.hpp)
};

struct ReceivedBlock {
  int64_t id = 0;
  int stream_id = 0;
  int64_t num_records = 0;
  int64_t bytes = 0;  // sum of its chunks' bytes
  // The records, as the chunks the receiver handed over.
  std::vector<Chunk> chunks;
};
using ReceivedBlockPtr = std::shared_ptr<const ReceivedBlock>;
using BlockAllocation = std::map<int, std::vector<ReceivedBlockPtr>>;  // stream id -> blocks

// Blocks allocated to batches, by (stream, batch time). Written by the job
// generator, read when a receiver stream computes its RDD, erased when the
// stream forgets the batch.
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

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<int, Time>, std::vector<ReceivedBlockPtr>> blocks_;
};

}  // namespace rill
