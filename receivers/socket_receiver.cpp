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
#include "runtime/base/thread_name.hpp"

namespace rill {

namespace {
// Bytes asked of the socket per read. A chunk holds one read's complete
// lines, so pooled chunks have room for a read and a partial line before it.
constexpr size_t kSocketReadSize = size_t{1} << 18;
static_assert(kTextChunkCapacity >= kSocketReadSize, "a full read fits a pooled chunk");
}  // namespace

SocketTextReceiver::SocketTextReceiver(std::string host, uint16_t port, SocketReceiverOptions options)
    : Receiver<std::string>(options.storage_level),
      host_(std::move(host)), port_(port), options_(options),
      chunks_(TextChunkPool::shared()) {
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
  thread_ = std::thread([this] {
    name_this_thread("rill.socket.rx");
    receive();
  });
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

bool SocketTextReceiver::store_lines(int fd, SharedText text, int64_t lines) {
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
  // The socket is read into `buffer`, memory used again read after read (so
  // it is mapped and in cache); the complete lines of each read are copied
  // out into a chunk (from chunks_: memory already mapped, see
  // TextChunkPool), handed over as one text chunk (split into records only
  // when read, in parallel tasks). The trailing partial line moves to the
  // buffer's front. (Reading straight into pooled chunks was measured: no
  // faster; the copy is cheap next to the read.)
  const size_t max_line = static_cast<size_t>(options_.max_line_length);
  std::vector<char> buffer(kSocketReadSize);
  size_t kept = 0;  // bytes of a partial line at the front of `buffer`
  std::string ended;  // why the connection ended; empty when stopped
  while (!stopping_ && !is_stopped()) {
    bool timed_out = false;
    if (!wait_for(fd, POLLIN, -1, timed_out)) break;
    if (buffer.size() < kept + kSocketReadSize) buffer.resize(kept + kSocketReadSize);
    ssize_t n = ::recv(fd, buffer.data() + kept, kSocketReadSize, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) {
      if (stopping_) break;
      std::string why = n == 0 ? "the server closed the connection"
                               : std::string("read error: ") + std::strerror(errno);
      if (kept > 0) {  // the last line had no newline: it is still a line
        std::string last(buffer.data(), kept);
        last += '\n';
        store_lines(fd, shared_text(std::move(last)), 1);
      }
      ended = "socket data stream from " + address() + " ended (" + why + "); retrying connection";
      break;
    }
    // What else has already arrived joins this read, up to the read size:
    // fewer, fuller chunks (a loopback read returns 64 KiB or so). Nothing
    // waits for more; an error or the end shows on the next blocking read.
    size_t filled = kept + static_cast<size_t>(n);
    while (filled < kept + kSocketReadSize) {
      ssize_t more = ::recv(fd, buffer.data() + filled, kept + kSocketReadSize - filled, MSG_DONTWAIT);
      if (more <= 0) break;
      filled += static_cast<size_t>(more);
    }
    // Count the complete lines; everything after the last '\n' waits.
    int64_t lines = 0;
    const char* begin = buffer.data();
    const char* p = begin + kept;
    const char* end = begin + filled;
    const char* last_newline = nullptr;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      if (!nl) break;
      ++lines;
      last_newline = nl;
      p = nl + 1;
    }
    const size_t partial = lines == 0 ? static_cast<size_t>(end - begin) : static_cast<size_t>(end - (last_newline + 1));
    if (partial > max_line) {
      // Store the complete lines before it, then drop the connection: a
      // line without end must not grow memory without bound.
      if (lines > 0) store_lines(fd, chunks_->copy(begin, last_newline + 1), lines);
      ended = "a line from " + address() + " is longer than " + std::to_string(max_line) +
              " bytes (rill.streaming.socket.maxLineLength) without a newline; dropping the connection";
      break;
    }
    if (lines == 0) {  // no line complete yet
      kept = partial;
      continue;
    }
    auto chunk = chunks_->copy(begin, last_newline + 1);
    std::memmove(buffer.data(), last_newline + 1, partial);
    kept = partial;
    if (buffer.size() > 2 * kSocketReadSize && kept < kSocketReadSize) {  // a long line grew it: let go
      buffer.resize(kSocketReadSize);
      buffer.shrink_to_fit();
    }
    // Blocks while the pipeline is behind: we stop reading and TCP pushes back.
    if (!store_lines(fd, std::move(chunk), lines)) {
      if (!stopping_ && !is_stopped())
        ended = "cannot acknowledge to " + address() + " (the connection is gone); retrying connection";
      break;
    }
  }
  if (socket_.exchange(-1) >= 0) ::close(fd);
  if (!ended.empty() && !stopping_) restart(ended);
}

}  // namespace rill
