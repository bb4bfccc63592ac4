// Input streams fed by receivers: at each batch time the blocks the receiver
// tracker allocated to that batch become a BlockRDD (operators/rdd/block_rdd.hpp).
#pragma once
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "operators/dstream/dstream_graph.hpp"
#include "operators/dstream/dstream_node.hpp"
#include "operators/dstream/receiver_log.hpp"
#include "operators/rdd/block_rdd.hpp"
#include "receivers/block_codec.hpp"
#include "receivers/receiver.hpp"
#include "receivers/receiver_stream.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/streaming_context_fwd.hpp"

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

  bool loggable() const override { return is_serializable_v<T>; }
  bool computable_by_workers() const override { return is_serializable_v<T>; }
  ReceivedBlockPtr decode_block(const std::string& payload, int64_t block_id) const override {
    if constexpr (is_serializable_v<T>)
      return rill::decode_block<T>(payload, block_id, this->id());
    else
      throw RillError(this->name() + ": its record type cannot cross processes");
  }
  std::string record_type_name() const override { return this->record_type(); }
  EncodedBlock encode_block(const ReceivedBlock& block) const override {
    if constexpr (is_serializable_v<T>)
      return rill::encode_block<T>(block);
    else
      throw RillError(this->name() + ": its record type cannot be written to the write-ahead log");
  }

  // With the write-ahead log: the logged blocks of each batch, so that a
  // restarted driver gives every batch it recomputes or regenerates the same
  // blocks, and the blocks received after them to its first new batch.
  void add_checkpoint_data(MetadataCheckpoint& c, Time /*completed*/) const override {
    std::lock_guard<std::mutex> lock(log_mutex_);
    if (!logged_.empty()) c.received_blocks[this->id()] = logged_;
    if (last_logged_) c.last_allocated_block[this->id()] = *last_logged_;
  }
  void restore_checkpoint_data(const MetadataCheckpoint& c) override {
    if constexpr (is_serializable_v<T>) {
      if (!receiver_log_enabled(this->context())) return;
      const int id = this->id();
      recover_logged_blocks(this->context(), id, this->name(), c, [id](const std::string& payload, int64_t block_id) {
        return rill::decode_block<T>(payload, block_id, id);
      });
      std::lock_guard<std::mutex> lock(log_mutex_);
      if (auto it = c.received_blocks.find(id); it != c.received_blocks.end()) logged_ = it->second;
      if (auto it = c.last_allocated_block.find(id); it != c.last_allocated_block.end()) last_logged_ = it->second;
    }
  }

 protected:
  RDD<T> compute(Time t) override {
    auto blocks = graph_of(this->context()).blocks().get(this->id(), t);
    remember_logged(t, blocks);
    auto executor = executor_of(this->context());
    return RDD<T>(std::make_shared<BlockRDD<T>>(executor, blocks, executor->default_parallelism()));
  }

 private:
  void remember_logged(Time t, const std::vector<ReceivedBlockPtr>& blocks) {
    std::vector<WalRecordHandle> handles;
    for (const auto& b : blocks)
      if (b->wal) handles.push_back(*b->wal);
    std::lock_guard<std::mutex> lock(log_mutex_);
    if (!handles.empty()) {
      logged_[t.milliseconds()] = handles;
      // Blocks are allocated in the order they were logged.
      if (!last_logged_ || *last_logged_ < handles.back()) last_logged_ = handles.back();
    }
    // Kept as long as a restart may recompute (the graph prunes further).
    const int64_t keep_ms = this->remember_duration().milliseconds() +
                            2 * graph_of(this->context()).longest_checkpoint_interval().milliseconds() +
                            this->slide_duration().milliseconds();
    while (!logged_.empty() && logged_.begin()->first <= t.milliseconds() - keep_ms) logged_.erase(logged_.begin());
  }

  Factory factory_;
  mutable std::mutex log_mutex_;
  std::map<int64_t, std::vector<WalRecordHandle>> logged_;  // batch ms -> its logged blocks
  std::optional<WalRecordHandle> last_logged_;
};

}  // namespace rill
