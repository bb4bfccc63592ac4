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
  // Bytes are received straight into the chunk being filled; the complete
  // lines in it are handed over as one text chunk (split into records only
  // when read, in parallel tasks), and the trailing partial line starts the
  // next chunk.
  constexpr size_t kReadSize = 1 << 18;
  std::string chunk;
  while (!stopping_ && !is_stopped()) {
    size_t kept = chunk.size();  // a partial line from the previous read
    chunk.resize(kept + kReadSize);
    ssize_t n = ::recv(fd, chunk.data() + kept, kReadSize, 0);
    if (n < 0 && errno == EINTR) {
      chunk.resize(kept);
      continue;
    }
    if (n <= 0) {
      chunk.resize(kept);
      if (stopping_) break;
      std::string why = n == 0 ? "the server closed the connection"
                               : std::string("read error: ") + std::strerror(errno);
      if (!chunk.empty()) {  // the last line had no newline: it is still a line
        chunk += '\n';
        store_text_lines(std::move(chunk), 1);
      }
      if (socket_.exchange(-1) >= 0) ::close(fd);
      restart("socket data stream from " + host_ + ":" + std::to_string(port_) + " ended (" + why +
              "); retrying connection");
      return;
    }
    chunk.resize(kept + static_cast<size_t>(n));
    // Count the complete lines; everything after the last '\n' waits.
    int64_t lines = 0;
    const char* begin = chunk.data();
    const char* p = begin + kept;
    const char* end = begin + chunk.size();
    const char* last_newline = nullptr;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (!nl) break;
      ++lines;
      last_newline = nl;
      p = nl + 1;
    }
    if (lines == 0) continue;  // no line complete yet
    std::string rest(last_newline + 1, end);
    chunk.resize(static_cast<size_t>(last_newline + 1 - begin));
    if (chunk.size() * 2 < chunk.capacity()) chunk.shrink_to_fit();  // a short read keeps no idle buffer
    // Blocks while the pipeline is behind: we stop reading and TCP pushes back.
    store_text_lines(std::move(chunk), lines);
    chunk = std::move(rest);
  }
  if (socket_.exchange(-1) >= 0) ::close(fd);
}

}  // namespace rill
