// A batch's output directory written by tasks wherever the partitions are
// computed (the workers of a cluster): each task writes its part file into
// the directory's staging name and fsyncs it; once every task has finished,
// the driver checks that every part file is there, adds _SUCCESS and renames
// the staging directory into place. Readers see all of a batch's output or
// none, and a rerun replaces it whole.
//
// Every node derives the same staging name from the output path, so the path
// must name one directory for all of them: an absolute path on a filesystem
// they share (on one machine, any absolute path).
#pragma once
#include <string>

namespace rill {

// Where the tasks of `dir` write their part files.
std::string staging_directory(const std::string& dir);
// Before the tasks: a fresh, empty staging directory (one a killed run left
// is removed).
void begin_staged_output(const std::string& dir);
// In a task: writes and fsyncs partition p's part file. Throws RillError
// when the staging directory is not there (the driver made it: this node
// does not see the same path).
void write_staged_part(const std::string& dir, int p, const std::string& data);
// After every task succeeded: checks that part-00000 .. part-(n-1) are in the
// staging directory (throws RillError naming the missing one and what that
// usually means), writes _SUCCESS, and renames it to `dir`.
void commit_staged_output(const std::string& dir, int partitions);
// After a failed task: removes the staging directory.
void abort_staged_output(const std::string& dir);
// Removes the staging directories a killed run left in `parent`; returns how
// many. Only for a directory no live process writes into.
int remove_abandoned_staging(const std::string& parent);

}  // namespace rill
