// SIGINT and SIGTERM for a running StreamingContext, as Spark's shutdown hook:
// while a hook is installed, the first of these signals runs it (on a thread
// of its own, never inside the signal handler) instead of killing the
// process; the context stops, await_termination() returns, and main() ends
// normally. A second signal while the first is being handled ends the
// process at once, as an impatient Ctrl-C should. With no hook installed the
// process's previous handling applies.
#pragma once
#include <functional>

namespace rill {

// Installs `on_signal` (called with the signal number) for `owner`,
// replacing any hook installed before, and takes over SIGINT and SIGTERM.
void install_shutdown_hook(const void* owner, std::function<void(int)> on_signal);
// Removes `owner`'s hook and gives SIGINT and SIGTERM back to the handlers
// they had before. Waits for a running call of the hook to return, unless
// called from inside that call.
void remove_shutdown_hook(const void* owner);

}  // namespace rill
