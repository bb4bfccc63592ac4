#include "runtime/base/config.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <functional>
#include <thread>

#include "runtime/base/errors.hpp"

namespace rill {
namespace {

enum class Kind { duration, integer, boolean, number, bytes, clock, text };

// A known key: what its value is, and the range a value must fall in (for
// durations in milliseconds, for sizes in bytes). Every bound exists to keep a
// typo from turning into thousands of threads, an int overflow or an
// allocation of gigabytes.
struct KeySpec {
  Kind kind;
  double min = 0;
  double max = 0;
};

constexpr double kMaxRate = 1e12;  // records/s: far beyond any source, still exact in a double

const std::map<std::string, KeySpec>& known_keys() {
  static const std::map<std::string, KeySpec> keys = {
      {"rill.master", {Kind::text}},
      {"rill.app.name", {Kind::text}},
      {"rill.streaming.blockInterval", {Kind::duration, 1, 3600e3}},
      {"rill.streaming.receiver.maxRate", {Kind::integer, 0, kMaxRate}},
      {"rill.streaming.backpressure.enabled", {Kind::boolean}},
      {"rill.streaming.backpressure.initialRate", {Kind::integer, 0, kMaxRate}},
      {"rill.streaming.backpressure.pid.proportional", {Kind::number, 0, 1e6}},
      {"rill.streaming.backpressure.pid.integral", {Kind::number, 0, 1e6}},
      {"rill.streaming.backpressure.pid.derived", {Kind::number, 0, 1e6}},
      {"rill.streaming.backpressure.pid.minRate", {Kind::number, 1e-9, kMaxRate}},
      {"rill.streaming.receiver.writeAheadLog.enable", {Kind::boolean}},
      {"rill.streaming.receiver.writeAheadLog.rollingIntervalSecs", {Kind::integer, 1, 86400}},
      {"rill.streaming.receiver.writeAheadLog.fsync", {Kind::boolean}},
      {"rill.streaming.stopGracefullyOnShutdown", {Kind::boolean}},
      {"rill.streaming.concurrentJobs", {Kind::integer, 1, 256}},
      {"rill.streaming.receiverRestartDelay", {Kind::duration, 1, 3600e3}},
      {"rill.streaming.socket.connectTimeout", {Kind::duration, 1, 3600e3}},
      {"rill.streaming.socket.acknowledge", {Kind::boolean}},
      {"rill.streaming.fileStream.minRememberDuration", {Kind::duration, 1, 3600e3}},
      {"rill.streaming.gracefulStopTimeout", {Kind::duration, 1, 86400e3}},
      {"rill.streaming.socket.maxLineLength", {Kind::bytes, 1, 1024.0 * 1024 * 1024}},
      {"rill.streaming.ui.retainedBatches", {Kind::integer, 1, 1e7}},
      {"rill.ui.enabled", {Kind::boolean}},
      {"rill.ui.port", {Kind::integer, 0, 65535}},
      {"rill.ui.bindAddress", {Kind::text}},
      {"rill.streaming.blockMaxBytes", {Kind::bytes, 1024, 1024.0 * 1024 * 1024}},
      {"rill.streaming.receiver.maxBytesInFlight", {Kind::bytes, 1024, 64.0 * 1024 * 1024 * 1024}},
      {"rill.streaming.clock", {Kind::clock}},
      {"rill.streaming.kafka.maxRatePerPartition", {Kind::integer, 0, kMaxRate}},
      {"rill.default.parallelism", {Kind::integer, 1, 65536}},
      {"rill.flow.credits", {Kind::integer, 1, 1e6}},
      {"rill.flow.chunkRecords", {Kind::integer, 1, 16777216}},
      {"rill.cluster.minWorkers", {Kind::integer, 0, 4096}},
      {"rill.cluster.waitTimeout", {Kind::duration, 1, 86400e3}},
      {"rill.cluster.bindAddress", {Kind::text}},
      {"rill.cluster.heartbeatInterval", {Kind::duration, 10, 3600e3}},
      {"rill.cluster.heartbeatTimeout", {Kind::duration, 20, 86400e3}},
      {"rill.task.maxFailures", {Kind::integer, 1, 1000}},
      {"rill.speculation", {Kind::boolean}},
      {"rill.speculation.interval", {Kind::duration, 1, 3600e3}},
      {"rill.speculation.multiplier", {Kind::number, 1, 1e6}},
      {"rill.speculation.quantile", {Kind::number, 0, 1}},
      {"rill.speculation.minTaskRuntime", {Kind::duration, 1, 3600e3}},
      {"rill.authenticate.secret", {Kind::text}},
  };
  return keys;
}

[[noreturn]] void bad_value(const std::string& key, const std::string& value,
                            const std::string& expected) {
  throw ConfigError("configuration key '" + key + "' has a bad value '" + value +
                    "': expected " + expected);
}

std::string format_number(double x) {
  if (x == static_cast<double>(static_cast<int64_t>(x))) return std::to_string(static_cast<int64_t>(x));
  std::ostringstream out;
  out << x;
  return out.str();
}

std::string range_text(const KeySpec& spec, const std::string& unit = "") {
  return "a value from " + format_number(spec.min) + unit + " to " + format_number(spec.max) + unit;
}

bool parse_bool(const std::string& v, bool& out) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (s == "true" || s == "1" || s == "yes") return out = true, true;
  if (s == "false" || s == "0" || s == "no") return out = false, true;
  return false;
}

bool parse_double(const std::string& v, double& out) {
  if (v.empty() || std::isspace(static_cast<unsigned char>(v.front()))) return false;
  size_t pos = 0;
  try {
    out = std::stod(v, &pos);
  } catch (...) {
    return false;
  }
  return pos == v.size() && std::isfinite(out);
}

void validate(const std::string& key, const std::string& value) {
  auto it = known_keys().find(key);
  if (it == known_keys().end()) {
    if (key.rfind("rill.", 0) == 0) throw ConfigError("unknown configuration key '" + key + "'");
    std::string hint;
    if (key.rfind("spark.", 0) == 0) hint = " (Spark's '" + key + "' is 'rill." + key.substr(6) + "' here)";
    throw ConfigError("configuration key '" + key + "' is not a Rill key: Rill's keys start with 'rill.'" + hint);
  }
  const KeySpec& spec = it->second;
  int64_t i = 0;
  double d = 0;
  bool b = false;
  switch (spec.kind) {
    case Kind::duration: {
      int64_t ms = 0;
      try {
        ms = parse_duration(value).milliseconds();
      } catch (const std::invalid_argument&) {
        bad_value(key, value, "a duration such as 200ms, 2s or 5min");
      }
      if (ms < spec.min || ms > spec.max) bad_value(key, value, "a duration from " + format_number(spec.min) +
                                                                    "ms to " + format_number(spec.max) + "ms");
      break;
    }
    case Kind::integer:
      if (!parse_whole_number(value, i)) bad_value(key, value, "a whole number");
      if (i < spec.min || i > spec.max) bad_value(key, value, range_text(spec));
      break;
    case Kind::bytes:
      if (!parse_byte_size(value, i)) bad_value(key, value, "a size in bytes such as 65536, 512k, 64m or 1g");
      if (i < spec.min || i > spec.max) bad_value(key, value, range_text(spec, " bytes"));
      break;
    case Kind::boolean:
      if (!parse_bool(value, b)) bad_value(key, value, "true or false");
      break;
    case Kind::number:
      if (!parse_double(value, d)) bad_value(key, value, "a number");
      if (d < spec.min || d > spec.max) bad_value(key, value, range_text(spec));
      break;
    case Kind::clock:
      if (value != "system" && value != "manual") bad_value(key, value, "system or manual");
      break;
    case Kind::text:
      break;
  }
}

void validate_master(const std::string& m) {
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

}  // namespace

bool parse_whole_number(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  size_t start = text[0] == '-' ? 1 : 0;
  if (start == text.size()) return false;
  for (size_t k = start; k < text.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(text[k]))) return false;
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (errno == ERANGE) return false;
  out = v;
  return true;
}

