#include "receivers/socket_receiver.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

#include "runtime/base/errors.hpp"

namespace rill {

SocketTextReceiver::SocketTextReceiver(std::string host, uint16_t port, SocketReceiverOptions options)
    : Receiver<std::string>(options.storage_level),
      host_(std::move(host)), port_(port), options_(options) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw RillError(std::string("socket receiver: eventfd failed: ") + std::strerror(errno));
}

SocketTextReceiver::~SocketTextReceiver() {
  on_stop();
  ::close(wake_fd_);
}

void SocketTextReceiver::on_start() {
  if (thread_.joinable()) thread_.join();  // the previous run, ended by restart()
  uint64_t drained;
  while (::read(wake_fd_, &drained, sizeof drained) > 0) {
  }
  stopping_ = false;
  thread_ = std::thread([this] { receive(); });
}

void SocketTextReceiver::on_stop() {
  stopping_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
  int fd = socket_.exchange(-1);
  if (fd >= 0) {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
  }
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

bool SocketTextReceiver::wait_for(int fd, short events, int timeout_ms, bool& timed_out) {
  timed_out = false;
  pollfd fds[2] = {{fd, events, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    if (stopping_) return false;
    int rc = ::poll(fds, 2, timeout_ms);
    if (rc < 0 && errno == EINTR) continue;
    if (fds[1].revents != 0 || stopping_) return false;
    if (rc == 0) timed_out = true;
    return true;
  }
}

int SocketTextReceiver::connect_with_timeout(std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &res);
  if (rc != 0) {
    error = "cannot resolve " + host_ + ": " + gai_strerror(rc);
    return -1;
  }
  const int64_t timeout_ms = options_.connect_timeout.milliseconds();
  int fd = -1;
  for (addrinfo* a = res; a && !stopping_; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) continue;
    socket_ = fd;  // so on_stop() can close it mid-connect
    int err = 0;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        bool timed_out = false;
        if (!wait_for(fd, POLLOUT, static_cast<int>(timeout_ms), timed_out)) {
          error.clear();  // stopping
          break;
        }
        if (timed_out) {
          error = "connecting to " + address() + " timed out after " + std::to_string(timeout_ms) +
                  " ms (rill.streaming.socket.connectTimeout)";
          err = ETIMEDOUT;
        } else {
          socklen_t len = sizeof err;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        }
      }
    }
    if (err == 0) {
      ::freeaddrinfo(res);
      return fd;
    }
    if (err != ETIMEDOUT) error = "error connecting to " + address() + ": " + std::strerror(err);
    if (socket_.exchange(-1) >= 0) ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd >= 0 && socket_.exchange(-1) >= 0) ::close(fd);
  return -1;
}

bool SocketTextReceiver::store_lines(int fd, std::string text, int64_t lines) {
  if (!options_.acknowledge) {
    store_text(std::move(text), lines);
    return true;
  }
  store_text_reliably(std::move(text), lines);
  if (is_stopped()) return false;  // not stored: no acknowledgement
  stored_on_connection_ += lines;
  const std::string ack = "ack " + std::to_string(stored_on_connection_) + "\n";
  size_t sent = 0;
  while (sent < ack.size()) {
    ssize_t n = ::send(fd, ack.data() + sent, ack.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

void SocketTextReceiver::receive() {
  std::string error;
  int fd = connect_with_timeout(error);
  if (fd < 0) {
    if (!stopping_ && !error.empty()) restart(error);
    return;
  }
  stored_on_connection_ = 0;
  // Bytes are received straight into the chunk being filled; the complete
  // lines in it are handed over as one text chunk (split into records only
  // when read, in parallel tasks), and the trailing partial line starts the
  // next chunk.
  constexpr size_t kReadSize = 1 << 18;
  const size_t max_line = static_cast<size_t>(options_.max_line_length);
  std::string chunk;
  std::string ended;  // why the connection ended; empty when stopped
  while (!stopping_ && !is_stopped()) {
    bool timed_out = false;
    if (!wait_for(fd, POLLIN, -1, timed_out)) break;
    size_t kept = chunk.size();  // a partial line from the previous read
    chunk.resize(kept + kReadSize);
    ssize_t n = ::recv(fd, chunk.data() + kept, kReadSize, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) {
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
        store_lines(fd, std::move(chunk), 1);
      }
      ended = "socket data stream from " + address() + " ended (" + why + "); retrying connection";
      break;
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
    size_t partial = lines == 0 ? chunk.size() : static_cast<size_t>(end - (last_newline + 1));
    if (partial > max_line) {
      // Store the complete lines before it, then drop the connection: a
      // line without end must not grow memory without bound.
      if (lines > 0) {
        chunk.resize(static_cast<size_t>(last_newline + 1 - begin));
        store_lines(fd, std::move(chunk), lines);
      }
      ended = "a line from " + address() + " is longer than " + std::to_string(max_line) +
              " bytes (rill.streaming.socket.maxLineLength) without a newline; dropping the connection";
      break;
    }
    if (lines == 0) continue;  // no line complete yet
    std::string rest(last_newline + 1, end);
    chunk.resize(static_cast<size_t>(last_newline + 1 - begin));
    if (chunk.size() * 2 < chunk.capacity()) chunk.shrink_to_fit();  // a short read keeps no idle buffer
    // Blocks while the pipeline is behind: we stop reading and TCP pushes back.
    if (!store_lines(fd, std::move(chunk), lines)) {
      if (!stopping_ && !is_stopped())
        ended = "cannot acknowledge to " + address() + " (the connection is gone); retrying connection";
      break;
    }
    chunk = std::move(rest);
  }
  if (socket_.exchange(-1) >= 0) ::close(fd);
  if (!ended.empty() && !stopping_) restart(ended);
}

}  // namespace rill
