// What the receiver tracker needs of an input stream fed by a receiver,
// without its record type.
#pragma once
#include <memory>
#include <string>

#include "receivers/block_codec.hpp"
#include "receivers/receiver_base.hpp"
#include "runtime/base/received_block.hpp"

namespace rill {

class DStreamBase;

class ReceiverStreamBase {
 public:
  virtual ~ReceiverStreamBase() = default;
  virtual DStreamBase& stream() = 0;
  virtual int stream_id() const = 0;
  virtual const std::string& stream_name() const = 0;
  // A new receiver instance (called at each start of the receiver).
  virtual std::unique_ptr<ReceiverBase> make_receiver() const = 0;

  // The write-ahead log (receivers/block_codec.hpp): whether the record type
  // can be logged, and a block as a log record's payload.
  virtual bool loggable() const = 0;
  virtual std::string record_type_name() const = 0;
  virtual EncodedBlock encode_block(const ReceivedBlock& block) const = 0;
  // A block from encode_block's bytes (joined), made elsewhere.
  virtual ReceivedBlockPtr decode_block(const std::string& payload, int64_t block_id) const = 0;
};

}  // namespace rill
