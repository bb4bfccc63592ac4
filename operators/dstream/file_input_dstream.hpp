// text_file_stream (Spark's FileInputDStream with newFilesOnly): at each batch
// time t the stream reads the files that appeared in the directories its
// pattern names — a directory, or a glob that names directories — whose
// modification time falls in (t - remember window, t] and that it has not
// read before. Each file is read once, as lines, one partition per file.
//
// The guide's rules hold: files must appear atomically (written elsewhere,
// or under a hidden name, then renamed in: names starting with '.' are
// ignored); a file whose modification time is later than t is left for a
// later batch; files modified before the context started are ignored; the
// remember window is rill.streaming.fileStream.minRememberDuration (60 s)
// rounded up to whole batches, and a file older than the window is never
// read (so the set of files remembered stays bounded). The files of each
// batch are kept longer when the graph has state: as long as a restarted
// driver may have to recompute batches (twice the longest checkpoint
// interval, plus what windows remember).
#pragma once
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "operators/dstream/dstream_node.hpp"
#include "runtime/base/streaming_context_fwd.hpp"

namespace rill {

struct ListedFile {
  std::string path;
  int64_t modified_ms = 0;
};

// The regular files, not hidden, directly inside every directory `pattern`
// names (glob(3) syntax), sorted by path. A pattern that names nothing gives
// none; a directory that cannot be read is a RillError naming it.
std::vector<ListedFile> list_input_files(const std::string& pattern);

class FileInputDStream : public DStreamNode<std::string>, public InputDStreamBase {
 public:
  FileInputDStream(StreamingContext& ssc, std::string pattern, Duration min_remember);
  DStreamBase& stream() override { return *this; }

  // The files batch t read (for recovery and tests); empty if none or forgotten.
  std::vector<std::string> files_of_batch(Time t) const;

  // Recovery: the files of every batch remembered go into the metadata
  // checkpoint; a restarted driver reads exactly those files again for those
  // batches (the completed ones it recomputes state from, and the ones that
  // had not completed), and never reads them in a later batch.
  void add_checkpoint_data(MetadataCheckpoint& c, Time completed) const override;
  void restore_checkpoint_data(const MetadataCheckpoint& c) override;

  // With worker processes the driver lists the directories; each batch's
  // files (absolute paths) go to the workers, which read them where they
  // run: the files must be visible there under the same path.
  bool computable_by_workers() const override { return true; }
  std::optional<std::string> describe_batch(Time t) override;
  void install_batch(Time t, const std::string& description, const std::string& origin) override;

 protected:
  RDD<std::string> compute(Time t) override;

 private:
  const std::string pattern_;
  const int64_t remember_ms_;  // whole batches covering minRememberDuration
  mutable std::mutex mutex_;
  std::map<int64_t, std::vector<std::string>> files_by_batch_;  // batch ms -> files it read
  std::set<std::string> remembered_;                            // every file in files_by_batch_
};

}  // namespace rill
