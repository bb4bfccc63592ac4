// BlockRDD: a batch's received blocks as an RDD. Blocks are cut by time and
// by size, so one fast receiver can deliver a batch as a few large blocks;
// to put every partition worker on them, a block larger than its share of the
// batch is split, at chunk boundaries, into several partitions (see
// plan_block_slices). Records keep their order: slice by slice, chunk by chunk.
#pragma once
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "operators/rdd/rdd_node.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/received_block.hpp"

namespace rill {

// Chunks [first_chunk, end_chunk) of one block: one partition of a BlockRDD.
struct BlockSlice {
  ReceivedBlockPtr block;
  size_t first_chunk = 0;
  size_t end_chunk = 0;
};

// No slice is made smaller than this (a task per tiny slice costs more than
// it gains).
constexpr int64_t kMinBlockSliceBytes = int64_t{256} << 10;

// The partitions of a batch of `blocks` for `parallelism` workers: each block
// in order, a block above max(total / (2 × parallelism), kMinBlockSliceBytes)
// bytes cut into slices of about that many bytes (never inside a chunk).
inline std::vector<BlockSlice> plan_block_slices(const std::vector<ReceivedBlockPtr>& blocks, int parallelism) {
  int64_t total = 0;
  for (const auto& b : blocks) total += b->bytes;
  const int64_t share = std::max(kMinBlockSliceBytes, total / (2 * std::max(1, parallelism)));
  std::vector<BlockSlice> slices;
  for (const auto& b : blocks) {
    const size_t n = b->chunks.size();
    if (b->bytes <= share || n <= 1) {
      slices.push_back({b, 0, n});
      continue;
    }
    size_t first = 0;
    int64_t bytes = 0;
    for (size_t c = 0; c < n; ++c) {
      bytes += b->chunks[c].bytes;
      if (bytes >= share && c + 1 < n) {
        slices.push_back({b, first, c + 1});
        first = c + 1;
        bytes = 0;
      }
    }
    slices.push_back({b, first, n});
  }
  return slices;
}

// Calls f(line) for each '\n'-terminated line of a text chunk's bytes, a
// trailing '\r' removed; `line` views `bytes`.
template <class F>
void for_each_text_line_view(std::string_view bytes, F&& f) {
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* stop = nl ? nl : end;
    size_t len = static_cast<size_t>(stop - p);
    if (len > 0 && stop[-1] == '\r') --len;
    f(std::string_view(p, len));
    p = nl ? nl + 1 : end;
  }
}

template <class T>
class BlockRDD : public RDDNode<T> {
 public:
  BlockRDD(std::shared_ptr<Executor> ex, const std::vector<ReceivedBlockPtr>& blocks, int parallelism)
      : BlockRDD(ex, plan_block_slices(blocks, parallelism)) {}

  void compute(int p, Sink<T> out) const override {
    for (const Chunk& chunk : chunks_of(p)) read_chunk(chunk, out);
  }

  PartitionPtr<T> materialize(int p) const override {
    const BlockSlice& s = slices_[p];
    const ChunkRange chunks = chunks_of(p);
    if (chunks.end_ - chunks.begin_ == 1 && chunks.begin_->encoding == ChunkEncoding::records)
      return typed_partition<T>(chunks.begin_->data);
    auto v = std::make_shared<std::vector<T>>();
    if (s.first_chunk == 0 && s.end_chunk == s.block->chunks.size()) v->reserve(s.block->num_records);
    compute(p, [&](const T& x) { v->push_back(x); });
    return v;
  }

  // A slice of a block another node holds is best read there.
  RDDBase::InputLocation preferred_location(int p) const override {
    const BlockSlice& s = slices_[p];
    if (!s.block->remote) return {};
    int64_t bytes = 0;
    for (size_t c = s.first_chunk; c < s.end_chunk; ++c) bytes += s.block->chunks[c].bytes;
    return {s.block->remote->node(), bytes};
  }

  // For text streams: partition p's lines as views into the block (received
  // text) or into its stored strings; valid as long as this RDD is.
  template <class TT = T>
  void for_each_view(int p, Sink<std::string_view> out) const {
    static_assert(std::is_same_v<TT, std::string>, "views are of std::string records");
    for (const Chunk& chunk : chunks_of(p)) {
      if (chunk.encoding == ChunkEncoding::text_lines) {
        for_each_text_line_view(chunk_text(chunk), out);
      } else {
        for (const auto& x : *typed_partition<std::string>(chunk.data)) out(std::string_view(x));
      }
    }
  }

 private:
  BlockRDD(std::shared_ptr<Executor> ex, std::vector<BlockSlice> slices)
      : RDDNode<T>(std::move(ex), static_cast<int>(slices.size())),
        slices_(std::move(slices)),
        fetch_mutexes_(new std::mutex[slices_.size()]),
        fetched_(slices_.size()) {}

  struct ChunkRange {
    const Chunk* begin_;
    const Chunk* end_;
    const Chunk* begin() const { return begin_; }
    const Chunk* end() const { return end_; }
  };

  // Partition p's chunks with their data: the block's own, or, for a block
  // another node holds, read from there once and kept while this RDD lives
  // (so views into them stay valid). Partitions read in parallel.
  ChunkRange chunks_of(int p) const {
    const BlockSlice& s = slices_[p];
    if (!s.block->remote) return {s.block->chunks.data() + s.first_chunk, s.block->chunks.data() + s.end_chunk};
    std::lock_guard<std::mutex> lock(fetch_mutexes_[p]);
    auto& chunks = fetched_[p];
    if (!chunks)
      chunks = std::make_shared<const std::vector<Chunk>>(s.block->remote->read(*s.block, s.first_chunk, s.end_chunk));
    return {chunks->data(), chunks->data() + chunks->size()};
  }

  static void read_chunk(const Chunk& chunk, Sink<T> out) {
    if (chunk.encoding == ChunkEncoding::records) {
      for (const auto& x : *typed_partition<T>(chunk.data)) out(x);
      return;
    }
    if constexpr (std::is_same_v<T, std::string>) {
      std::string line;  // reused: a line costs no allocation once the buffer has grown
      for_each_text_line_view(chunk_text(chunk), [&](std::string_view v) {
        line.assign(v.data(), v.size());
        out(line);
      });
    } else {
      throw RillError("a text chunk in a stream whose records are not std::string");
    }
  }

  std::vector<BlockSlice> slices_;
  std::unique_ptr<std::mutex[]> fetch_mutexes_;                             // [partition]
  mutable std::vector<std::shared_ptr<const std::vector<Chunk>>> fetched_;  // [partition], remote blocks
};

}  // namespace rill
