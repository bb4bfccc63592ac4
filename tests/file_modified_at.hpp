// Writes an input file for text_file_stream the way the guide asks (under a
// hidden name, then renamed in), with a chosen modification time (on the
// manual clock's scale in tests), so each batch's selection is exact. Throws
// std::runtime_error naming the file when it cannot be written.
#pragma once
#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

inline void write_file_modified_at(const std::filesystem::path& target, const std::vector<std::string>& lines,
                                   int64_t modified_ms) {
  std::filesystem::create_directories(target.parent_path());
  const std::filesystem::path hidden = target.parent_path() / ("." + target.filename().string() + ".writing");
  {
    std::ofstream out(hidden);
    for (const auto& l : lines) out << l << "\n";
    if (!out) throw std::runtime_error("cannot write " + hidden.string());
  }
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = modified_ms / 1000;
  times[0].tv_nsec = times[1].tv_nsec = (modified_ms % 1000) * 1000000;
  if (::utimensat(AT_FDCWD, hidden.c_str(), times, 0) != 0)
    throw std::runtime_error("cannot set the modification time of " + hidden.string());
  std::filesystem::rename(hidden, target);
}
