// Input streams fed by receivers: at each batch time the blocks the receiver
// tracker allocated to that batch become a BlockRDD (receivers/block_rdd.hpp).
#pragma once
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "receivers/block_rdd.hpp"
#include "receivers/receiver.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/dstream_base.hpp"
#include "runtime/dstream_graph.hpp"
#include "runtime/streaming_context_fwd.hpp"

namespace rill {

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
    auto executor = executor_of(this->context());
    return RDD<T>(std::make_shared<BlockRDD<T>>(executor, blocks, executor->default_parallelism()));
  }

 private:
  Factory factory_;
};

}  // namespace rill
