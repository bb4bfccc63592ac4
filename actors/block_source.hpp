// BlockSource: the one way a node finds the records of a received block from
// its info (block_meta). A block this node holds is read in place from its
// ReceivedBlockIndex, where the block generator wrote it (or a copy arrived);
// any other is read from its holder, slice by slice, when a task needs it
// (actors/remote_blocks.hpp). Allocations, the tracker and the inputs a driver
// ships carry infos only; the job generator (driver, local mode) and the task
// server (worker) both resolve them here, so every mode reads blocks alike.
//
// Thread-safety: resolve may be called from any thread (the index has its
// own lock; the rest is immutable).
#pragma once
#include <map>
#include <memory>
#include <vector>

#include "actors/wire.hpp"
#include "runtime/base/received_block.hpp"

namespace rill {

class DStreamGraph;

class BlockSource {
 public:
  // `self_holder`: this node's task server on a worker (a block it is named
  // the holder or replica of must be in `here`), null elsewhere.
  BlockSource(caf::actor_system& sys, caf::actor gateway, std::shared_ptr<ReceivedBlockIndex> here,
              const DStreamGraph& graph, caf::actor self_holder = {});

  // The block `info` describes: the held one, or one whose chunks are read
  // from its holder. Throws RillError naming the block and its stream when
  // it is neither held here nor held by another node, or its info is
  // malformed.
  ReceivedBlockPtr resolve(const block_meta& info) const;

  // Every block of an allocation, by stream, in order.
  BlockAllocation resolve(const std::map<int32_t, std::vector<block_meta>>& infos) const;

 private:
  caf::actor_system* sys_;
  caf::actor gateway_;
  std::shared_ptr<ReceivedBlockIndex> here_;
  const DStreamGraph* graph_;
  caf::actor self_holder_;
};

}  // namespace rill
