// socket_text_stream's receiver: a TCP client that reads newline-separated
// UTF-8 lines (a trailing '\r' is dropped) and stores them. A refused
// connection or a connection the server closes is reported and retried after
// rill.streaming.receiverRestartDelay, as Spark's socket receiver restarts.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "receivers/receiver.hpp"

namespace rill {

class SocketTextReceiver : public Receiver<std::string> {
 public:
  SocketTextReceiver(std::string host, uint16_t port);
  ~SocketTextReceiver() override;
  void on_start() override;
  void on_stop() override;

 private:
  void receive();
  std::string host_;
  uint16_t port_;
  std::thread thread_;
  std::atomic<int> socket_{-1};
  std::atomic<bool> stopping_{false};
};

}  // namespace rill
