// StreamingContext's recovery of a restarted driver: get_or_create reads the
// newest metadata checkpoint, checks it belongs to this program, and restores
// the graph's pending batches, file lists and state checkpoints; with the
// write-ahead log, the receivers' logged blocks are read back too.
#include "runtime/streaming_context.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "actors/engine.hpp"
#include "runtime/base/cluster_auth.hpp"
#include "runtime/base/files.hpp"
#include "runtime/base/logging.hpp"

namespace rill {

std::unique_ptr<StreamingContext> StreamingContext::get_or_create(
    const std::string& directory, const std::function<std::unique_ptr<StreamingContext>()>& factory) {
  ensure_logging();
  std::vector<std::string> damaged;
  auto checkpoint = read_newest_metadata_checkpoint(directory, &damaged);
  for (const auto& d : damaged)
    spdlog::error("damaged metadata checkpoint, not used: {}{}", d,
                  checkpoint ? " (the one before it is used)" : "");
  if (!checkpoint && !damaged.empty())
    throw RillError("no metadata checkpoint in '" + directory + "' reads back whole (" + damaged.front() +
                    "); to start fresh, remove or rename the checkpoint directory");
  std::unique_ptr<StreamingContext> ssc = factory();
  if (!ssc) throw RillError("get_or_create: the factory returned no StreamingContext");
  if (ssc->checkpoint_dir_.empty())
    ssc->checkpoint(directory);
  else if (std::filesystem::weakly_canonical(ssc->checkpoint_dir_) != std::filesystem::weakly_canonical(directory))
    throw ConfigError("get_or_create('" + directory + "'): the factory set another checkpoint directory, '" +
                      ssc->checkpoint_dir_ + "'");
  if (!checkpoint) {
    spdlog::info("no metadata checkpoint in '{}': starting fresh", directory);
    return ssc;
  }
  const uint64_t fingerprint = ssc->graph_->fingerprint();
  if (fingerprint != checkpoint->graph_fingerprint) {
    throw ConfigError("the program changed since the checkpoint in '" + directory +
                      "' was written (graph fingerprint " + fingerprint_hex(fingerprint) + ", checkpoint's " +
                      fingerprint_hex(checkpoint->graph_fingerprint) +
                      "): its state and pending batches cannot be applied to another graph; to start fresh, "
                      "remove or rename the checkpoint directory, or use another one");
  }
  if (checkpoint->batch_ms != ssc->batch_.milliseconds())
    throw ConfigError("the checkpoint in '" + directory + "' was written with a batch interval of " +
                      std::to_string(checkpoint->batch_ms) + " ms, the program's is " + ssc->batch_.to_string());
  for (const auto& [key, value] : checkpoint->config) {
    auto now = ssc->conf_.entries().find(key);
    if (now == ssc->conf_.entries().end() || now->second != value)
      spdlog::warn("configuration changed since the checkpoint: {} was '{}', is now '{}'", key, value,
                   now == ssc->conf_.entries().end() ? std::string("(default)") : now->second);
  }
  remove_stale_temporaries(directory + "/metadata");  // checkpoints a crash interrupted
  ssc->recovered_ = std::move(checkpoint);
  return ssc;
}

Time StreamingContext::restore_from_checkpoint() {
  const MetadataCheckpoint& c = *recovered_;
  graph_->start(Time(c.zero_time_ms));
  graph_->restore_checkpoint_data(c);
  // A manual clock starts at zero in a new process: it resumes at the
  // checkpoint's time (as Spark's does), or at its last pending batch, so
  // that the pending batches run again at once.
  if (auto* manual = manual_clock()) {
    int64_t resume = c.pending_batches.empty() ? c.time_ms : std::max(c.time_ms, c.pending_batches.back());
    if (manual->now_ms() < resume) manual->set_time(resume);
  }
  Time first(c.time_ms + batch_.milliseconds());
  const int64_t now = clock_->now_ms();
  const int64_t down = now >= first.milliseconds() ? (now - c.time_ms) / batch_.milliseconds() : 0;
  std::string pending;
  for (int64_t t : c.pending_batches) pending += (pending.empty() ? "" : ", ") + std::to_string(t);
  spdlog::info("recovering from the checkpoint in '{}': every batch through {} ms completed; regenerating the "
               "batches pending then ({}) and those due while the driver was down ({} in all) before new ones",
               checkpoint_dir_, c.time_ms, pending.empty() ? "none" : pending, down);
  return first;
}

void StreamingContext::check_write_ahead_log_usable() {
  if (!conf_.get(keys::wal_enable)) return;
  if (checkpoint_dir_.empty())
    throw ConfigError(
        "rill.streaming.receiver.writeAheadLog.enable is true but no checkpoint directory is set: the log is "
        "written under it; call StreamingContext::checkpoint(dir) before start()");
  for (const auto& stream : graph_->receiver_streams())
    if (!stream->loggable())
      throw ConfigError(stream->stream_name() + ": its record type (" + stream->record_type_name() +
                        ") cannot be written to the write-ahead log; give it Boost.Serialization (a member "
                        "serialize(Archive&, unsigned), or specialize rill::is_serializable) or turn "
                        "rill.streaming.receiver.writeAheadLog.enable off");
}

void StreamingContext::check_checkpoint_directory_writable() const {
  const std::string probe = checkpoint_dir_ + "/.rill-writable";
  try {
    write_file_durably(probe, "");
  } catch (const std::exception& e) {
    throw RillError("the checkpoint directory '" + checkpoint_dir_ + "' is not writable: " + e.what());
  }
  std::error_code ec;
  std::filesystem::remove(probe, ec);
}

}  // namespace rill
