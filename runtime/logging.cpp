#include "runtime/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <mutex>

namespace rill {

void ensure_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_logger_mt("rill");
    spdlog::set_default_logger(logger);
    if (const char* level = std::getenv("RILL_LOG_LEVEL"))
      spdlog::set_level(spdlog::level::from_str(level));
  });
}

}  // namespace rill
