// A TCP relay on 127.0.0.1 for tests that must see what crosses the wire:
// every connection made to port() is forwarded to 127.0.0.1:target, and all
// bytes in both directions are recorded (bytes()). Runs on its own thread
// until destroyed.
#pragma once
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tcp_test_server.hpp"

class TcpRelay {
 public:
  explicit TcpRelay(uint16_t target) : target_(target) {
    listener_ = listen_on_loopback(port_);
    if (::pipe(wake_) != 0) throw std::runtime_error("relay: pipe failed");
    thread_ = std::thread([this] { run(); });
  }
  ~TcpRelay() {
    char c = 0;
    (void)!::write(wake_[1], &c, 1);
    thread_.join();
    for (auto& [a, b] : pairs_) {
      ::close(a);
      ::close(b);
    }
    ::close(listener_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  uint16_t port() const { return port_; }
  std::string bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return seen_;
  }

 private:
  int connect_target() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(target_);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  // Moves what is readable on `from` to `to`; false when `from` has closed.
  bool pump(int from, int to) {
    char buf[65536];
    ssize_t n = ::recv(from, buf, sizeof buf, 0);
    if (n <= 0) return false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      seen_.append(buf, static_cast<size_t>(n));
    }
    ssize_t done = 0;
    while (done < n) {
      ssize_t w = ::send(to, buf + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
      if (w <= 0) return false;
      done += w;
    }
    return true;
  }
  void run() {
    for (;;) {
      std::vector<pollfd> fds{{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
      for (auto& [a, b] : pairs_) {
        fds.push_back({a, POLLIN, 0});
        fds.push_back({b, POLLIN, 0});
      }
      if (::poll(fds.data(), fds.size(), -1) < 0) continue;
      if (fds[0].revents) return;
      if (fds[1].revents & POLLIN) {
        int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client >= 0) {
          int server = connect_target();
          if (server < 0)
            ::close(client);
          else
            pairs_.emplace_back(client, server);
        }
      }
      for (size_t i = 0; i < pairs_.size(); ++i) {
        const pollfd& a = fds[2 + 2 * i];
        const pollfd& b = fds[3 + 2 * i];
        bool open = true;
        if (a.revents) open = pump(pairs_[i].first, pairs_[i].second);
        if (open && b.revents) open = pump(pairs_[i].second, pairs_[i].first);
        if (!open) {
          ::close(pairs_[i].first);
          ::close(pairs_[i].second);
          pairs_[i] = {-1, -1};
        }
      }
      std::vector<std::pair<int, int>> live;
      for (auto& p : pairs_)
        if (p.first >= 0) live.push_back(p);
      pairs_ = live;
    }
  }

  uint16_t target_;
  uint16_t port_ = 0;
  int listener_ = -1;
  int wake_[2] = {-1, -1};
  std::vector<std::pair<int, int>> pairs_;  // (accepted, to target); touched by the relay thread only
  mutable std::mutex mutex_;
  std::string seen_;
  std::thread thread_;
};
