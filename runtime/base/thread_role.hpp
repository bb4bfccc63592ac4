// Which of the engine's threads the caller is on. The engine marks its own
// threads so that calls that must not run there (stop() on the listener bus)
// are refused, and calls that would wait for the calling thread itself (stop()
// inside an output operation or a task) are handed to another thread instead
// of deadlocking.
#pragma once

namespace rill {

enum class ThreadRole {
  user,      // any thread the engine does not own
  job,       // runs an output operation's job (foreach_rdd bodies, print, ...)
  task,      // a partition worker running a task (user functions of operators)
  listener,  // the listener bus delivering StreamingListener callbacks
};

ThreadRole current_thread_role();

// Marks the current thread with `role` for the scope's lifetime.
class ThreadRoleScope {
 public:
  explicit ThreadRoleScope(ThreadRole role);
  ~ThreadRoleScope();
  ThreadRoleScope(const ThreadRoleScope&) = delete;
  ThreadRoleScope& operator=(const ThreadRoleScope&) = delete;

 private:
  ThreadRole previous_;
};

}  // namespace rill
