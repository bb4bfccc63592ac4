// Rill logs through spdlog to standard error (standard output is for print()).
// The level follows RILL_LOG_LEVEL (trace, debug, info, warn, error, off).
#pragma once

namespace rill {

// Sets up Rill's logger once per process; later calls do nothing.
void ensure_logging();

}  // namespace rill
