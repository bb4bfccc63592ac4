#include "runtime/config.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <thread>

#include "runtime/errors.hpp"

namespace rill {
namespace {

enum class Kind { duration, non_negative_int, positive_int, boolean, number, clock, text };

const std::map<std::string, Kind>& known_keys() {
  static const std::map<std::string, Kind> keys = {
      {"rill.master", Kind::text},
      {"rill.app.name", Kind::text},
      {"rill.streaming.blockInterval", Kind::duration},
      {"rill.streaming.receiver.maxRate", Kind::non_negative_int},
      {"rill.streaming.backpressure.enabled", Kind::boolean},
      {"rill.streaming.backpressure.initialRate", Kind::non_negative_int},
      {"rill.streaming.backpressure.pid.proportional", Kind::number},
      {"rill.streaming.backpressure.pid.integral", Kind::number},
      {"rill.streaming.backpressure.pid.derived", Kind::number},
      {"rill.streaming.backpressure.pid.minRate", Kind::number},
      {"rill.streaming.receiver.writeAheadLog.enable", Kind::boolean},
      {"rill.streaming.stopGracefullyOnShutdown", Kind::boolean},
      {"rill.streaming.concurrentJobs", Kind::positive_int},
      {"rill.streaming.receiverRestartDelay", Kind::duration},
      {"rill.streaming.ui.retainedBatches", Kind::positive_int},
      {"rill.streaming.clock", Kind::clock},
      {"rill.streaming.kafka.maxRatePerPartition", Kind::non_negative_int},
      {"rill.default.parallelism", Kind::positive_int},
      {"rill.flow.credits", Kind::positive_int},
      {"rill.flow.chunkRecords", Kind::positive_int},
  };
  return keys;
}

[[noreturn]] void bad_value(const std::string& key, const std::string& value,
                            const std::string& expected) {
  throw ConfigError("configuration key '" + key + "' has a bad value '" + value +
                    "': expected " + expected);
}

bool parse_bool(const std::string& v, bool& out) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (s == "true" || s == "1" || s == "yes") return out = true, true;
  if (s == "false" || s == "0" || s == "no") return out = false, true;
  return false;
}

bool parse_int(const std::string& v, int64_t& out) {
  if (v.empty()) return false;
  size_t pos = 0;
  try {
    out = std::stoll(v, &pos);
  } catch (...) {
    return false;
  }
  return pos == v.size();
}

bool parse_double(const std::string& v, double& out) {
  if (v.empty()) return false;
  size_t pos = 0;
  try {
    out = std::stod(v, &pos);
  } catch (...) {
    return false;
  }
  return pos == v.size();
}

void validate(const std::string& key, const std::string& value) {
  auto it = known_keys().find(key);
  if (it == known_keys().end()) {
    if (key.rfind("rill.", 0) == 0) throw ConfigError("unknown configuration key '" + key + "'");
    return;  // keys outside rill. belong to the application
  }
  int64_t i = 0;
  double d = 0;
  bool b = false;
  switch (it->second) {
    case Kind::duration:
      try {
        if (parse_duration(value).milliseconds() <= 0) bad_value(key, value, "a positive duration");
      } catch (const std::invalid_argument&) {
        bad_value(key, value, "a duration such as 200ms, 2s or 5min");
      }
      break;
    case Kind::non_negative_int:
      if (!parse_int(value, i) || i < 0) bad_value(key, value, "a whole number >= 0");
      break;
    case Kind::positive_int:
      if (!parse_int(value, i) || i < 1) bad_value(key, value, "a whole number >= 1");
      break;
    case Kind::boolean:
      if (!parse_bool(value, b)) bad_value(key, value, "true or false");
      break;
    case Kind::number:
      if (!parse_double(value, d)) bad_value(key, value, "a number");
      break;
    case Kind::clock:
      if (value != "system" && value != "manual") bad_value(key, value, "system or manual");
      break;
    case Kind::text:
      break;
  }
}

void validate_master(const std::string& m) {
  if (m == "local" || m == "local[*]") return;
  if (m.rfind("local[", 0) == 0 && m.back() == ']') {
    int64_t n = 0;
    if (parse_int(m.substr(6, m.size() - 7), n) && n >= 1) return;
  }
  if (m.rfind("rill://", 0) == 0 && m.find(':', 7) != std::string::npos) return;
  throw ConfigError("bad master '" + m +
                    "': expected local, local[n], local[*] or rill://host:port");
}

}  // namespace

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
  if (it != entries_.end() && !parse_int(it->second, v)) bad_value(key, it->second, "a whole number");
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

bool Config::is_local() const { return master_.rfind("local", 0) == 0; }

int Config::local_cores() const {
  int hw = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (master_ == "local") return 1;
  if (master_ == "local[*]" || !is_local()) return hw;
  return static_cast<int>(std::stoll(master_.substr(6, master_.size() - 7)));
}

Config& Config::load_properties_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("cannot read properties file '" + path + "'");
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
  static const std::vector<std::string> with_value = {"--master", "--conf", "--driver",
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
