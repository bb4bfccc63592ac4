// A TCP server on 127.0.0.1 (port chosen by the kernel) for tests of the
// socket source. Calls are blocking; every wait has a deadline.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

// A listening socket on 127.0.0.1 at a port the kernel chose (set in `port`).
inline int listen_on_loopback(uint16_t& port) {
  int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listener, 4) != 0) {
    ::close(listener);
    throw std::runtime_error("test server cannot listen");
  }
  socklen_t len = sizeof addr;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  port = ntohs(addr.sin_port);
  return listener;
}

class TcpTestServer {
 public:
  TcpTestServer() { listener_ = listen_on_loopback(port_); }
  ~TcpTestServer() {
    close_client();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }

  // Waits up to `deadline` for a client; false on timeout.
  bool accept_client(std::chrono::milliseconds deadline) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(deadline.count())) <= 0) return false;
    client_ = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    return client_ >= 0;
  }
  void send_all(const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(client_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("test server: send failed");
      done += static_cast<size_t>(n);
    }
  }
  void close_client() {
    if (client_ >= 0) ::close(client_);
    client_ = -1;
  }
  int client_fd() const { return client_; }

 private:
  int listener_ = -1;
  int client_ = -1;
  uint16_t port_ = 0;
};

// A port on 127.0.0.1 that nobody listens on (bound, then released).
inline uint16_t unused_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}
