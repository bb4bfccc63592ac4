// Input streams fed by receivers: at each batch time the blocks the receiver
// tracker allocated to that batch become the partitions of a BlockRDD.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "receivers/receiver.hpp"
#include "runtime/dstream_base.hpp"
#include "runtime/dstream_graph.hpp"
#include "runtime/streaming_context_fwd.hpp"

namespace rill {

// One partition per block; a block's chunks are read in order, without copying.
template <class T>
class BlockRDD : public RDDNode<T> {
 public:
  BlockRDD(std::shared_ptr<Executor> ex, std::vector<ReceivedBlockPtr> blocks)
      : RDDNode<T>(std::move(ex), static_cast<int>(blocks.size())), blocks_(std::move(blocks)) {}
  void compute(int p, Sink<T> out) const override {
    for (const auto& chunk : blocks_[p]->chunks) {
      auto records = typed_partition<T>(chunk);
      for (const auto& x : *records) out(x);
    }
  }
  PartitionPtr<T> materialize(int p) const override {
    const auto& chunks = blocks_[p]->chunks;
    if (chunks.size() == 1) return typed_partition<T>(chunks[0]);
    auto v = std::make_shared<std::vector<T>>();
    v->reserve(blocks_[p]->num_records);
    for (const auto& chunk : chunks) {
      auto part = typed_partition<T>(chunk);
      v->insert(v->end(), part->begin(), part->end());
    }
    return v;
  }

 private:
  std::vector<ReceivedBlockPtr> blocks_;
};

// What the receiver tracker needs of a receiver stream.
class ReceiverStreamBase {
 public:
  virtual ~ReceiverStreamBase() = default;
  virtual int stream_id() const = 0;
  virtual const std::string& stream_name() const = 0;
  virtual std::unique_ptr<ReceiverBase> make_receiver() const = 0;
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
  void on_forget(Time t) override {
    auto& graph = graph_of(this->context());
    graph.release_blocks(graph.blocks().erase(this->id(), t));
  }

 private:
  Factory factory_;
};

}  // namespace rill
