// CommittedFileReceiver: an example of a reliable receiver (the guide's
// "reliable receiver"), over the simplest source with acknowledgements: a
// file of lines and a committed-offset file next to it.
//
// It reads `path` from the byte offset committed in `path + ".offset"` (0 when
// there is none), `lines_per_store` complete lines at a time, stores them with
// the reliable store(std::vector) — which returns only once the block is
// stored (and, with the write-ahead log, logged) — and only then commits the
// new offset, durably (temporary file, fsync, rename). With `follow` it keeps
// watching the file for appended lines (like tail -f); a last line without
// its '\n' is left until it is complete.
//
// What that gives: a line is acknowledged only after Rill holds it, so a
// receiver restart or a graceful stop (stop(true)) loses nothing and a new run
// continues where the last committed offset says; a line stored but not yet
// committed when the process dies is read again by the next run (at least
// once). Without the write-ahead log, blocks held only in memory die with a
// killed driver.
#pragma once
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "receivers/receiver.hpp"

namespace rill {

class CommittedFileReceiver : public Receiver<std::string> {
 public:
  explicit CommittedFileReceiver(std::string path, int64_t lines_per_store = 1000, bool follow = true);
  ~CommittedFileReceiver() override;
  void on_start() override;
  void on_stop() override;

  // The offset committed for `path` (0 when none); a corrupt offset file is a
  // RillError naming it.
  static int64_t committed_offset(const std::string& path);

 private:
  void run();
  std::string path_;
  int64_t lines_per_store_;
  bool follow_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace rill