bool parse_byte_size(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  std::string digits = text;
  int64_t unit = 1;
  char last = static_cast<char>(std::tolower(static_cast<unsigned char>(text.back())));
  if (last == 'b' && text.size() > 1 && std::isalpha(static_cast<unsigned char>(text[text.size() - 2]))) {
    digits.pop_back();  // "64mb" reads as "64m"
    last = static_cast<char>(std::tolower(static_cast<unsigned char>(digits.back())));
  }
  switch (last) {
    case 'k': unit = int64_t{1} << 10; break;
    case 'm': unit = int64_t{1} << 20; break;
    case 'g': unit = int64_t{1} << 30; break;
    default: break;
  }
  if (unit != 1) digits.pop_back();
  int64_t n = 0;
  if (!parse_whole_number(digits, n) || n < 0) return false;
  if (n > std::numeric_limits<int64_t>::max() / unit) return false;
  out = n * unit;
  return true;
}

int64_t parse_int_option(const std::string& option, const std::string& value, int64_t min, int64_t max) {
  int64_t n = 0;
  if (!parse_whole_number(value, n))
    throw ConfigError("option " + option + ": '" + value + "' is not a whole number");
  if (n < min || n > max)
    throw ConfigError("option " + option + ": " + value + " is out of range (" + std::to_string(min) + " to " +
                      std::to_string(max) + ")");
  return n;
}

int Config::max_local_cores() {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(256, 16 * hw);
}

Config::Config() = default;

Config& Config::set_master(std::string master) {
  validate_master(master);
  master_ = std::move(master);
  return *this;
}

Config& Config::set_app_name(std::string name) {
  app_name_ = std::move(name);
  return *this;
}

