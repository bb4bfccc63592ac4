#include "receivers/committed_file_receiver.hpp"

#include <chrono>
#include <fstream>
#include <vector>

#include "runtime/base/errors.hpp"
#include "runtime/base/files.hpp"
#include "runtime/base/thread_name.hpp"

namespace rill {

namespace {
std::string offset_file(const std::string& path) { return path + ".offset"; }
constexpr auto kPollInterval = std::chrono::milliseconds(20);
}  // namespace

CommittedFileReceiver::CommittedFileReceiver(std::string path, int64_t lines_per_store, bool follow)
    : Receiver<std::string>(StorageLevel::memory_and_disk_ser_2),
      path_(std::move(path)),
      lines_per_store_(lines_per_store),
      follow_(follow) {
  if (lines_per_store_ < 1) throw RillError("CommittedFileReceiver: lines_per_store must be at least 1");
}

CommittedFileReceiver::~CommittedFileReceiver() { on_stop(); }

int64_t CommittedFileReceiver::committed_offset(const std::string& path) {
  std::ifstream in(offset_file(path));
  if (!in) return 0;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t used = 0;
  int64_t offset = -1;
  try {
    offset = std::stoll(text, &used);
  } catch (const std::exception&) {
  }
  if (offset < 0 || (used < text.size() && text.substr(used) != "\n"))
    throw RillError("CommittedFileReceiver: the offset file '" + offset_file(path) + "' is corrupt: \"" + text + "\"");
  return offset;
}

void CommittedFileReceiver::on_start() {
  stopping_ = false;
  thread_ = std::thread([this] {
    name_this_thread("rill.file.rx");
    try {
      run();
    } catch (const std::exception& e) {
      restart(std::string("CommittedFileReceiver: ") + e.what());
    }
  });
}

void CommittedFileReceiver::on_stop() {
  stopping_ = true;
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void CommittedFileReceiver::run() {
  int64_t offset = committed_offset(path_);
  std::string pending;  // bytes read after the last complete line
  std::vector<std::string> lines;
  int64_t lines_end = offset;  // the offset just past `lines`
  auto store_and_commit = [&] {
    if (lines.empty()) return;
    store(std::move(lines));  // returns once the block is stored
    lines = {};
    write_file_durably(offset_file(path_), std::to_string(lines_end) + "\n");
  };
  while (!stopping_ && !is_stopped()) {
    std::ifstream in(path_, std::ios::binary);
    if (in) {
      in.seekg(offset + static_cast<int64_t>(pending.size()));
      std::string chunk(1 << 16, '\0');
      while (!stopping_ && !is_stopped()) {
        in.read(&chunk[0], static_cast<std::streamsize>(chunk.size()));
        std::streamsize got = in.gcount();
        if (got <= 0) break;
        pending.append(chunk.data(), static_cast<size_t>(got));
        size_t start = 0;
        for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
          lines.emplace_back(pending, start, nl - start);
          lines_end = offset + static_cast<int64_t>(nl + 1);
          if (static_cast<int64_t>(lines.size()) >= lines_per_store_) store_and_commit();
        }
        offset += static_cast<int64_t>(start);
        pending.erase(0, start);
      }
    }
    if (stopping_ || is_stopped()) break;
    store_and_commit();  // what the file holds so far
    if (!follow_) break;
    std::this_thread::sleep_for(kPollInterval);  // polling the file for appended lines
  }
}

}  // namespace rill
