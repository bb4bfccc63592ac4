// A write-ahead log in a directory of segment files (Spark's
// FileBasedWriteAheadLog): records are appended to the current segment,
// log-<start ms>-<end ms>, which rolls when a record's time reaches its end
// (rill.streaming.receiver.writeAheadLog.rollingIntervalSecs, 60 s). Each
// record is framed as
//   u32 payload length | u32 CRC-32 of payload | payload
// so that a record a crash cut short (a torn write) is detected when the log
// is read back: it and anything after it in that segment are dropped and
// reported, and everything before it is used. A writer never appends to a
// segment of an earlier run; it starts a new one.
//
// Durability: with `fsync` (the default), write() returns after the record
// is on disk (fdatasync), so a record whose write() returned survives a
// power loss; without it, a process crash loses nothing the kernel has,
// but a machine crash may lose the last records.
//
// Not thread-safe: one writer (an actor) per log.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace rill {

// Where a record is: its segment file, offset of the frame and payload length.
struct WalRecordHandle {
  std::string segment;
  int64_t offset = 0;
  int64_t length = 0;
  bool operator==(const WalRecordHandle& o) const {
    return segment == o.segment && offset == o.offset && length == o.length;
  }
  bool operator<(const WalRecordHandle& o) const {
    return segment != o.segment ? segment < o.segment : offset < o.offset;
  }
};

class WriteAheadLog {
 public:
  struct Options {
    int64_t rolling_interval_ms = 60000;
    bool fsync = true;
  };
  // Creates `directory` if missing. Throws RillError naming it when it cannot.
  WriteAheadLog(std::string directory, Options options);
  ~WriteAheadLog();
  WriteAheadLog(const WriteAheadLog&) = delete;
  WriteAheadLog& operator=(const WriteAheadLog&) = delete;

  // Appends `payload` as a record written at `time_ms`. Throws RillError
  // naming the segment when the write or the fsync fails.
  WalRecordHandle write(const std::string& payload, int64_t time_ms) {
    return write(std::vector<std::string_view>{payload}, time_ms);
  }
  // Appends the concatenation of `parts` as one record, without copying them.
  WalRecordHandle write(const std::vector<std::string_view>& parts, int64_t time_ms);

  // Deletes the segments that end at or before `threshold_ms` (all their
  // records are older), except the one being written.
  void clean(int64_t threshold_ms);

  const std::string& directory() const { return directory_; }

 private:
  void roll(int64_t time_ms);
  std::string directory_;
  Options options_;
  int fd_ = -1;
  std::string segment_;
  int64_t segment_end_ms_ = 0;
  int64_t offset_ = 0;
};

// The segment files of a log directory, oldest first.
std::vector<std::string> wal_segments(const std::string& directory);
// The segment's start time (from its name), or -1 when the name is not one.
int64_t wal_segment_start(const std::string& segment);

// Reads one record; throws RillError naming the segment and offset when the
// record is missing or fails its check.
std::string read_wal_record(const WalRecordHandle& handle);

// Calls f(handle, payload) for every whole record of every segment of
// `directory`, in order. A record that fails its check ends its segment: it
// is appended to `damaged` as "segment at offset N: reason" and what follows
// it in that segment is skipped.
void read_wal(const std::string& directory, const std::function<void(const WalRecordHandle&, std::string)>& f,
              std::vector<std::string>* damaged);

}  // namespace rill
