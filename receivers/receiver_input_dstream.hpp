// Input streams fed by receivers: at each batch time the blocks the receiver
// tracker allocated to that batch become the partitions of a BlockRDD.
#pragma once
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "receivers/receiver.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/dstream_base.hpp"
#include "runtime/dstream_graph.hpp"
#include "runtime/streaming_context_fwd.hpp"

namespace rill {

// Calls f(line) for each '\n'-terminated line of a text_lines chunk, with
// a trailing '\r' removed. `line` is reused: f must copy what it keeps.
template <class F>
void for_each_text_line(const std::string& bytes, F&& f) {
  std::string line;
  const char* p = bytes.data();
  const char* end = p + bytes.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    const char* stop = nl ? nl : end;
    size_t len = static_cast<size_t>(stop - p);
    if (len > 0 && stop[-1] == '\r') --len;
    line.assign(p, len);
    f(line);
    p = nl ? nl + 1 : end;
  }
}

// One partition per block; a block's chunks are read in order: record chunks
// without copying, text chunks split into lines as they are read.
template <class T>
class BlockRDD : public RDDNode<T> {
 public:
  BlockRDD(std::shared_ptr<Executor> ex, std::vector<ReceivedBlockPtr> blocks)
      : RDDNode<T>(std::move(ex), static_cast<int>(blocks.size())), blocks_(std::move(blocks)) {}
  void compute(int p, Sink<T> out) const override {
    for (const auto& chunk : blocks_[p]->chunks) read_chunk(chunk, out);
  }
  PartitionPtr<T> materialize(int p) const override {
    const auto& chunks = blocks_[p]->chunks;
    if (chunks.size() == 1 && chunks[0].encoding == ChunkEncoding::records) return typed_partition<T>(chunks[0].data);
    auto v = std::make_shared<std::vector<T>>();
    v->reserve(blocks_[p]->num_records);
    for (const auto& chunk : chunks) read_chunk(chunk, [&](const T& x) { v->push_back(x); });
    return v;
  }

 private:
  static void read_chunk(const Chunk& chunk, Sink<T> out) {
    if (chunk.encoding == ChunkEncoding::records) {
      auto records = typed_partition<T>(chunk.data);
      for (const auto& x : *records) out(x);
      return;
    }
    if constexpr (std::is_same_v<T, std::string>) {
      for_each_text_line(*std::static_pointer_cast<const std::string>(chunk.data), [&](const std::string& line) { out(line); });
    } else {
      throw RillError("a text chunk in a stream whose records are not std::string");
    }
  }

  std::vector<ReceivedBlockPtr> blocks_;
};

template <class T>
class ReceiverInputDStream : public DStreamNode<T>,
                             public InputDStreamBase,
                             public ReceiverStreamBase {
 public:
  using Factory = std::function<std::unique_ptr<Receiver<T>>()>;

  ReceiverInputDStream(StreamingContext& ssc, Factory factory, std::string name)
      : DStreamNode<T>(ssc, {}, batch_duration_of(ssc), std::move(name)),
        factory_(std::move(factory)) {}

  DStreamBase& stream() override { return *this; }
  int stream_id() const override { return this->id(); }
  const std::string& stream_name() const override { return this->name(); }
  std::unique_ptr<ReceiverBase> make_receiver() const override { return factory_(); }

 protected:
  RDD<T> compute(Time t) override {
    auto blocks = graph_of(this->context()).blocks().get(this->id(), t);
    return RDD<T>(std::make_shared<BlockRDD<T>>(executor_of(this->context()), std::move(blocks)));
  }

 private:
  Factory factory_;
};

}  // namespace rill
