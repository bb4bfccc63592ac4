#include "runtime/base/files.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/base/errors.hpp"

namespace fs = std::filesystem;

namespace rill {
namespace {
[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw RillError(what + " '" + path + "': " + std::strerror(errno));
}
std::string parent_of(const std::string& path) {
  auto p = fs::path(path).parent_path();
  return p.empty() ? "." : p.string();
}
}  // namespace

void write_file_synced(const std::string& path, const std::string& data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", path);
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ::close(fd);
      fail("cannot write", path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    fail("cannot fsync", path);
  }
  if (::close(fd) != 0) fail("cannot close", path);
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("cannot open directory", dir);
  ::fsync(fd);
  ::close(fd);
}

void write_file_durably(const std::string& path, const std::string& data) {
  std::string tmp = temporary_sibling(path);
  write_file_synced(tmp, data);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot rename into", path);
  }
  fsync_directory(parent_of(path));
}

void replace_directory(const std::string& from, const std::string& to) {
  std::error_code ec;
  if (fs::exists(to, ec)) {
    // Move the old one aside first so that `to` is never half-written.
    std::string old = temporary_sibling(to);
    fs::rename(to, old, ec);
    if (ec) throw RillError("cannot move aside '" + to + "': " + ec.message());
    fs::rename(from, to, ec);
    if (ec) throw RillError("cannot rename '" + from + "' to '" + to + "': " + ec.message());
    fs::remove_all(old, ec);
  } else {
    fs::rename(from, to, ec);
    if (ec) throw RillError("cannot rename '" + from + "' to '" + to + "': " + ec.message());
  }
  fsync_directory(parent_of(to));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw RillError("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string temporary_sibling(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  return path + "._tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

int remove_stale_temporaries(const std::string& dir) {
  int removed = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().filename().string().find("._tmp-") == std::string::npos) continue;
    std::error_code rm;
    std::filesystem::remove_all(e.path(), rm);
    if (!rm) ++removed;
  }
  return removed;
}

}  // namespace rill
