// checkpoint_writer: writes metadata checkpoints off the batch path, on a
// thread of its own (detached: each write fsyncs a file and its directory).
//
// Protocol:
//   (checkpoint_atom, MetadataCheckpoint)        a checkpoint to write; when
//       several arrive before the writer gets to them, only the newest is
//       written (each supersedes the ones before it).
//   (checkpoint_atom, MetadataCheckpoint, true)  write this one now and reply
//       true once it is on disk (the final checkpoint of a stop).
// A write that fails is reported once through `on_error`, naming the path;
// later checkpoints are still tried.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "operators/dstream/receiver_log.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/thread_name.hpp"

namespace rill {

namespace {
struct checkpoint_writer_state {
  CheckpointWriterSetup setup;
  std::optional<MetadataCheckpoint> pending;
  bool failing = false;
};
using writer_actor = checkpoint_writer_actor::stateful_pointer<checkpoint_writer_state>;

bool write(writer_actor self, const MetadataCheckpoint& c) {
  auto& st = self->state;
  try {
    auto started = std::chrono::steady_clock::now();
    write_metadata_checkpoint(st.setup.directory, c);
    // Only now that a checkpoint no longer names them.
    delete_unneeded_log_segments(st.setup.directory, c);
    spdlog::debug("metadata checkpoint (batches through {} ms completed) written in {} µs", c.time_ms,
                  std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started)
                      .count());
    if (st.failing) spdlog::info("metadata checkpoints are written again (batches through {} ms completed)", c.time_ms);
    st.failing = false;
    return true;
  } catch (const std::exception& e) {
    if (!st.failing) {
      spdlog::error("writing the metadata checkpoint (batches through {} ms completed) failed: {}", c.time_ms,
                    e.what());
      if (st.setup.on_error) st.setup.on_error(std::to_string(c.time_ms) + " ms", e.what());
    }
    st.failing = true;
    return false;
  }
}

checkpoint_writer_actor::behavior_type checkpoint_writer(writer_actor self, CheckpointWriterSetup setup) {
  name_failures(self, "checkpoint_writer");
  name_this_thread("rill.checkpoint");  // detached: this is its own thread
  self->state.setup = std::move(setup);
  return {
      [=](checkpoint_atom, MetadataCheckpoint& c) {
        auto& st = self->state;
        bool queued = st.pending.has_value();
        st.pending = std::move(c);
        if (!queued) self->send(self, flush_atom::value);
      },
      [=](flush_atom) {
        auto& st = self->state;
        if (!st.pending) return;
        MetadataCheckpoint c = std::move(*st.pending);
        st.pending.reset();
        write(self, c);
      },
      [=](checkpoint_atom, MetadataCheckpoint& c, bool) -> bool {
        self->state.pending.reset();
        return write(self, c);
      },
  };
}
}  // namespace

checkpoint_writer_actor spawn_checkpoint_writer(caf::actor_system& sys, CheckpointWriterSetup setup) {
  return sys.spawn<caf::detached>(checkpoint_writer, std::move(setup));
}

}  // namespace rill
