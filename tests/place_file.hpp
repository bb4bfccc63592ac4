// Places an input file for text_file_stream tests (tests/file_modified_at.hpp)
// inside a test case: a failure to write it fails the test.
#pragma once
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "file_modified_at.hpp"

inline void place_file(const std::filesystem::path& dir, const std::string& name,
                       const std::vector<std::string>& lines, int64_t modified_ms) {
  REQUIRE_NOTHROW(write_file_modified_at(dir / name, lines, modified_ms));
}
