// Names the engine's threads, so that `top -H`, `perf`, gdb and
// /proc/<pid>/task/<tid>/comm tell a partition worker from a receiver.
#pragma once
#include <string>

namespace rill {

// Sets the calling thread's name (as the kernel keeps it: at most 15 bytes;
// a longer name is cut). Never fails: a name is a help, not a contract.
void name_this_thread(const std::string& name);

}  // namespace rill
