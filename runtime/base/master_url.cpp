#include "runtime/base/master_url.hpp"

#include <algorithm>
#include <thread>

#include "runtime/base/config.hpp"
#include "runtime/base/errors.hpp"

namespace rill {

void check_master_url(const std::string& m) {
  const std::string expected =
      "expected local, local[n], local[*], local-cluster[w,c] or rill://host:port";
  if (m == "local" || m == "local[*]") return;
  auto inside = [&](const std::string& prefix) { return m.substr(prefix.size(), m.size() - prefix.size() - 1); };
  if (m.rfind("local[", 0) == 0 && m.back() == ']') {
    int64_t n = 0;
    if (!parse_whole_number(inside("local["), n))
      throw ConfigError("bad master '" + m + "': the core count must be a whole number (" + expected + ")");
    if (n < 1 || n > Config::max_local_cores())
      throw ConfigError("bad master '" + m + "': local[n] takes 1 to " + std::to_string(Config::max_local_cores()) +
                        " cores on this machine (16 per hardware thread, at least 256)");
    return;
  }
  if (m.rfind("local-cluster[", 0) == 0 && m.back() == ']') {
    std::string body = inside("local-cluster[");
    auto comma = body.find(',');
    int64_t w = 0, c = 0;
    if (comma == std::string::npos || !parse_whole_number(body.substr(0, comma), w) ||
        !parse_whole_number(body.substr(comma + 1), c))
      throw ConfigError("bad master '" + m + "': local-cluster takes [workers,cores], both whole numbers");
    if (w < 1 || w > 64 || c < 1 || c > Config::max_local_cores())
      throw ConfigError("bad master '" + m + "': local-cluster takes 1 to 64 workers of 1 to " +
                        std::to_string(Config::max_local_cores()) + " cores");
    return;
  }
  if (m.rfind("rill://", 0) == 0) {
    auto colon = m.rfind(':');
    int64_t port = 0;
    if (colon > 7 && parse_whole_number(m.substr(colon + 1), port) && port >= 1 && port <= 65535) return;
    throw ConfigError("bad master '" + m + "': rill:// takes host:port with a port from 1 to 65535");
  }
  throw ConfigError("bad master '" + m + "': " + expected);
}

int Config::max_local_cores() {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(256, 16 * hw);
}

bool Config::is_local() const { return master_ == "local" || master_.rfind("local[", 0) == 0; }

bool Config::is_cluster_driver() const {
  return !worker_ && (master_.rfind("rill://", 0) == 0 || master_.rfind("local-cluster[", 0) == 0);
}

std::pair<int, int> Config::local_cluster_shape() const {
  if (master_.rfind("local-cluster[", 0) != 0) return {0, 0};
  std::string body = master_.substr(14, master_.size() - 15);  // validated by set_master
  auto comma = body.find(',');
  int64_t w = 0, c = 0;
  parse_whole_number(body.substr(0, comma), w);
  parse_whole_number(body.substr(comma + 1), c);
  return {static_cast<int>(w), static_cast<int>(c)};
}

std::pair<std::string, uint16_t> Config::master_address() const {
  if (master_.rfind("rill://", 0) != 0) return {"", 0};
  auto colon = master_.rfind(':');
  int64_t port = 0;
  parse_whole_number(master_.substr(colon + 1), port);  // validated by set_master
  return {master_.substr(7, colon - 7), static_cast<uint16_t>(port)};
}

std::pair<std::string, uint16_t> Config::driver_host_port() const {
  auto colon = driver_address_.rfind(':');
  int64_t port = 0;
  if (colon == std::string::npos || colon == 0 || !parse_whole_number(driver_address_.substr(colon + 1), port) ||
      port < 1 || port > 65535)
    throw ConfigError("--driver takes host:port with a port from 1 to 65535, got '" + driver_address_ + "'");
  return {driver_address_.substr(0, colon), static_cast<uint16_t>(port)};
}

int Config::local_cores() const {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (worker_) return worker_cores_ > 0 ? worker_cores_ : hw;
  if (master_ == "local") return 1;
  if (master_ == "local[*]" || master_.rfind("local[", 0) != 0) return hw;
  int64_t n = 1;
  parse_whole_number(master_.substr(6, master_.size() - 7), n);  // validated by set_master
  return static_cast<int>(n);
}

}  // namespace rill
