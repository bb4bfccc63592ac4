// wal_writer: appends a receiver stream's blocks to its write-ahead log, on a
// thread of its own (detached: each append may fsync).
//
// Protocol: (block_atom, block_msg) -> block_msg — the same block with its
// log position set, replied once the record is written (and on disk, unless
// rill.streaming.receiver.writeAheadLog.fsync=false); an error naming the
// segment when it cannot be. Segments older than what the newest metadata
// checkpoint still needs are deleted by the checkpoint writer.
#include <spdlog/spdlog.h>

#include "actors/actors.hpp"
#include "runtime/base/thread_name.hpp"
#include "runtime/base/write_ahead_log.hpp"

namespace rill {

namespace {
struct wal_writer_state {
  std::unique_ptr<WriteAheadLog> log;
  std::function<EncodedBlock(const ReceivedBlock&)> encode;
};
using wal_actor = wal_writer_actor::stateful_pointer<wal_writer_state>;

wal_writer_actor::behavior_type wal_writer(wal_actor self, WalWriterSetup setup) {
  name_failures(self, "wal_writer");
  name_this_thread("rill.wal");  // detached: this is its own thread
  self->state.log = std::make_unique<WriteAheadLog>(setup.directory, setup.options);
  self->state.encode = std::move(setup.encode);
  return {
      [=](block_atom, const block_msg& m) -> caf::result<block_msg> {
        auto& st = self->state;
        try {
          auto logged = std::make_shared<ReceivedBlock>(*m.block);
          EncodedBlock encoded = st.encode(*m.block);
          logged->wal = st.log->write(encoded.parts, wall_clock_ms());
          return block_msg{std::move(logged)};
        } catch (const std::exception& e) {
          return caf::make_error(caf::sec::runtime_error, e.what());
        }
      },
  };
}
}  // namespace

wal_writer_actor spawn_wal_writer(caf::actor_system& sys, WalWriterSetup setup) {
  return sys.spawn<caf::detached>(wal_writer, std::move(setup));
}

}  // namespace rill
