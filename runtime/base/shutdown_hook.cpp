#include "runtime/base/shutdown_hook.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <mutex>
#include <thread>

namespace rill {

namespace {

// The signal handler only writes the signal number into this pipe (write is
// async-signal-safe); a watcher thread reads it and runs the hook.
int signal_pipe[2] = {-1, -1};
std::atomic<bool> signal_being_handled{false};

std::recursive_mutex hook_mutex;  // recursive: the hook itself removes the hook
const void* hook_owner = nullptr;
std::function<void(int)> hook;
bool handlers_installed = false;
struct sigaction previous_int, previous_term;

void on_signal(int sig) {
  if (signal_being_handled.exchange(true)) {
    // A second signal: stop waiting for the graceful stop.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(signal_pipe[1], &byte, 1);
}

void restore_handlers_locked() {
  if (!handlers_installed) return;
  ::sigaction(SIGINT, &previous_int, nullptr);
  ::sigaction(SIGTERM, &previous_term, nullptr);
  handlers_installed = false;
}

void watch_signals() {
  for (;;) {
    unsigned char byte = 0;
    ssize_t n = ::read(signal_pipe[0], &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n != 1) return;
    int sig = byte;
    std::function<void(int)> fn;
    std::lock_guard<std::recursive_mutex> lock(hook_mutex);
    fn = hook;
    if (!fn) {
      // The hook went away just before the signal was read: do what the
      // process would have done without it.
      restore_handlers_locked();
      ::raise(sig);
      continue;
    }
    fn(sig);  // holding hook_mutex: remove_shutdown_hook waits for it
    signal_being_handled = false;
  }
}

void start_watcher_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::pipe2(signal_pipe, O_CLOEXEC) != 0) return;
    std::thread(watch_signals).detach();  // lives as long as the process
  });
}

}  // namespace

void install_shutdown_hook(const void* owner, std::function<void(int)> on_signal_fn) {
  start_watcher_once();
  std::lock_guard<std::recursive_mutex> lock(hook_mutex);
  hook_owner = owner;
  hook = std::move(on_signal_fn);
  signal_being_handled = false;
  if (handlers_installed || signal_pipe[1] < 0) return;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  ::sigaction(SIGINT, &action, &previous_int);
  ::sigaction(SIGTERM, &action, &previous_term);
  handlers_installed = true;
}

void remove_shutdown_hook(const void* owner) {
  std::lock_guard<std::recursive_mutex> lock(hook_mutex);
  if (hook_owner != owner) return;
  hook_owner = nullptr;
  hook = nullptr;
  restore_handlers_locked();
}

}  // namespace rill
