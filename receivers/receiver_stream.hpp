// What the receiver tracker needs of an input stream fed by a receiver,
// without its record type.
#pragma once
#include <memory>
#include <string>

#include "receivers/receiver.hpp"

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
};

}  // namespace rill
