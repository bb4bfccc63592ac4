// socket_text_stream's receiver: a TCP client that reads newline-separated
// lines (a trailing '\r' is dropped) and stores them. Lines are passed
// through as raw bytes: no UTF-8 validation, a NUL byte is just a byte.
//
// Errors are reported and the receiver restarts after
// rill.streaming.receiverRestartDelay, as Spark's socket receiver does: a
// refused connection, a connect that takes longer than
// rill.streaming.socket.connectTimeout (default 10 s), a connection the
// server closes, and a line longer than rill.streaming.socket.maxLineLength
// (default 64 MiB; the connection is dropped, so memory stays bounded).
// on_stop() interrupts a connect or a read at once.
//
// Acknowledgements (rill.streaming.socket.acknowledge=true): each read's
// lines are stored reliably (with the write-ahead log on, logged) and then
// the receiver writes "ack N\n" back on the connection, N being the number
// of lines of this connection stored so far. A server that keeps what it
// sent until it is acknowledged, and on a new connection sends again from
// the first line not acknowledged, loses nothing when the driver is killed.
// A line acknowledged just before a crash is never sent again; one stored
// but not yet acknowledged may be received twice (at least once).
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "receivers/receiver.hpp"
#include "receivers/text_chunk_pool.hpp"
#include "runtime/base/time.hpp"

namespace rill {

struct SocketReceiverOptions {
  Duration connect_timeout = Seconds(10);
  int64_t max_line_length = int64_t{64} << 20;
  bool acknowledge = false;  // store reliably, then send "ack N\n"
  StorageLevel storage_level = StorageLevel::memory_and_disk_ser_2;
};

class SocketTextReceiver : public Receiver<std::string> {
 public:
  SocketTextReceiver(std::string host, uint16_t port, SocketReceiverOptions options = {});
  ~SocketTextReceiver() override;
  void on_start() override;
  void on_stop() override;

 private:
  void receive();
  // Connects within the timeout; -1 (with `error` set, empty when stopping) otherwise.
  int connect_with_timeout(std::string& error);
  // Waits until `fd` has `events` or the receiver is stopped; false when stopped.
  bool wait_for(int fd, short events, int timeout_ms, bool& timed_out);
  // Stores complete lines: buffered, or reliably and acknowledged (false
  // when the acknowledgement cannot be sent: the connection is gone).
  bool store_lines(int fd, SharedText text, int64_t lines);
  std::string address() const { return host_ + ":" + std::to_string(port_); }

  std::string host_;
  uint16_t port_;
  SocketReceiverOptions options_;
  std::shared_ptr<TextChunkPool> chunks_;
  std::thread thread_;
  std::atomic<int> socket_{-1};
  std::atomic<bool> stopping_{false};
  int wake_fd_ = -1;  // an eventfd on_stop() signals, so no wait outlives a stop
  int64_t stored_on_connection_ = 0;  // lines of the current connection stored
};

}  // namespace rill
