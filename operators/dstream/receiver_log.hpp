// A receiver stream's write-ahead log on the driver's side of recovery: where
// it lives, and reading back what a restarted driver needs from it.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/received_block.hpp"

namespace rill {

class StreamingContext;

// <checkpoint dir>/receivedData/<stream id>
std::string receiver_log_directory(const std::string& checkpoint_dir, int stream_id);
// True when `ssc` logs received blocks (the key is set and a checkpoint
// directory too).
bool receiver_log_enabled(StreamingContext& ssc);

using BlockDecoder = std::function<std::shared_ptr<ReceivedBlock>(const std::string& payload, int64_t id)>;

// Reads back stream `stream_id`'s logged blocks that checkpoint `c` names
// (the blocks of each batch it records) and those logged after the last
// allocated one (received, not yet in a batch), and hands them over: the
// blocks of completed batches to the graph's block store, the others to the
// receiver tracker (ReceivedBlockStore::set_recovered). A block `c` names
// that the log lacks, or that fails its check, is a RillError naming it; a
// torn record at the end of a segment (a crash mid-append) is logged and
// dropped.
void recover_logged_blocks(StreamingContext& ssc, int stream_id, const std::string& stream_name,
                           const MetadataCheckpoint& c, const BlockDecoder& decode);

// Deletes the log segments of every receiver stream that hold only blocks a
// restart from checkpoint `c` (already written) no longer needs: those older
// than the segment of the oldest block `c` records, or, when it records none,
// of the last allocated block. Returns how many were deleted.
int delete_unneeded_log_segments(const std::string& checkpoint_dir, const MetadataCheckpoint& c);

}  // namespace rill
