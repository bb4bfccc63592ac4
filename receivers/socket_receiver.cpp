#include "receivers/socket_receiver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace rill {

SocketTextReceiver::SocketTextReceiver(std::string host, uint16_t port)
    : Receiver<std::string>(StorageLevel::memory_and_disk_ser_2), host_(std::move(host)), port_(port) {}

SocketTextReceiver::~SocketTextReceiver() { on_stop(); }

void SocketTextReceiver::on_start() {
  if (thread_.joinable()) thread_.join();  // the previous run, ended by restart()
  stopping_ = false;
  thread_ = std::thread([this] { receive(); });
}

void SocketTextReceiver::on_stop() {
  stopping_ = true;
  int fd = socket_.exchange(-1);
  if (fd >= 0) {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

namespace {
int connect_to(const std::string& host, uint16_t port, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    error = std::string("cannot resolve ") + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    error = std::string("error connecting to ") + host + ":" + std::to_string(port) + ": " +
            std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  return fd;
}
}  // namespace

void SocketTextReceiver::receive() {
  std::string error;
  int fd = connect_to(host_, port_, error);
  if (fd < 0) {
    if (!stopping_) restart(error);
    return;
  }
  socket_ = fd;
  if (stopping_) {  // on_stop ran while we connected
    if (socket_.exchange(-1) >= 0) ::close(fd);
    return;
  }
  std::vector<char> buf(1 << 18);
  std::string partial;
  std::vector<std::string> lines;
  while (!stopping_ && !is_stopped()) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (stopping_) break;
      std::string why = n == 0 ? "the server closed the connection"
                               : std::string("read error: ") + std::strerror(errno);
      if (!partial.empty()) lines.push_back(std::move(partial));
      store_buffered(std::move(lines));
      if (socket_.exchange(-1) >= 0) ::close(fd);
      restart("socket data stream from " + host_ + ":" + std::to_string(port_) + " ended (" + why +
              "); retrying connection");
      return;
    }
    const char* p = buf.data();
    const char* end = p + n;
    lines.reserve(static_cast<size_t>(n) / 48 + 16);  // about one line per 48+ bytes; grows if not
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      if (!nl) {
        partial.append(p, end);
        break;
      }
      size_t len = nl - p;
      if (partial.empty()) {
        lines.emplace_back(p, len);
      } else {
        partial.append(p, len);
        lines.push_back(std::move(partial));
        partial.clear();
      }
      if (!lines.back().empty() && lines.back().back() == '\r') lines.back().pop_back();
      p = nl + 1;
    }
    // Blocks while the pipeline is behind: we stop reading and TCP pushes back.
    store_buffered(std::move(lines));
    lines.clear();
  }
  if (socket_.exchange(-1) >= 0) ::close(fd);
}

}  // namespace rill
