// Received blocks one node holds and other nodes read. A receiver placed on
// a worker stores its blocks there; the driver's tracker learns each block's
// meta (its shape and holder), allocates it to a batch like any other, and
// whichever node computes a partition of it reads just that slice's chunks
// from the holder's task server: (fetch, block id, first chunk, end chunk)
// answered with the chunks as one record frame.
#pragma once
#include <string>
#include <vector>

#include "actors/protocol.hpp"
#include "runtime/base/received_block.hpp"

namespace rill {

class ReceiverStreamBase;

// `block` as other nodes see it, held by `holder` (a task server) on `node`.
block_meta describe_block(const ReceivedBlock& block, caf::actor holder, std::string node);

// A block of meta's shape whose chunks are read from meta.holder when a task
// needs them (ReceivedBlock::remote; chunk data null). A read that gets no
// answer within a minute, or a frame that fails its check, is an error
// naming the holder.
ReceivedBlockPtr remote_block(caf::actor_system& sys, caf::actor gateway, const ReceiverStreamBase& stream,
                              const block_meta& meta);

// The meta of a block made by remote_block (null for a block held here).
const block_meta* held_elsewhere(const ReceivedBlock& block);

// The whole of `block` as one record frame (its records as the write-ahead
// log encodes them): how a block travels to a node that keeps it.
std::string encode_whole_block(const ReceiverStreamBase& stream, const ReceivedBlock& block);

// The holder's side: chunks [first, end) of `block` as one record frame;
// throws RillError when the range is not the block's.
std::string encode_block_chunks(const ReceiverStreamBase& stream, const ReceivedBlock& block, size_t first,
                                size_t end);

}  // namespace rill
