#include "runtime/base/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace rill {

namespace {
// spdlog::level::from_str maps every unknown name to "off", which would
// silence all logging on a typo; only the names below are accepted.
bool parse_level(const std::string& name, spdlog::level::level_enum& out) {
  static const std::pair<const char*, spdlog::level::level_enum> levels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug}, {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},   {"warning", spdlog::level::warn}, {"error", spdlog::level::err},
      {"err", spdlog::level::err},     {"critical", spdlog::level::critical}, {"off", spdlog::level::off}};
  for (const auto& [text, level] : levels)
    if (name == text) return out = level, true;
  return false;
}
}  // namespace

void ensure_logging() {
  static std::once_flag once;
  std::call_once(once, [] {
    auto logger = spdlog::stderr_logger_mt("rill");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::info);
    if (const char* env = std::getenv("RILL_LOG_LEVEL")) {
      spdlog::level::level_enum level;
      if (parse_level(env, level))
        spdlog::set_level(level);
      else
        spdlog::warn("unknown RILL_LOG_LEVEL '{}' (expected trace, debug, info, warn, error, critical or off); "
                     "logging at info",
                     env);
    }
  });
}

}  // namespace rill
