#include "runtime/base/thread_role.hpp"

namespace rill {

namespace {
thread_local ThreadRole role = ThreadRole::user;
}  // namespace

ThreadRole current_thread_role() { return role; }

ThreadRoleScope::ThreadRoleScope(ThreadRole r) : previous_(role) { role = r; }
ThreadRoleScope::~ThreadRoleScope() { role = previous_; }

}  // namespace rill
