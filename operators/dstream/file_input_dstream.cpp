#include "operators/dstream/file_input_dstream.hpp"

#include <dirent.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include "operators/dstream/dstream_graph.hpp"
#include "operators/rdd/block_rdd.hpp"
#include "operators/rdd/rdd.hpp"
#include "runtime/base/config.hpp"
#include "runtime/base/errors.hpp"
#include "runtime/base/files.hpp"
#include "runtime/base/metadata_checkpoint.hpp"
#include "runtime/base/record_codec.hpp"

namespace rill {

namespace {

int64_t modified_ms(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

std::vector<std::string> directories_named(const std::string& pattern) {
  glob_t g{};
  int rc = ::glob(pattern.c_str(), GLOB_NOSORT, nullptr, &g);
  std::vector<std::string> dirs;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) {
      struct stat st {};
      if (::stat(g.gl_pathv[i], &st) == 0 && S_ISDIR(st.st_mode)) dirs.emplace_back(g.gl_pathv[i]);
    }
  }
  ::globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH)
    throw RillError("text_file_stream: cannot expand '" + pattern + "' (glob error " + std::to_string(rc) + ")");
  return dirs;
}

// The lines of one file per partition, read when the partition is computed.
class FileLinesRDD : public RDDNode<std::string> {
 public:
  FileLinesRDD(std::shared_ptr<Executor> ex, std::vector<std::string> files)
      : RDDNode<std::string>(std::move(ex), static_cast<int>(files.size())), files_(std::move(files)) {}
  void compute(int p, Sink<std::string> out) const override {
    std::string text;
    try {
      text = read_file(files_[static_cast<size_t>(p)]);
    } catch (const RillError&) {
      throw RillError("text_file_stream: cannot read '" + files_[static_cast<size_t>(p)] +
                      "' (it was listed for this batch; was it removed or made unreadable?)");
    }
    std::string line;
    for_each_text_line_view(text, [&](std::string_view v) {
      line.assign(v.data(), v.size());
      out(line);
    });
  }

 private:
  std::vector<std::string> files_;
};

}  // namespace

std::vector<ListedFile> list_input_files(const std::string& pattern) {
  std::vector<ListedFile> files;
  for (const auto& dir : directories_named(pattern)) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) throw RillError("text_file_stream: cannot read directory '" + dir + "': " + std::strerror(errno));
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] == '.') continue;  // hidden: a file being written, or . and ..
      std::string path = dir + (dir.back() == '/' ? "" : "/") + e->d_name;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // gone meanwhile, or not a file
      files.push_back({std::move(path), modified_ms(st)});
    }
    ::closedir(d);
  }
  std::sort(files.begin(), files.end(), [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
  return files;
}

FileInputDStream::FileInputDStream(StreamingContext& ssc, std::string pattern, Duration min_remember)
    : DStreamNode<std::string>(ssc, {}, batch_duration_of(ssc), "text_file_stream"),
      pattern_(std::move(pattern)),
      remember_ms_([&] {
        int64_t batch = batch_duration_of(ssc).milliseconds();
        int64_t batches = (min_remember.milliseconds() + batch - 1) / batch;
        return std::max<int64_t>(1, batches) * batch;
      }()) {
  if (pattern_.empty()) throw RillError("text_file_stream: the directory is empty");
}

std::vector<std::string> FileInputDStream::files_of_batch(Time t) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = files_by_batch_.find(t.milliseconds());
  return it == files_by_batch_.end() ? std::vector<std::string>{} : it->second;
}

void FileInputDStream::add_checkpoint_data(MetadataCheckpoint& c, Time /*completed*/) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& files = c.input_files[id()];
  for (const auto& [t, names] : files_by_batch_) files[t] = names;
}

void FileInputDStream::restore_checkpoint_data(const MetadataCheckpoint& c) {
  auto it = c.input_files.find(id());
  if (it == c.input_files.end()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [t, names] : it->second) {
    files_by_batch_[t] = names;
    remembered_.insert(names.begin(), names.end());
  }
}

// Every batch with a file list is described, those a restarted driver read
// back from its checkpoint included (a window with an inverse needs the
// oldest of them long after the listing).
std::optional<std::string> FileInputDStream::describe_batch(Time t) {
  std::vector<std::string> files;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = files_by_batch_.find(t.milliseconds());
    if (it == files_by_batch_.end()) return std::nullopt;
    for (const auto& f : it->second) files.push_back(std::filesystem::absolute(f).string());
  }
  return encode_records(files);
}

void FileInputDStream::install_batch(Time t, const std::string& description, const std::string& origin) {
  auto files = decode_records<std::string>(description, origin);
  std::lock_guard<std::mutex> lock(mutex_);
  files_by_batch_[t.milliseconds()] = *files;
  remembered_.insert(files->begin(), files->end());
}

RDD<std::string> FileInputDStream::compute(Time t) {
  const int64_t now = t.milliseconds();
  // Files modified at or before this are not new: before the start, or older
  // than the window (their names may already be forgotten).
  const int64_t threshold = std::max(zero_time().milliseconds(), now - remember_ms_);
  // How long each batch's file list is kept: the window, and for recovery
  // as far back as a restarted driver may recompute.
  const int64_t history_ms =
      std::max(remember_ms_, remember_duration().milliseconds() +
                                 2 * graph_of(context()).longest_checkpoint_interval().milliseconds());
  std::vector<std::string> selected;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    // Forget batches that left the history, and their files.
    while (!files_by_batch_.empty() && files_by_batch_.begin()->first <= now - history_ms) {
      for (const auto& f : files_by_batch_.begin()->second) remembered_.erase(f);
      files_by_batch_.erase(files_by_batch_.begin());
    }
    // A batch recorded before a restart reads the files it read then.
    auto recorded = files_by_batch_.find(now);
    if (recorded != files_by_batch_.end())
      return RDD<std::string>(std::make_shared<FileLinesRDD>(executor_of(context()), recorded->second));
    if (config_of(context()).is_worker())
      throw RillError("text_file_stream " + pattern_ + ": the driver did not send the files of batch " +
                      t.to_string() + " to this worker");
    for (auto& f : list_input_files(pattern_)) {
      if (f.modified_ms <= threshold || f.modified_ms > now) continue;
      if (remembered_.count(f.path)) continue;
      remembered_.insert(f.path);
      selected.push_back(std::move(f.path));
    }
    files_by_batch_[now] = selected;
  }
  return RDD<std::string>(std::make_shared<FileLinesRDD>(executor_of(context()), std::move(selected)));
}

}  // namespace rill
