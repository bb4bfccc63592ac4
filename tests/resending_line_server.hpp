// A line server on 127.0.0.1 for crash tests of acknowledged sockets
// (rill.streaming.socket.acknowledge): it sends "line-<n>\n" for n = 1 up to
// the number of lines made available, reads "ack N\n" (the first N lines of
// the connection are stored), and on every new connection sends again from
// the first line not acknowledged — a reliable source.
#pragma once
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "tcp_test_server.hpp"

class ResendingLineServer {
 public:
  ResendingLineServer() {
    listener_ = listen_on_loopback(port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~ResendingLineServer() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }
  // Lines 1..n may be sent.
  void make_available(int64_t n) { available_ = n; }
  int64_t acknowledged() const { return acked_; }
  int connections() const { return connections_; }

 private:
  void serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) continue;
      ++connections_;
      talk(fd);
      ::close(fd);
    }
  }

  // One connection: send from the first unacknowledged line, read acks.
  void talk(int fd) {
    const int64_t base = acked_;  // acks of this connection count from here
    int64_t next = base + 1;      // the next line to send
    std::string out;
    size_t out_at = 0;
    std::string in;
    while (!stop_) {
      if (out_at == out.size()) {
        out.clear();
        out_at = 0;
        for (int k = 0; k < 200 && next <= available_; ++k) out += "line-" + std::to_string(next++) + "\n";
      }
      pollfd p{fd, static_cast<short>(POLLIN | (out_at < out.size() ? POLLOUT : 0)), 0};
      if (::poll(&p, 1, 20) < 0) return;
      if (p.revents & (POLLERR | POLLHUP)) return;
      if (p.revents & POLLIN) {
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n == 0) return;  // the receiver went away
        if (n > 0) {
          in.append(buf, static_cast<size_t>(n));
          for (size_t nl; (nl = in.find('\n')) != std::string::npos; in.erase(0, nl + 1))
            if (in.rfind("ack ", 0) == 0) acked_ = std::max<int64_t>(acked_, base + std::stoll(in.substr(4, nl - 4)));
        }
      }
      if ((p.revents & POLLOUT) && out_at < out.size()) {
        ssize_t n = ::send(fd, out.data() + out_at, out.size() - out_at, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
        if (n > 0) out_at += static_cast<size_t>(n);
      }
    }
  }

  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> available_{0};
  std::atomic<int64_t> acked_{0};
  std::atomic<int> connections_{0};
};
