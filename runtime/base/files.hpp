// Durable file operations. Everything that must survive a crash is written
// to a temporary name, fsynced, renamed into place, and its directory fsynced.
#pragma once
#include <string>

namespace rill {

// Writes `data` to `path` atomically (temp file, fsync, rename, fsync dir).
void write_file_durably(const std::string& path, const std::string& data);
// Writes `data` to `path` and fsyncs it (no rename: for files inside a
// temporary directory that is itself renamed into place).
void write_file_synced(const std::string& path, const std::string& data);
void fsync_directory(const std::string& dir);
// Renames directory `from` to `to`, replacing an existing `to`, then fsyncs
// the parent. Throws RillError naming both paths on failure.
void replace_directory(const std::string& from, const std::string& to);
std::string read_file(const std::string& path);
// A fresh directory name next to `path`, unique in this process.
std::string temporary_sibling(const std::string& path);
// Removes what temporary_sibling names in `dir` that a killed process left
// behind (files and directories never renamed into place); returns how many.
// Only for a directory no other live process writes into.
int remove_stale_temporaries(const std::string& dir);

}  // namespace rill
