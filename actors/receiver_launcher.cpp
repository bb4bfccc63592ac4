// launch_receiver: the actors one receiver needs on the node it runs on, and
// the flow-control settings they share (actors/block_generator.cpp says what
// each bound means).
#include <algorithm>

#include "actors/actors.hpp"
#include "actors/supervisor_bridge.hpp"
#include "operators/dstream/receiver_log.hpp"
#include "receivers/receiver_stream.hpp"
#include "receivers/text_chunk_pool.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

int64_t initial_receiver_rate(const Config& conf) {
  const int64_t max_rate = conf.get(keys::receiver_max_rate);
  if (!conf.get(keys::backpressure_enabled)) return max_rate;
  const int64_t initial = conf.get(keys::backpressure_initial_rate);
  if (initial <= 0) return max_rate;
  return max_rate > 0 ? std::min(initial, max_rate) : initial;
}

LaunchedReceiver launch_receiver(caf::scheduled_actor* owner, const ReceiverLaunch& launch) {
  const Config& conf = *launch.config;
  ReceiverStreamBase* stream = launch.stream;
  int credits = static_cast<int>(conf.get(keys::flow_credits));
  int64_t chunk = conf.get(keys::flow_chunk_records);
  Duration block_interval = conf.get(keys::block_interval);
  Duration restart_delay = conf.get(keys::receiver_restart_delay);
  const int64_t batch_ms = launch.batch.milliseconds();
  // Blocks wait for their batch to complete before their credit returns; by
  // default allow three batches' worth of interval-cut blocks, and as many
  // size-cut blocks as the byte bound holds (twice over), so the count bound
  // never throttles before the byte bound does. An explicit
  // rill.flow.credits rules.
  int64_t blocks_per_batch = (batch_ms + block_interval.milliseconds() - 1) / block_interval.milliseconds();
  int64_t block_max_bytes = conf.get(keys::block_max_bytes);
  int64_t max_in_flight = conf.get(keys::receiver_max_bytes_in_flight);
  int64_t by_bytes = 2 * ((max_in_flight + block_max_bytes - 1) / block_max_bytes);
  int block_credits =
      conf.contains(keys::flow_credits)
          ? credits
          : static_cast<int>(std::min<int64_t>(1 << 20, std::max({int64_t{credits}, 3 * blocks_per_batch, by_bytes})));
  // Text chunk memory kept idle for reuse (see TextChunkPool): half of what
  // may be in flight (a batch releases its chunks at once, and receivers
  // refill them over the next interval), at most 512 MiB; at the defaults
  // 32 MiB on top of the 64 MiB. The process's largest such bound holds.
  TextChunkPool::shared()->keep_idle_at_least(std::min<int64_t>(max_in_flight / 2, int64_t{512} << 20));
  std::shared_ptr<ReceiverBase> receiver = stream->make_receiver();
  if (!receiver) throw RillError(stream->stream_name() + ": the receiver factory returned null");
  auto& sys = owner->system();
  auto bridge = std::make_shared<SupervisorBridge>(launch.gateway, credits, chunk, launch.initial_rate);
  BlockGeneratorSetup bg;
  bg.stream_id = stream->stream_id();
  bg.block_id_base = launch.block_id_base;
  bg.receiver = receiver;
  bg.bridge = bridge;
  bg.received = launch.received;
  bg.tracker = launch.tracker;
  bg.holder = launch.holder;
  bg.node = launch.location;
  if (!launch.write_ahead_log_root.empty()) {
    WalWriterSetup ws;
    ws.directory = receiver_log_directory(launch.write_ahead_log_root, stream->stream_id());
    ws.options.rolling_interval_ms = 1000 * conf.get(keys::wal_rolling_interval_secs);
    ws.options.fsync = conf.get(keys::wal_fsync);
    ws.encode = [stream](const ReceivedBlock& b) { return stream->encode_block(b); };
    bg.wal_writer = spawn_wal_writer(sys, std::move(ws));
    owner->link_to(bg.wal_writer);
  }
  bg.block_interval = block_interval;
  bg.credits = block_credits;
  bg.block_max_bytes = block_max_bytes;
  bg.max_bytes_in_flight = max_in_flight;
  auto generator = spawn_block_generator(sys, std::move(bg));
  ReceiverSupervisorSetup rs;
  rs.stream_id = stream->stream_id();
  rs.name = stream->stream_name();
  rs.location = launch.location;
  rs.receiver = receiver;
  rs.bridge = bridge;
  rs.block_generator = generator;
  rs.reporter = launch.reporter;
  rs.restart_delay = restart_delay;
  auto supervisor = spawn_receiver_supervisor(sys, std::move(rs));
  // Linked: when the owner exits, the receiver's actors exit with it.
  owner->link_to(generator);
  owner->link_to(supervisor);
  const StorageLevel level = receiver->storage_level();
  return {supervisor, generator, bridge,
          level == StorageLevel::memory_only_2 || level == StorageLevel::memory_and_disk_ser_2};
}

}  // namespace rill
