#include "runtime/base/write_ahead_log.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>

#include "runtime/base/crc32.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/files.hpp"

namespace rill {

namespace fs = std::filesystem;

namespace {

constexpr size_t kFrameHeader = 8;  // u32 length, u32 CRC-32
constexpr const char* kPrefix = "log-";

uint32_t crc32_of(const char* data, size_t n) { return crc32_bytes(data, n); }

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw RillError("write-ahead log: " + what + " '" + path + "': " + std::strerror(errno));
}

}  // namespace

WriteAheadLog::WriteAheadLog(std::string directory, Options options)
    : directory_(std::move(directory)), options_(options) {
  if (options_.rolling_interval_ms <= 0) throw RillError("write-ahead log: the rolling interval must be positive");
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) throw RillError("write-ahead log: cannot create the directory '" + directory_ + "': " + ec.message());
}

WriteAheadLog::~WriteAheadLog() {
  if (fd_ >= 0) ::close(fd_);
}

void WriteAheadLog::roll(int64_t time_ms) {
  if (fd_ >= 0) {
    if (options_.fsync && ::fdatasync(fd_) != 0) fail("cannot fsync", segment_);
    ::close(fd_);
    fd_ = -1;
  }
  // A segment of an earlier run may have the same name (a restart within
  // the same millisecond is not possible, but a clock step back is): never
  // append to it.
  int64_t start = time_ms;
  for (;;) {
    segment_ = directory_ + "/" + kPrefix + std::to_string(start) + "-" +
               std::to_string(start + options_.rolling_interval_ms);
    if (!fs::exists(segment_)) break;
    ++start;
  }
  segment_end_ms_ = start + options_.rolling_interval_ms;
  fd_ = ::open(segment_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot create the segment", segment_);
  fsync_directory(directory_);
  offset_ = 0;
}

WalRecordHandle WriteAheadLog::write(const std::vector<std::string_view>& parts, int64_t time_ms) {
  size_t size = 0;
  uint32_t crc = 0;
  for (const auto& p : parts) {
    size += p.size();
    crc = crc32_bytes(p.data(), p.size(), crc);
  }
  if (size > UINT32_MAX) throw RillError("write-ahead log: a record of more than 4 GiB cannot be logged");
  if (fd_ < 0 || time_ms >= segment_end_ms_) roll(time_ms);
  char header[kFrameHeader];
  const uint32_t length = static_cast<uint32_t>(size);
  std::memcpy(header, &length, 4);
  std::memcpy(header + 4, &crc, 4);
  std::vector<struct iovec> iov;
  iov.reserve(parts.size() + 1);
  iov.push_back({header, kFrameHeader});
  for (const auto& p : parts)
    if (!p.empty()) iov.push_back({const_cast<char*>(p.data()), p.size()});
  size_t next = 0;  // the first iovec not yet written whole
  while (next < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
    ssize_t n = ::writev(fd_, iov.data() + next, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("cannot append to", segment_);
    }
    while (next < iov.size() && static_cast<size_t>(n) >= iov[next].iov_len) n -= static_cast<ssize_t>(iov[next++].iov_len);
    if (next < iov.size()) {
      iov[next].iov_base = static_cast<char*>(iov[next].iov_base) + n;
      iov[next].iov_len -= static_cast<size_t>(n);
    }
  }
  if (options_.fsync && ::fdatasync(fd_) != 0) fail("cannot fsync", segment_);
  WalRecordHandle handle{segment_, offset_, static_cast<int64_t>(size)};
  offset_ += static_cast<int64_t>(kFrameHeader + size);
  return handle;
}

void WriteAheadLog::clean(int64_t threshold_ms) {
  for (const auto& segment : wal_segments(directory_)) {
    if (segment == segment_) continue;
    const std::string name = fs::path(segment).filename().string();
    const int64_t end = std::stoll(name.substr(name.rfind('-') + 1));
    if (end <= threshold_ms) {
      std::error_code ec;
      fs::remove(segment, ec);
    }
  }
}

int64_t wal_segment_start(const std::string& segment) {
  const std::string name = fs::path(segment).filename().string();
  if (name.rfind(kPrefix, 0) != 0) return -1;
  const std::string rest = name.substr(std::strlen(kPrefix));
  const size_t dash = rest.find('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == rest.size()) return -1;
  const std::string a = rest.substr(0, dash), b = rest.substr(dash + 1);
  auto digits = [](const std::string& s) { return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }); };
  if (!digits(a) || !digits(b)) return -1;
  return std::stoll(a);
}

std::vector<std::string> wal_segments(const std::string& directory) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(directory, ec)) {
    int64_t start = wal_segment_start(e.path().string());
    if (start >= 0) found.emplace_back(start, e.path().string());
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(std::move(f.second));
  return out;
}

std::string read_wal_record(const WalRecordHandle& h) {
  int fd = ::open(h.segment.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("cannot open the segment", h.segment);
  std::string frame(kFrameHeader + static_cast<size_t>(h.length), '\0');
  ssize_t n = ::pread(fd, frame.data(), frame.size(), h.offset);
  ::close(fd);
  const std::string where = "'" + h.segment + "' at offset " + std::to_string(h.offset);
  if (n != static_cast<ssize_t>(frame.size()))
    throw RillError("write-ahead log: the record " + where + " is cut short (the segment has fewer bytes)");
  uint32_t length, crc;
  std::memcpy(&length, frame.data(), 4);
  std::memcpy(&crc, frame.data() + 4, 4);
  if (length != h.length) throw RillError("write-ahead log: the record " + where + " has another length");
  if (crc32_of(frame.data() + kFrameHeader, length) != crc)
    throw RillError("write-ahead log: the record " + where + " failed its checksum (damaged)");
  return frame.substr(kFrameHeader);
}

void read_wal(const std::string& directory, const std::function<void(const WalRecordHandle&, std::string)>& f,
              std::vector<std::string>* damaged) {
  for (const auto& segment : wal_segments(directory)) {
    std::string data = read_file(segment);
    size_t at = 0;
    while (at < data.size()) {
      auto report = [&](const std::string& why) {
        if (damaged)
          damaged->push_back(segment + " at offset " + std::to_string(at) + ": " + why + "; the " +
                             std::to_string(data.size() - at) + " bytes from there on are not used");
      };
      if (data.size() - at < kFrameHeader) {
        report("a torn record (its header is cut short)");
        break;
      }
      uint32_t length, crc;
      std::memcpy(&length, data.data() + at, 4);
      std::memcpy(&crc, data.data() + at + 4, 4);
      if (data.size() - at - kFrameHeader < length) {
        report("a torn record (" + std::to_string(length) + " bytes announced, fewer written)");
        break;
      }
      if (crc32_of(data.data() + at + kFrameHeader, length) != crc) {
        report("a record that fails its checksum");
        break;
      }
      f(WalRecordHandle{segment, static_cast<int64_t>(at), length}, data.substr(at + kFrameHeader, length));
      at += kFrameHeader + length;
    }
  }
}

}  // namespace rill
