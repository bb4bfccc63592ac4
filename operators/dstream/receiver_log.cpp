#include "operators/dstream/receiver_log.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <filesystem>
#include <set>

#include "operators/dstream/dstream_graph.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/streaming_context_fwd.hpp"
#include "runtime/base/write_ahead_log.hpp"

namespace rill {

std::string receiver_log_directory(const std::string& checkpoint_dir, int stream_id) {
  return checkpoint_dir + "/receivedData/" + std::to_string(stream_id);
}

bool receiver_log_enabled(StreamingContext& ssc) {
  return !checkpoint_directory_of(ssc).empty() &&
         config_of(ssc).get(keys::wal_enable);
}

void recover_logged_blocks(StreamingContext& ssc, int stream_id, const std::string& stream_name,
                           const MetadataCheckpoint& c, const BlockDecoder& decode) {
  // Ids of recovered blocks are negative: they never meet a block generator's.
  static std::atomic<int64_t> next_id{-1};
  const std::string dir = receiver_log_directory(checkpoint_directory_of(ssc), stream_id);
  std::map<int64_t, std::vector<WalRecordHandle>> recorded;
  if (auto it = c.received_blocks.find(stream_id); it != c.received_blocks.end()) recorded = it->second;
  std::optional<WalRecordHandle> last;
  if (auto it = c.last_allocated_block.find(stream_id); it != c.last_allocated_block.end()) last = it->second;
  std::set<WalRecordHandle> wanted;
  for (const auto& [t, handles] : recorded) wanted.insert(handles.begin(), handles.end());

  std::map<WalRecordHandle, std::shared_ptr<ReceivedBlock>> found;
  std::vector<ReceivedBlockPtr> unallocated;
  std::vector<std::string> damaged;
  int64_t records = 0;
  read_wal(
      dir,
      [&](const WalRecordHandle& h, std::string payload) {
        const bool in_batch = wanted.count(h) > 0;
        if (!in_batch && last && !(*last < h)) return;  // processed before the checkpoint
        auto block = decode(payload, next_id--);
        block->stream_id = stream_id;
        block->wal = h;
        records += block->num_records;
        if (in_batch)
          found[h] = block;
        else
          unallocated.push_back(block);
      },
      &damaged);
  for (const auto& d : damaged) spdlog::error("{}: write-ahead log record not used: {}", stream_name, d);

  std::map<int64_t, std::vector<ReceivedBlockPtr>> pending;
  size_t in_batches = 0;
  for (const auto& [t, handles] : recorded) {
    std::vector<ReceivedBlockPtr> blocks;
    for (const auto& h : handles) {
      auto it = found.find(h);
      if (it == found.end())
        throw RillError(stream_name + ": the block of batch " + std::to_string(t) +
                        " ms logged in '" + h.segment + "' at offset " + std::to_string(h.offset) +
                        " is missing from the write-ahead log or damaged; its records cannot be recovered");
      blocks.push_back(it->second);
    }
    in_batches += blocks.size();
    if (t <= c.time_ms)
      graph_of(ssc).blocks().put(Time(t), {{stream_id, std::move(blocks)}});  // recomputed, not regenerated
    else
      pending[t] = std::move(blocks);
  }
  spdlog::info("{}: {} blocks ({} records) read back from the write-ahead log: {} in {} recorded batches, {} "
               "received but not yet in a batch",
               stream_name, in_batches + unallocated.size(), records, in_batches, recorded.size(), unallocated.size());
  graph_of(ssc).blocks().set_recovered(stream_id, std::move(pending), std::move(unallocated));
}

int delete_unneeded_log_segments(const std::string& checkpoint_dir, const MetadataCheckpoint& c) {
  int deleted = 0;
  for (const auto& [stream_id, last] : c.last_allocated_block) {
    // The oldest block still needed; segments started before its own hold
    // only older blocks (a segment is written in order).
    WalRecordHandle oldest = last;
    if (auto it = c.received_blocks.find(stream_id); it != c.received_blocks.end())
      for (const auto& [t, handles] : it->second)
        for (const auto& h : handles)
          if (h < oldest) oldest = h;
    const int64_t keep_from = wal_segment_start(oldest.segment);
    if (keep_from < 0) continue;
    for (const auto& segment : wal_segments(receiver_log_directory(checkpoint_dir, stream_id))) {
      if (wal_segment_start(segment) >= keep_from) break;
      std::error_code ec;
      if (std::filesystem::remove(segment, ec)) ++deleted;
    }
  }
  return deleted;
}

}  // namespace rill
