// A TCP line server on 127.0.0.1 for the end-to-end benchmarks: serves a
// text once to its first client as fast as the socket takes it, and says
// when the first byte went out.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "runtime/base/errors.hpp"
#include "runtime/base/thread_name.hpp"

namespace rill::bench {

using Clock = std::chrono::steady_clock;

// Serves `text` once to the first client, as fast as the socket takes it.
class LineServer {
 public:
  // port 0: one the kernel picks.
  explicit LineServer(std::shared_ptr<const std::string> text, uint16_t port = 0) : text_(std::move(text)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd_, 1) != 0)
      throw RillError("line server: cannot listen on 127.0.0.1");
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~LineServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  // When the first byte was sent.
  Clock::time_point first_byte() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return started_; });
    return first_;
  }

 private:
  void serve() {
    name_this_thread("line-server");
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      first_ = Clock::now();
      started_ = true;
    }
    cv_.notify_all();
    size_t done = 0;
    while (done < text_->size()) {
      ssize_t n = ::send(client, text_->data() + done, std::min<size_t>(1 << 20, text_->size() - done), MSG_NOSIGNAL);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    // Keep the connection open: a closed one would make the receiver restart.
    char byte;
    while (::recv(client, &byte, 1, 0) > 0) {
    }
    ::close(client);
  }

  std::shared_ptr<const std::string> text_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool started_ = false;
  Clock::time_point first_;
};

}  // namespace rill::bench
