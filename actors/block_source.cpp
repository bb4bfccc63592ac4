#include "actors/block_source.hpp"

#include "actors/remote_blocks.hpp"
#include "operators/dstream/dstream_graph.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

BlockSource::BlockSource(caf::actor_system& sys, caf::actor gateway, std::shared_ptr<ReceivedBlockIndex> here,
                         const DStreamGraph& graph, caf::actor self_holder)
    : sys_(&sys),
      gateway_(std::move(gateway)),
      here_(std::move(here)),
      graph_(&graph),
      self_holder_(std::move(self_holder)) {}

ReceivedBlockPtr BlockSource::resolve(const block_meta& info) const {
  if (auto held = here_->get(info.id)) return held;
  const ReceiverStreamBase* stream = graph_->receiver_stream(info.stream_id);
  const std::string what = "block " + std::to_string(info.id) + " of " +
                           (stream ? stream->stream_name() : "stream " + std::to_string(info.stream_id));
  if (!stream) throw RillError(what + " was allocated, but this graph has no such receiver stream");
  if (!info.holder) throw RillError(what + " was stored on this node, which no longer holds it");
  if (self_holder_ && (info.holder == self_holder_ || info.replica == self_holder_))
    throw RillError("the driver allocated " + what + " held here, but this worker no longer holds it");
  return remote_block(*sys_, gateway_, *stream, info);
}

BlockAllocation BlockSource::resolve(const std::map<int32_t, std::vector<block_meta>>& infos) const {
  BlockAllocation out;
  for (const auto& [stream, blocks] : infos) {
    auto& resolved = out[stream];
    resolved.reserve(blocks.size());
    for (const auto& info : blocks) resolved.push_back(resolve(info));
  }
  return out;
}

}  // namespace rill
