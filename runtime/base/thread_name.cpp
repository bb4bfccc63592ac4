#include "runtime/base/thread_name.hpp"

#include <pthread.h>

namespace rill {

void name_this_thread(const std::string& name) {
  constexpr size_t kMaxNameBytes = 15;  // the kernel's TASK_COMM_LEN, less the NUL
  ::pthread_setname_np(::pthread_self(), name.substr(0, kMaxNameBytes).c_str());
}

}  // namespace rill