Config& Config::set(const std::string& key, const std::string& value) {
  if (key == "rill.master") return set_master(value);
  if (key == "rill.app.name") return set_app_name(value);
  validate(key, value);
  entries_[key] = value;
  return *this;
}

std::string Config::get(const std::string& key, const std::string& fallback) const {
  if (key == "rill.master") return master_;
  if (key == "rill.app.name") return app_name_;
  auto it = entries_.find(key);
  return it == entries_.end() ? fallback : it->second;
}

bool Config::contains(const std::string& key) const { return entries_.count(key) > 0; }

int64_t Config::get_int(const std::string& key, int64_t fallback) const {
  auto it = entries_.find(key);
  int64_t v = fallback;
  if (it == entries_.end()) return v;
  auto spec = known_keys().find(key);
  bool ok = spec != known_keys().end() && spec->second.kind == Kind::bytes ? parse_byte_size(it->second, v)
                                                                           : parse_whole_number(it->second, v);
  if (!ok) bad_value(key, it->second, "a whole number");
  return v;
}

double Config::get_double(const std::string& key, double fallback) const {
  auto it = entries_.find(key);
  double v = fallback;
  if (it != entries_.end() && !parse_double(it->second, v)) bad_value(key, it->second, "a number");
  return v;
}

bool Config::get_bool(const std::string& key, bool fallback) const {
  auto it = entries_.find(key);
  bool v = fallback;
  if (it != entries_.end() && !parse_bool(it->second, v)) bad_value(key, it->second, "true or false");
  return v;
}

Duration Config::get_duration(const std::string& key, Duration fallback) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return fallback;
  try {
    return parse_duration(it->second);
  } catch (const std::invalid_argument&) {
    bad_value(key, it->second, "a duration such as 200ms, 2s or 5min");
  }
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

Config& Config::load_properties_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw ConfigError("properties file '" + path + "' is a directory, not a file");
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read properties file '" + path + "': " + std::strerror(errno));
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#' || line[first] == '!') continue;
    auto sep = line.find_first_of("= \t", first);
    if (sep == std::string::npos)
      throw ConfigError("properties file '" + path + "' line " + std::to_string(number) +
                        ": expected key=value");
    std::string key = line.substr(first, sep - first);
    auto vstart = line.find_first_not_of(" \t=", sep);
    std::string value = vstart == std::string::npos ? "" : line.substr(vstart);
    while (!value.empty() && (value.back() == '\r' || value.back() == ' ' || value.back() == '\t'))
      value.pop_back();
    set(key, value);
  }
  return *this;
}

namespace {

// Walks argv; calls on_option(name, value) for Rill's options and on_other for
// everything else. Options taking a value accept "--opt v" and "--opt=v".
void scan_args(int argc, char** argv,
               const std::function<void(const std::string&, const std::string&)>& on_option,
               const std::function<void(const std::string&)>& on_other) {
  static const std::vector<std::string> with_value = {"--master", "--conf", "--driver", "--cores",
                                                      "--properties-file"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--worker") {
      on_option(a, "");
      continue;
    }
    bool handled = false;
    for (const auto& opt : with_value) {
      if (a == opt) {
        if (i + 1 >= argc) throw ConfigError("option " + opt + " needs a value");
        on_option(opt, argv[++i]);
        handled = true;
      } else if (a.rfind(opt + "=", 0) == 0) {
        on_option(opt, a.substr(opt.size() + 1));
        handled = true;
      }
      if (handled) break;
    }
    if (!handled) on_other(a);
  }
}

}  // namespace

Config Config::from_args(int argc, char** argv) {
  Config c;
  scan_args(
      argc, argv,
      [&](const std::string& opt, const std::string& v) {
        if (opt == "--master") {
          c.set_master(v);
        } else if (opt == "--conf") {
          auto eq = v.find('=');
          if (eq == std::string::npos || eq == 0)
            throw ConfigError("--conf expects key=value, got '" + v + "'");
          c.set(v.substr(0, eq), v.substr(eq + 1));
        } else if (opt == "--worker") {
          c.worker_ = true;
        } else if (opt == "--driver") {
          c.driver_address_ = v;
        } else if (opt == "--cores") {
          int64_t n = 0;
          if (!parse_whole_number(v, n) || n < 1 || n > Config::max_local_cores())
            throw ConfigError("--cores takes a whole number from 1 to " + std::to_string(Config::max_local_cores()) +
                              ", got '" + v + "'");
          c.worker_cores_ = static_cast<int>(n);
        } else if (opt == "--properties-file") {
          c.load_properties_file(v);
        }
      },
      [](const std::string&) {});
  return c;
}

std::vector<std::string> Config::app_arguments(int argc, char** argv) {
  std::vector<std::string> rest;
  scan_args(
      argc, argv, [](const std::string&, const std::string&) {},
      [&](const std::string& a) { rest.push_back(a); });
  return rest;
}

}  // namespace rill
