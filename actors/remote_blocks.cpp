#include "actors/remote_blocks.hpp"

#include <spdlog/spdlog.h>

#include "actors/blocking_request.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/record_codec.hpp"

namespace rill {
namespace {

// A slice read that takes longer than this fails the task reading it.
constexpr std::chrono::seconds kReadTimeout{60};

class HolderReader : public RemoteBlockReader {
 public:
  HolderReader(caf::actor_system& sys, caf::actor gateway, const ReceiverStreamBase& stream, block_meta meta)
      : sys_(&sys), gateway_(std::move(gateway)), stream_(&stream), meta_(std::move(meta)) {}

  std::string node() const override { return meta_.node; }
  std::string holder() const override { return "worker " + meta_.node; }
  const block_meta& meta() const { return meta_; }

  // From the holder; when that fails (the holder is lost), from the copy.
  std::vector<Chunk> read(const ReceivedBlock& block, size_t first, size_t end) const override {
    const std::string what = "chunks " + std::to_string(first) + ".." + std::to_string(end) + " of block " +
                             std::to_string(block.id) + " of " + stream_->stream_name();
    std::string failures;
    for (const auto& [from, node] : {std::pair{meta_.holder, meta_.node}, {meta_.replica, meta_.replica_node}}) {
      if (!from) continue;
      auto frame = blocking_request_within<std::string>(gateway_, from, kReadTimeout, fetch_block_atom::value, block.id,
                                                        static_cast<int32_t>(first), static_cast<int32_t>(end));
      if (!frame) {
        failures += (failures.empty() ? "" : "; ") + ("from worker " + node + ": " + sys_->render(frame.error()));
        continue;
      }
      auto part = stream_->decode_block(unframe_records(*frame, "worker " + node), block.id);
      if (part->chunks.size() != end - first)
        throw RillError("reading " + what + " from worker " + node + ": " + std::to_string(part->chunks.size()) +
                        " chunks came back");
      if (!failures.empty()) spdlog::warn("read {} from its copy on worker {} ({})", what, node, failures);
      return part->chunks;
    }
    throw RillError("reading " + what + " failed " + (meta_.replica ? "from both copies" : "(it had no copy)") +
                    ": " + failures);
  }

 private:
  caf::actor_system* sys_;
  caf::actor gateway_;
  const ReceiverStreamBase* stream_;
  block_meta meta_;
};

}  // namespace

block_meta describe_block(const ReceivedBlock& block, caf::actor holder, std::string node) {
  block_meta m;
  m.stream_id = block.stream_id;
  m.id = block.id;
  m.records = block.num_records;
  for (const auto& c : block.chunks) {
    m.chunk_bytes.push_back(c.bytes);
    m.chunk_encodings.push_back(static_cast<char>(c.encoding));
  }
  m.holder = std::move(holder);
  m.node = std::move(node);
  return m;
}

ReceivedBlockPtr remote_block(caf::actor_system& sys, caf::actor gateway, const ReceiverStreamBase& stream,
                              const block_meta& meta) {
  if (meta.chunk_bytes.size() != meta.chunk_encodings.size())
    throw RillError("block " + std::to_string(meta.id) + " reported by worker " + meta.node +
                    " has a malformed description (chunk sizes and encodings differ in number)");
  auto b = std::make_shared<ReceivedBlock>();
  b->id = meta.id;
  b->stream_id = meta.stream_id;
  b->num_records = meta.records;
  for (size_t i = 0; i < meta.chunk_bytes.size(); ++i) {
    Chunk c;
    c.bytes = meta.chunk_bytes[i];
    c.encoding = static_cast<ChunkEncoding>(meta.chunk_encodings[i]);
    b->bytes += c.bytes;
    b->chunks.push_back(std::move(c));
  }
  b->remote = std::make_shared<HolderReader>(sys, std::move(gateway), stream, meta);
  return b;
}

std::string encode_whole_block(const ReceiverStreamBase& stream, const ReceivedBlock& block) {
  EncodedBlock encoded = stream.encode_block(block);
  std::string payload;
  for (auto part : encoded.parts) payload.append(part.data(), part.size());
  return frame_records(payload);
}

const block_meta* held_elsewhere(const ReceivedBlock& block) {
  auto* reader = dynamic_cast<const HolderReader*>(block.remote.get());
  return reader ? &reader->meta() : nullptr;
}

std::string encode_block_chunks(const ReceiverStreamBase& stream, const ReceivedBlock& block, size_t first,
                                size_t end) {
  if (first > end || end > block.chunks.size())
    throw RillError("block " + std::to_string(block.id) + " has " + std::to_string(block.chunks.size()) +
                    " chunks; chunks " + std::to_string(first) + ".." + std::to_string(end) + " were asked for");
  ReceivedBlock part;
  part.id = block.id;
  part.stream_id = block.stream_id;
  part.chunks.assign(block.chunks.begin() + static_cast<std::ptrdiff_t>(first),
                     block.chunks.begin() + static_cast<std::ptrdiff_t>(end));
  for (const auto& c : part.chunks) part.bytes += c.bytes;
  part.num_records = first == 0 && end == block.chunks.size() ? block.num_records : 0;
  EncodedBlock encoded = stream.encode_block(part);
  std::string payload;
  for (auto p : encoded.parts) payload.append(p.data(), p.size());
  return frame_records(payload);
}

}  // namespace rill
