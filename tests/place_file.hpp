// Places an input file for text_file_stream tests the way the guide asks
// (written under a hidden name, then renamed in), with a modification time
// on the manual clock's scale, so each batch's selection is exact.
#pragma once
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

inline void place_file(const std::filesystem::path& dir, const std::string& name,
                       const std::vector<std::string>& lines, int64_t modified_ms) {
  std::filesystem::create_directories(dir);
  std::filesystem::path tmp = dir / ("." + name + ".writing");
  {
    std::ofstream out(tmp);
    for (const auto& l : lines) out << l << "\n";
  }
  struct timespec times[2];
  times[0].tv_sec = times[1].tv_sec = modified_ms / 1000;
  times[0].tv_nsec = times[1].tv_nsec = (modified_ms % 1000) * 1000000;
  REQUIRE(::utimensat(AT_FDCWD, tmp.c_str(), times, 0) == 0);
  std::filesystem::rename(tmp, dir / name);
}
