// Metadata checkpoints: what a restarted driver needs to resume a streaming
// application (Spark's Checkpoint): the configuration, the graph's
// fingerprint, the batches generated but not completed, each file stream's
// files per batch, and the newest complete state checkpoint of each stateful
// stream. One file per checkpoint, <dir>/metadata/checkpoint-<ms>, framed
// like object files (magic, version, length, CRC-32: runtime/base/object_file.hpp)
// and written atomically (temporary file, fsync, rename, fsync of the
// directory). The two newest are kept.
//
// Reading takes the newest checkpoint that reads back whole; a damaged one
// (torn write, flipped bits, truncation) is reported by path and the one
// before it is used.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/write_ahead_log.hpp"

namespace rill {

struct MetadataCheckpoint {
  int64_t time_ms = 0;          // every batch at or before this time has completed
  int64_t zero_time_ms = 0;     // the run's zero time: batch times are zero + k * batch
  int64_t batch_ms = 0;         // the batch interval
  uint64_t graph_fingerprint = 0;
  std::map<std::string, std::string> config;          // the rill.* keys set
  std::vector<int64_t> pending_batches;               // generated, not completed
  std::map<int, std::map<int64_t, std::vector<std::string>>> input_files;  // stream -> batch -> files
  std::map<int, int64_t> state_checkpoints;           // stream -> newest complete state checkpoint
  // Batches after this may be recomputed by a restarted driver (the oldest
  // state checkpoint time, or what windows need); the data of later batches
  // is kept, and write-ahead log segments of earlier ones may be deleted.
  int64_t recompute_from_ms = 0;
  // With the write-ahead log: per receiver stream, the logged blocks of each
  // batch after recompute_from_ms, and the newest block allocated to any
  // batch (the blocks logged after it had not been allocated).
  std::map<int, std::map<int64_t, std::vector<WalRecordHandle>>> received_blocks;
  std::map<int, WalRecordHandle> last_allocated_block;

  bool operator==(const MetadataCheckpoint& o) const {
    return time_ms == o.time_ms && zero_time_ms == o.zero_time_ms && batch_ms == o.batch_ms &&
           graph_fingerprint == o.graph_fingerprint && config == o.config &&
           pending_batches == o.pending_batches && input_files == o.input_files &&
           state_checkpoints == o.state_checkpoints && recompute_from_ms == o.recompute_from_ms &&
           received_blocks == o.received_blocks && last_allocated_block == o.last_allocated_block;
  }
};

// Writes `c` as <dir>/metadata/checkpoint-<time_ms>, durably, then deletes all
// but the two newest. Throws RillError naming the path when it cannot.
void write_metadata_checkpoint(const std::string& dir, const MetadataCheckpoint& c);

// The newest checkpoint of `dir` that reads back whole, or none. Each newer
// one that is damaged is appended to `damaged` as "path: reason".
std::optional<MetadataCheckpoint> read_newest_metadata_checkpoint(const std::string& dir,
                                                                  std::vector<std::string>* damaged);

}  // namespace rill
